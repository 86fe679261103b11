// AzureStorage: the Storage seam over azure::BlobClient, for az://account/container/prefix URLs.
//
// A RemoteStorage (remote_keys.h) like S3Storage. The one Azure-specific kindness: the first
// write into a container that does not exist creates it (the reference system's infra made
// container gan-training-storage; a fresh Azurite or account has none). CURL_CA_BUNDLE, when set,
// is the CA file trusted for the endpoint (see cloud/http.h).
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "cloud/engine.h"
#include "azure/blob_client.h"
#include "storage/remote_keys.h"

namespace gan {

struct AzureOptions : cloud::ClientConfig {  // retries, concurrency, block sizes
  // --azure-endpoint URL (Azurite: http://127.0.0.1:10000/devstoreaccount1; sovereign clouds:
  // https://account.blob.core.chinacloudapi.cn). "" = AZURE_STORAGE_BLOB_ENDPOINT, the connection
  // string's BlobEndpoint, else https://<account>.blob.core.windows.net.
  std::string endpoint;
  std::optional<azure::AzureCredential> credential;  // unset = resolve_credential (environment, IMDS)
};

// The reference system's `-c azure_storage`: container gan-training-storage of the account named by
// AZURE_STORAGE_ACCOUNT, else by AZURE_STORAGE_CONNECTION_STRING (AccountName=, or devstoreaccount1
// for UseDevelopmentStorage=true). Returns "az://ACCOUNT/gan-training-storage"; throws
// std::invalid_argument saying what to set when neither names an account.
constexpr const char* kReferenceAzureContainer = "gan-training-storage";
std::string reference_azure_storage_url();

class AzureStorage : public RemoteStorage {
 public:
  // url = "az://account/container[/prefix]". Throws std::invalid_argument naming the URL.
  AzureStorage(const std::string& url, const AzureOptions& options);

  // A read-only service SAS URL for the blob, signed with the account key; with a read-only SAS
  // credential (sp=r or rl), the blob URL with it. Throws PresignUnavailable for a managed
  // identity and for a SAS that can write or delete (see BlobClient::sas_url).
  std::string presign(const std::string& key, int64_t expires_seconds) override;

  const std::string& account() const { return account_; }
  const std::string& container() const { return bucket_; }
  azure::BlobClient& client() { return static_cast<azure::BlobClient&>(*client_); }

 private:
  // A malformed key from the environment.
  bool permanent(const std::exception& e) const override {
    return dynamic_cast<const std::invalid_argument*>(&e) != nullptr;
  }
  void write(const std::function<std::string()>& f) override;
  std::string account_;
};


std::unique_ptr<Storage> open_azure_storage(const std::string& url, const AzureOptions& options);

}  // namespace gan
