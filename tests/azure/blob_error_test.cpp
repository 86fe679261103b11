// Azure's error responses turned into messages a user can act on (no server needed).
#include <gtest/gtest.h>

#include <atomic>

#include "azure/blob_client.h"
#include "azure/blob_error.h"
#include "tests/aws/fake_server.h"
#include "tests/aws/fixture.h"

namespace {

cloud::HttpResponse response(long status, const std::string& code, const std::string& message) {
  cloud::HttpResponse r;
  r.status = status;
  r.headers = {{"x-ms-error-code", code}, {"x-ms-request-id", "req-1"}};
  r.body = "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + code + "</Code><Message>" + message +
           "\nRequestId:req-1\nTime:2026-11-26T10:00:00.0000000Z</Message></Error>";
  return r;
}

std::string describe(const cloud::HttpResponse& r) {
  return azure::describe_blob_error("PUT", "acct", "gan-training-storage", "run/a.png", azure::parse_blob_error(r),
                                    "AZURE_STORAGE_KEY", "https://acct.blob.core.windows.net");
}

TEST(AzureBlobErrors, ParsedFromHeaderAndXml) {
  auto e = azure::parse_blob_error(response(404, "ContainerNotFound", "The specified container does not exist."));
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.code, "ContainerNotFound");
  EXPECT_EQ(e.message, "The specified container does not exist.");  // first line only
  EXPECT_EQ(e.request_id, "req-1");
  cloud::HttpResponse head;  // HEAD: no body, the code only in the header
  head.status = 403;
  head.headers = {{"x-ms-error-code", "AuthenticationFailed"}};
  EXPECT_EQ(azure::parse_blob_error(head).code, "AuthenticationFailed");
}

TEST(AzureBlobErrors, AdviceNamesWhatToDo) {
  std::string m = describe(response(404, "ContainerNotFound", "The specified container does not exist."));
  EXPECT_NE(m.find("az://acct/gan-training-storage/run/a.png"), std::string::npos) << m;
  EXPECT_NE(m.find("az storage container create --name gan-training-storage --account-name acct"), std::string::npos) << m;
  m = describe(response(403, "AuthenticationFailed", "Server failed to authenticate the request."));
  EXPECT_NE(m.find("AZURE_STORAGE_KEY"), std::string::npos) << m;
  EXPECT_NE(m.find("clock"), std::string::npos) << m;
  m = describe(response(403, "AuthorizationPermissionMismatch", "This request is not authorized."));
  EXPECT_NE(m.find("Storage Blob Data Contributor"), std::string::npos) << m;
  EXPECT_EQ(m.find(".."), std::string::npos) << m;
}

TEST(AzureBlobErrors, TransientOnesAreRetryable) {
  EXPECT_TRUE(azure::is_transient_blob_error(azure::parse_blob_error(response(503, "ServerBusy", "busy"))));
  EXPECT_TRUE(azure::is_transient_blob_error(azure::parse_blob_error(response(500, "InternalError", "oops"))));
  EXPECT_TRUE(azure::is_transient_blob_error(azure::parse_blob_error(response(500, "OperationTimedOut", "slow"))));
  EXPECT_FALSE(azure::is_transient_blob_error(azure::parse_blob_error(response(403, "AuthenticationFailed", "no"))));
  EXPECT_FALSE(azure::is_transient_blob_error(azure::parse_blob_error(response(404, "BlobNotFound", "no"))));
}

// With nothing in the environment and no metadata service, the error lists every source tried.
TEST(AzureBlobErrors, NoCredentialsListsEverySourceTried) {
  for (const char* n : {"AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCOUNT",
                        "AZURE_STORAGE_SAS_TOKEN"})
    unsetenv(n);
  setenv("AZURE_IMDS_ENDPOINT", ("http://127.0.0.1:" + std::to_string(gan_test::free_port())).c_str(), 1);
  azure::ResolvedCredential rc = azure::resolve_credential("acct", "");
  unsetenv("AZURE_IMDS_ENDPOINT");
  azure::BlobClientConfig cfg;
  cfg.account = "acct";
  cfg.endpoint = "http://127.0.0.1:1/acct";
  cfg.credential = rc.credential;
  azure::BlobClient c(cfg);
  try {
    c.get("gan-training-storage", "x");
    FAIL() << "no error";
  } catch (const azure::BlobError& e) {
    std::string m = e.what();
    EXPECT_FALSE(e.transient());
    for (const char* want : {"AZURE_STORAGE_CONNECTION_STRING is not set", "AZURE_STORAGE_KEY is not set",
                             "AZURE_STORAGE_SAS_TOKEN is not set", "managed identity"})
      EXPECT_NE(m.find(want), std::string::npos) << want << " missing from: " << m;
  }
}

// A service that keeps answering with the same NextMarker: before, List Blobs asked for the same
// page forever (here the server gives up after 50 pages, so a failing test ends).
TEST(AzureBlobErrors, ListingStopsWhenTheServiceRepeatsItsMarker) {
  std::atomic<int> pages{0};
  gan_test::FakeServer server([&](const httplib::Request&, httplib::Response& res) {
    const bool more = ++pages < 50;
    res.set_content(std::string("<EnumerationResults><Blobs><Blob><Name>run/a</Name></Blob></Blobs><NextMarker>") +
                        (more ? "m" : "") + "</NextMarker></EnumerationResults>",
                    "application/xml");
  });
  azure::BlobClientConfig cfg;
  cfg.account = azure::kDevAccount;
  cfg.endpoint = server.endpoint() + "/" + azure::kDevAccount;
  cfg.credential.kind = azure::AzureCredential::Kind::SharedKey;
  cfg.credential.key = azure::kDevKey;
  azure::BlobClient c(cfg);
  try {
    cloud::Listing l = c.list("gan", "run/");
    FAIL() << "listed " << l.objects.size() << " blobs from a service repeating its marker";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("LIST az://devstoreaccount1/gan/run/"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("already given"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server.requests(), 2);
}

}  // namespace
