// Which links BlobClient::sas_url hands out (the monitor redirects viewers to them): only blob-scoped,
// read-only, short-lived ones; a SAS gan was given that covers more (a container, the account) or
// lasts longer is never passed on. No server needed: making a link sends nothing.
#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <vector>

#include "azure/blob_client.h"
#include "azure/shared_key.h"
#include "common/dates.h"

namespace {

constexpr int64_t kNow = 1796000000;  // 2026-11-30, a fixed clock
const char* kKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

azure::BlobClientConfig config_with_sas(const std::string& sas, const std::string& endpoint = "") {
  azure::BlobClientConfig cfg;
  cfg.account = "acct";
  cfg.endpoint = endpoint;
  cfg.credential.kind = azure::AzureCredential::Kind::Sas;
  cfg.credential.sas = sas;
  cfg.credential.source = "AZURE_STORAGE_SAS_TOKEN";
  cfg.clock = [] { return kNow; };
  return cfg;
}

std::string refusal(azure::BlobClient& c) {
  try {
    std::string url = c.sas_url("runs", "r1/epoch/1/generated.png", 3600);
    return "handed out: " + url;
  } catch (const azure::NoSasLink& e) {
    return e.what();
  }
}

}  // namespace

TEST(AzureSasLink, AContainerOrAccountSasIsNeverHandedOut) {
  const std::string far = azure::sas_time(kNow + 30 * 86400);
  const std::vector<std::string> scoped_wide = {"sv=2019-12-12&ss=b&srt=sco&sp=rl&se=" + far + "&sig=SECRETSIG",
                                "sv=2019-12-12&sr=c&sp=r&se=" + far + "&sig=SECRETSIG",
                                "sv=2019-12-12&sr=c&sp=r&se=" + azure::sas_time(kNow + 600) + "&sig=SECRETSIG"};
  for (const std::string& sas : scoped_wide) {
    SCOPED_TRACE(sas);
    azure::BlobClient c(config_with_sas(sas));
    const std::string m = refusal(c);
    EXPECT_NE(m.find("not scoped to one blob"), std::string::npos) << m;
    EXPECT_NE(m.find("AZURE_STORAGE_KEY"), std::string::npos) << m;
    EXPECT_EQ(m.find("SECRETSIG"), std::string::npos) << "the message leaks the SAS: " << m;
  }
}

TEST(AzureSasLink, ABlobSasIsHandedOutOnlyWhenShortLived) {
  // Thirty days: longer than the hour a link may last.
  azure::BlobClient long_lived(config_with_sas("sv=2019-12-12&sr=b&sp=r&se=" + azure::sas_time(kNow + 30 * 86400) + "&sig=S"));
  EXPECT_NE(refusal(long_lived).find("later than the 3600 s"), std::string::npos) << refusal(long_lived);
  // No readable expiry: refused too.
  azure::BlobClient no_expiry(config_with_sas("sv=2019-12-12&sr=b&sp=r&sig=S"));
  EXPECT_NE(refusal(no_expiry).find("unreadable"), std::string::npos) << refusal(no_expiry);
  // Ten minutes, percent-encoded as Azure writes it: handed out.
  std::string se = azure::sas_time(kNow + 600);
  std::string encoded = se;
  for (size_t p; (p = encoded.find(':')) != std::string::npos;) encoded.replace(p, 1, "%3A");
  const std::string sas = "sv=2019-12-12&sr=b&sp=r&se=" + encoded + "&sig=S";
  azure::BlobClient short_lived(config_with_sas(sas));
  EXPECT_EQ(short_lived.sas_url("runs", "r1/a.png", 3600), "https://acct.blob.core.windows.net/runs/r1/a.png?" + sas);
  EXPECT_EQ(gan::parse_iso8601(azure::sas_field(sas, "se")), kNow + 600);
  // Read-only still matters: a blob SAS that may write is refused.
  azure::BlobClient writer(config_with_sas("sv=2019-12-12&sr=b&sp=rw&se=" + encoded + "&sig=S"));
  EXPECT_NE(refusal(writer).find("sp=rw"), std::string::npos) << refusal(writer);
}

// Read-only means sp= holds r and nothing but r and l (list); without sp= the permissions are a
// stored access policy's (si=), which gan cannot see.
TEST(AzureSasLink, ReadOnlyMeansOnlyReadAndList) {
  const std::string blob_scoped = "sv=2019-12-12&sr=b&se=" + azure::sas_time(kNow + 600) + "&";
  for (const char* rest : {"sp=r&sig=x", "sp=rl&sig=x", "spr=https&sp=lr&sig=x" /* spr= is not sp= */}) {
    azure::BlobClient c(config_with_sas(blob_scoped + rest));
    EXPECT_EQ(refusal(c).rfind("handed out: ", 0), 0u) << rest << ": " << refusal(c);
  }
  for (const char* rest : {"sp=racwdl&sig=x", "sp=rw&sig=x", "sp=l&sig=x" /* cannot download */,
                           "si=policy1&sig=x" /* permissions kept on the service */, "spr=https&sig=x"}) {
    azure::BlobClient c(config_with_sas(blob_scoped + rest));
    EXPECT_NE(refusal(c).find("more than reading"), std::string::npos) << rest << ": " << refusal(c);
  }
  EXPECT_EQ(azure::sas_field("sv=1&sp=rcw&se=2", "sp"), "rcw");
}

TEST(AzureSasLink, ALinkSignedWithTheKeyIsBlobScopedShortLivedAndHttpsOnly) {
  azure::BlobClientConfig cfg;
  cfg.account = "acct";
  cfg.credential.kind = azure::AzureCredential::Kind::SharedKey;
  cfg.credential.key = kKey;
  cfg.credential.source = "AZURE_STORAGE_KEY";
  cfg.clock = [] { return kNow; };
  azure::BlobClient c(cfg);
  const std::string url = c.sas_url("runs", "r1/a.png", 3600);
  const std::string q = url.substr(url.find('?') + 1);
  EXPECT_EQ(azure::sas_field(q, "sr"), "b") << url;
  EXPECT_EQ(azure::sas_field(q, "sp"), "r") << url;
  EXPECT_EQ(azure::sas_field(q, "spr"), "https") << url;
  EXPECT_EQ(gan::parse_iso8601(azure::sas_field(q, "se")), kNow + 3600) << url;
  // A local emulator's plain-http endpoint: no spr (a link limited to https could not work there).
  cfg.endpoint = "http://127.0.0.1:10000/acct";
  azure::BlobClient emulator(cfg);
  const std::string local = emulator.sas_url("runs", "r1/a.png", 3600);
  EXPECT_EQ(azure::sas_field(local.substr(local.find('?') + 1), "spr"), "") << local;
}

// se= in the forms SAS accepts (read by gan::parse_iso8601): seconds with Z or without, a fraction,
// a date alone (its midnight, UTC). Another time zone, a month 13 or a truncated time is unreadable:
// a link is then refused rather than judged by a misread expiry.
TEST(AzureSasLink, ExpiryReadsTheTimesSasAccepts) {
  auto sas_expiry = [](const std::string& q) { return gan::parse_iso8601(azure::sas_field(q, "se")); };  // as sas_url
  EXPECT_EQ(sas_expiry("sr=b&se=2026-11-30T00%3A53%3A20Z&sig=S"), kNow);
  EXPECT_EQ(sas_expiry("se=2026-11-30T00:53:20"), kNow);
  EXPECT_EQ(sas_expiry("se=2026-11-30T00:53:20.0000000Z"), kNow);
  EXPECT_EQ(sas_expiry("se=2026-11-30"), kNow - 3200);
  // The same reader serves S3's LastModified and the metadata services' Expiration.
  EXPECT_EQ(gan::parse_iso8601("2026-11-30T00:53:20.000Z"), kNow);
  EXPECT_EQ(gan::parse_iso8601("2026-11-30T01:53:20+01:00"), -1);  // not misread as 01:53 UTC
  for (const char* bad : {"se=2026-11-30T00:53:20%2B01:00", "se=2026-13-30T00:53:20Z", "se=2026-11-30T25:00:00Z",
                          "se=2026-11-30T00:53", "se=2026-11-30x", "se=", "sr=b"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(sas_expiry(bad), -1);
  }
}
