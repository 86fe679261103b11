// Azure test fixtures: Azurite (the Azure Storage emulator from npm, which checks Shared Key and
// SAS signatures itself) behind tests/fixtures/azure/faultproxy.py, and the fake metadata server
// (tests/fixtures/azure/fake_metadata.py) for the managed-identity and GCE token tests. Each
// starts once per test binary, on first use; when node, Azurite or python3 is missing the
// functions say why and the tests skip.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "azure/blob_client.h"

namespace gan_test {

class Child;

std::string azure_fixture_path(const std::string& name);  // tests/fixtures/azure/<name>

struct AzuriteStack {
  int azurite_port = 0, proxy_port = 0;
  // Through the fault proxy / straight to Azurite; both end in /devstoreaccount1.
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(proxy_port) + "/devstoreaccount1"; }
  std::string direct_endpoint() const { return "http://127.0.0.1:" + std::to_string(azurite_port) + "/devstoreaccount1"; }
  // POST /__proxy/<cmd> with a JSON body; returns the response body.
  std::string proxy(const std::string& cmd, const std::string& json = "") const;
};
const AzuriteStack* azurite_stack(std::string* why);

// Azurite over HTTPS with --oauth basic: it accepts bearer tokens shaped like Entra ID's (the fake
// metadata server's with {"jwt": true}) and refuses others. Its certificate is made with openssl
// for 127.0.0.1 when the stack starts; ca_file trusts it. Account gantestacct (with `key`), so the
// credential chain does not pick the emulator account's well-known key.
struct AzuriteOAuthStack {
  int port = 0;
  std::string account = "gantestacct", key, ca_file;
  std::string endpoint() const { return "https://127.0.0.1:" + std::to_string(port) + "/" + account; }
};
const AzuriteOAuthStack* azurite_oauth_stack(std::string* why);

// Another faultproxy.py, in front of any HTTP server on 127.0.0.1:upstream_port (the GCS tests'
// S3 servers). Stopped when destroyed.
struct FaultProxy {
  std::unique_ptr<Child> child;
  int port = 0;
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port); }
  std::string proxy(const std::string& cmd, const std::string& json = "") const;
  ~FaultProxy();
};
// nullptr (with *why) when it cannot start.
std::unique_ptr<FaultProxy> start_faultproxy(int upstream_port, std::string* why);

// An account SAS for the Blob service (what AZURE_STORAGE_SAS_TOKEN usually holds; gan itself only
// reads one), signed with the key as "Create an account SAS" says for signed version 2019-12-12:
//   StringToSign = account \n sp \n ss \n srt \n st \n se \n sip \n spr \n sv \n
struct AccountSas {
  std::string account;
  std::string permissions = "rwdlac";  // in the order rwdlacup
  std::string services = "b";
  std::string resource_types = "sco";
  int64_t start = 0;
  int64_t expiry = 0;
  std::string protocol;
};
std::string account_sas_string_to_sign(const AccountSas& sas);
// The query string (no leading '?'): sv, ss, srt, sp, [st], se, [spr], sig — percent-encoded.
std::string account_sas_query(const AccountSas& sas, const std::string& key_base64);

// A BlobClient for devstoreaccount1 with its well-known key (quick retries for the fault tests).
azure::BlobClientConfig azurite_config(const std::string& endpoint);

struct FakeMetadata {
  int port = 0;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
  std::string call(const std::string& method, const std::string& path, const std::string& json = "") const;
};
const FakeMetadata* fake_metadata(std::string* why);

}  // namespace gan_test
