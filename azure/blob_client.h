// A small Azure Blob client: the Blob dialect of cloud::ObjectClient (see cloud/engine.h),
// authorised by Shared Key, a SAS appended to the query, or a managed-identity bearer token.
// Addressing: the endpoint is a base URL and blobs are <endpoint>/<container>/<blob>; on Azure
// that is https://<account>.blob.core.windows.net, on Azurite http://127.0.0.1:10000/<account>
// (the account is then part of the path, and so of the signed resource).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include "cloud/engine.h"
#include "azure/blob_error.h"
#include "azure/credentials.h"
#include "azure/shared_key.h"

namespace azure {

// sas_url cannot make a safe link with this credential; what() says what to do instead.
class NoSasLink : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BlobClientConfig : cloud::ClientConfig {
  std::string account;
  std::string endpoint;  // "" = https://<account>.blob.core.windows.net
  AzureCredential credential;
};

class BlobClient : public cloud::ObjectClient {
 public:
  static constexpr int kMaxBlocks = 50000;
  explicit BlobClient(BlobClientConfig config);

  void create_container(const std::string& container);  // already there is fine

  // A URL that downloads the blob without credentials for at most expires_seconds: a read-only
  // service SAS made with the account key, or the SAS credential itself where that gives away no
  // more (one blob, sr=b; reading only; expiring in time). Else (a wider SAS; a managed identity,
  // which would need a user delegation key, not supported) throws NoSasLink.
  std::string sas_url(const std::string& container, const std::string& blob, int64_t expires_seconds);

  const BlobClientConfig& config() const { return config_; }
  std::string endpoint_url() const override { return base_scheme_host_ + base_path_; }  // without a trailing '/'

 private:
  using Call = cloud::Call;  // bucket: the container; key: the blob
  // The Blob dialect (see cloud::Dialect).
  cloud::HttpRequest prepare(Call& call) override;
  cloud::ErrorInfo parse_error(const cloud::HttpResponse& resp) const override { return parse_blob_error(resp); }
  bool transient(const cloud::ErrorInfo& e) const override { return is_transient_blob_error(e); }
  bool recover(const Call& call, const cloud::HttpResponse& resp, const cloud::ErrorInfo& e, unsigned& used) override;
  BlobError failure(const Call& call, const cloud::ErrorInfo& e) const override;
  std::string target(const Call& call) const override {
    return "az://" + config_.account + "/" + call.bucket + "/" + call.shown();
  }
  cloud::PartedUpload parted_upload(const std::string& container, const std::string& blob, const std::string& path,
                                    int64_t size, const std::string& content_type) override;
  // The blob's URL without a query ("http://127.0.0.1:10000/devstoreaccount1/c/a%20b").
  std::string blob_url(const std::string& container, const std::string& blob) const;

  BlobClientConfig config_;
  std::string base_scheme_host_;  // "http://127.0.0.1:10000"
  std::string base_path_;         // "" or "/devstoreaccount1"
};

}  // namespace azure
