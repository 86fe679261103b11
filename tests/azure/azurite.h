// Azure test fixtures: Azurite (the Azure Storage emulator from npm, which checks Shared Key and
// SAS signatures itself) behind tests/fixtures/azure/faultproxy.py, and the fake metadata server
// (tests/fixtures/azure/fake_metadata.py) for the managed-identity and GCE token tests. Each
// starts once per test binary, on first use; when node, Azurite or python3 is missing the
// functions say why and the tests skip.
#pragma once
#include <string>

#include "azure/blob_client.h"

namespace gan_test {

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

// A BlobClient for devstoreaccount1 with its well-known key (quick retries for the fault tests).
azure::BlobClientConfig azurite_config(const std::string& endpoint);

struct FakeMetadata {
  int port = 0;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
  std::string call(const std::string& method, const std::string& path, const std::string& json = "") const;
};
const FakeMetadata* fake_metadata(std::string* why);

}  // namespace gan_test
