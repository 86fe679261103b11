// Shared Key and SAS signing on fixed inputs, stage by stage, in the layouts of Azure's "Authorize
// with Shared Key", "Create a service SAS" and "Create an account SAS". The final HMAC values
// were computed independently (Python's hmac and base64 modules) from the same strings.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>

#include "azure/credentials.h"
#include "azure/shared_key.h"
#include "tests/azure/azurite.h"

namespace {

using azure::BlobRequest;

TEST(AzureSharedKey, CanonicalizedResourceDocumentationExamples) {
  // GET https://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=metadata
  EXPECT_EQ(azure::canonicalized_resource("myaccount", "/mycontainer", {{"restype", "container"}, {"comp", "metadata"}}),
            "/myaccount/mycontainer\ncomp:metadata\nrestype:container");
  // ...?restype=container&comp=list&include=snapshots&include=metadata&include=uncommittedblobs
  EXPECT_EQ(azure::canonicalized_resource("myaccount", "/mycontainer",
                                          {{"restype", "container"}, {"comp", "list"}, {"include", "snapshots"},
                                           {"include", "metadata"}, {"include", "uncommittedblobs"}}),
            "/myaccount/mycontainer\ncomp:list\ninclude:metadata,snapshots,uncommittedblobs\nrestype:container");
  // Names are lowercased, values decoded (raw here), the path encoded as sent.
  EXPECT_EQ(azure::canonicalized_resource("acct", "/c/run 1/a+b%.png", {{"Marker", "x y/z"}}),
            "/acct/c/run%201/a%2Bb%25.png\nmarker:x y/z");
  EXPECT_EQ(azure::canonicalized_resource("acct", "/c/\xc3\xa9", {}), "/acct/c/%C3%A9");
}

TEST(AzureSharedKey, CanonicalizedHeadersSortedLowercasedAndFolded) {
  EXPECT_EQ(azure::canonicalized_headers({{"x-ms-version", "2009-09-19"},
                                          {"Content-Type", "text/plain"},
                                          {"X-MS-Date", "Sun, 11 Oct 2009 21:49:13 GMT"},
                                          {"x-ms-meta-b", "  two   words  "},
                                          {"x-ms-meta-a", "1"}}),
            "x-ms-date:Sun, 11 Oct 2009 21:49:13 GMT\nx-ms-meta-a:1\nx-ms-meta-b:two words\nx-ms-version:2009-09-19\n");
  EXPECT_EQ(azure::canonicalized_headers({{"content-md5", "x"}}), "");
}

TEST(AzureSharedKey, TwelveStandardLinesInOrder) {
  BlobRequest r;
  r.method = "PUT";
  r.headers = {{"Range", "bytes=0-9"},          {"If-Unmodified-Since", "U"}, {"If-None-Match", "N"},
               {"If-Match", "M"},               {"If-Modified-Since", "S"},   {"Content-Type", "image/png"},
               {"Content-MD5", "md5"},          {"Content-Length", "42"},     {"Content-Language", "en"},
               {"Content-Encoding", "gzip"}};
  EXPECT_EQ(azure::standard_header_lines(r), "PUT\ngzip\nen\n42\nmd5\nimage/png\n\nS\nM\nN\nU\nbytes=0-9\n");
  // A zero Content-Length is an empty line (version 2015-02-21 and later).
  BlobRequest z;
  z.method = "PUT";
  z.headers = {{"Content-Length", "0"}};
  EXPECT_EQ(azure::standard_header_lines(z), "PUT\n\n\n\n\n\n\n\n\n\n\n\n");
}

// The documentation's Get Container Metadata example (on an emulator-style path, where the
// account is the first path segment: "/myaccount/myaccount/mycontainer"), with these headers.
BlobRequest get_container_metadata(azure::KeyValues headers) {
  BlobRequest r;
  r.method = "GET";
  r.path = "/myaccount/mycontainer";
  r.query = {{"restype", "container"}, {"comp", "metadata"}, {"timeout", "20"}};
  r.headers = std::move(headers);
  return r;
}

TEST(AzureSharedKey, DocumentationStringToSignAndSignature) {
  BlobRequest r = get_container_metadata({{"x-ms-date", "Sun, 11 Oct 2009 21:49:13 GMT"}, {"x-ms-version", "2009-09-19"}});
  const std::string lines = azure::standard_header_lines(r), headers = azure::canonicalized_headers(r.headers),
                    resource = azure::canonicalized_resource("myaccount", r.path, r.query);
  EXPECT_EQ(lines, "GET\n\n\n\n\n\n\n\n\n\n\n\n");
  EXPECT_EQ(headers, "x-ms-date:Sun, 11 Oct 2009 21:49:13 GMT\nx-ms-version:2009-09-19\n");
  EXPECT_EQ(resource, "/myaccount/myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20");
  EXPECT_EQ(azure::shared_key_signature(azure::kDevKey, lines + headers + resource),
            "Su5rvibNeMxB7A4I87rOtEgCDtdICsL8v5H+yJs0W+M=");
  EXPECT_EQ(azure::sign_shared_key(r, "myaccount", azure::kDevKey, 1255297753),
            "SharedKey myaccount:" + azure::shared_key_signature(azure::kDevKey, lines + headers + resource));
}

TEST(AzureSharedKey, SignRequestAddsDateAndVersionAndAuthorization) {
  BlobRequest r = get_container_metadata({{"x-ms-version", "2009-09-19"}, {"x-ms-date", "stale"}});
  const std::string authorization = azure::sign_shared_key(r, "myaccount", azure::kDevKey, 1255297753);
  EXPECT_EQ(azure::rfc1123_date(1255297753), "Sun, 11 Oct 2009 21:49:13 GMT");
  EXPECT_EQ(authorization, "SharedKey myaccount:Su5rvibNeMxB7A4I87rOtEgCDtdICsL8v5H+yJs0W+M=");
  int dates = 0;
  for (auto& h : r.headers) dates += h.first == "x-ms-date";
  EXPECT_EQ(dates, 1);
}

TEST(AzureSharedKey, BadKeySaysWhereKeysComeFrom) {
  try {
    azure::shared_key_signature("not base64!!", "x");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("AZURE_STORAGE_KEY"), std::string::npos) << e.what();
  }
}

TEST(AzureSas, ServiceSasStringToSignLayout) {
  azure::ServiceSas s;
  s.account = "devstoreaccount1";
  s.container = "gan-training-storage";
  s.blob = "run 1/epoch/10/generator.safetensors";
  s.permissions = "r";
  s.start = 1795687200;
  s.expiry = 1795687200 + 3600;
  EXPECT_EQ(azure::service_sas_string_to_sign(s),
            "r\n2026-11-26T10:00:00Z\n2026-11-26T11:00:00Z\n"
            "/blob/devstoreaccount1/gan-training-storage/run 1/epoch/10/generator.safetensors\n"
            "\n\n\n2019-12-12\nb\n\n\n\n\n\n");
  EXPECT_EQ(azure::service_sas_query(s, azure::kDevKey),
            "sv=2019-12-12&sr=b&sp=r&st=2026-11-26T10%3A00%3A00Z&se=2026-11-26T11%3A00%3A00Z"
            "&sig=hyH7%2FTSM%2FiOYRASw75o%2FluW54pEK%2F1q2euU7vW6F9u0%3D");
}

TEST(AzureSas, AccountSasStringToSignLayout) {
  gan_test::AccountSas s;
  s.account = "myaccount";
  s.permissions = "rwdlac";
  s.expiry = 1795687200;
  s.protocol = "https";
  EXPECT_EQ(gan_test::account_sas_string_to_sign(s), "myaccount\nrwdlac\nb\nsco\n\n2026-11-26T10:00:00Z\n\nhttps\n2019-12-12\n");
}

TEST(AzureCredentials, ConnectionStringParsing) {
  auto kv = azure::parse_connection_string(
      "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=abc==;"
      "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;");
  EXPECT_EQ(kv["AccountName"], "devstoreaccount1");
  EXPECT_EQ(kv["AccountKey"], "abc==");
  EXPECT_EQ(kv["BlobEndpoint"], "http://127.0.0.1:10000/devstoreaccount1");
  EXPECT_THROW(azure::parse_connection_string("AccountName"), std::invalid_argument);
}

// Environment order: connection string, key, SAS, emulator key, managed identity.
TEST(AzureCredentials, ResolutionOrder) {
  auto clear = [] {
    for (const char* n : {"AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCOUNT",
                          "AZURE_STORAGE_SAS_TOKEN"})
      unsetenv(n);
  };
  clear();
  struct Restore {
    std::function<void()> f;
    ~Restore() { f(); }
  } restore{clear};
  auto r = azure::resolve_credential("acct", "");
  EXPECT_EQ(r.credential.kind, azure::AzureCredential::Kind::Bearer);
  EXPECT_NE(r.credential.skipped.find("AZURE_STORAGE_SAS_TOKEN is not set"), std::string::npos);
  r = azure::resolve_credential("devstoreaccount1", "");
  EXPECT_EQ(r.credential.kind, azure::AzureCredential::Kind::SharedKey);
  EXPECT_EQ(r.endpoint, "http://127.0.0.1:10000/devstoreaccount1");
  setenv("AZURE_STORAGE_SAS_TOKEN", "?sv=1&sig=x", 1);
  r = azure::resolve_credential("acct", "");
  EXPECT_EQ(r.credential.kind, azure::AzureCredential::Kind::Sas);
  EXPECT_EQ(r.credential.sas, "sv=1&sig=x");
  setenv("AZURE_STORAGE_KEY", "a2V5", 1);
  setenv("AZURE_STORAGE_ACCOUNT", "other", 1);
  r = azure::resolve_credential("acct", "");
  EXPECT_EQ(r.credential.kind, azure::AzureCredential::Kind::Sas);  // the key is for another account
  EXPECT_NE(r.credential.skipped.find("'other'"), std::string::npos) << r.credential.skipped;
  setenv("AZURE_STORAGE_ACCOUNT", "acct", 1);
  r = azure::resolve_credential("acct", "");
  EXPECT_EQ(r.credential.source, "AZURE_STORAGE_KEY");
  setenv("AZURE_STORAGE_CONNECTION_STRING", "AccountName=acct;AccountKey=Y29ubg==;EndpointSuffix=core.chinacloudapi.cn", 1);
  r = azure::resolve_credential("acct", "");
  EXPECT_EQ(r.credential.key, "Y29ubg==");
  EXPECT_EQ(r.endpoint, "https://acct.blob.core.chinacloudapi.cn");
}

}  // namespace
