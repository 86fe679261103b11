// A small Azure Blob client: the calls gan needs, as the Blob dialect of cloud::Engine.
//
// Every call goes through the one engine (cloud/engine.h), which retries 500, 503 ServerBusy,
// OperationTimedOut, 429 and connection resets/stalls with jittered backoff; this dialect
// authorises (Shared Key, a SAS appended to the query, or a managed-identity bearer token) and
// fixes what it can: a rejected bearer token is refreshed and the request retried once; a
// x-ms-date the service finds too far from its clock is corrected from its Date header;
// anything else becomes a BlobError whose message says what to do. set_cancelled(true) cuts
// every call short (transfers, retry waits) within about a second, for callers on a deadline.
// Addressing: the endpoint is a base URL and blobs are <endpoint>/<container>/<blob>; on Azure
// that is https://<account>.blob.core.windows.net, on Azurite http://127.0.0.1:10000/<account>
// (the account is then part of the path, and so of the signed resource).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cloud/engine.h"
#include "cloud/http.h"
#include "cloud/retry.h"
#include "azure/blob_error.h"
#include "azure/credentials.h"
#include "azure/shared_key.h"

namespace azure {

// sas_url cannot make a safe link with this credential; what() says what to do instead.
class NoSasLink : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BlobClientConfig {
  std::string account;
  std::string endpoint;  // "" = https://<account>.blob.core.windows.net
  AzureCredential credential;
  cloud::RetryPolicy retry;
  cloud::TransportOptions transport;
  int64_t block_threshold = 16ll << 20;  // files above this go as blocks + a block list
  int64_t block_size = 8ll << 20;
  int concurrency = 8;                   // blocks in flight per upload
  std::function<int64_t()> clock;        // unix seconds; default time(nullptr)
};

using BlobInfo = cloud::Object;     // key: the blob's name; content_type from its properties
using BlobListing = cloud::Listing;

class BlobClient : public cloud::ObjectClient {
 public:
  static constexpr int kMaxBlocks = 50000;
  explicit BlobClient(BlobClientConfig config);

  // Put Blob (a block blob in one request). Returns the ETag.
  std::string put_blob(const std::string& container, const std::string& blob, const std::string& bytes,
                       const std::string& content_type = "") {
    return put(container, blob, bytes, "", 0, content_type);
  }
  // Put Blob for a file, or Put Block (in parallel) + Put Block List above block_threshold.
  std::string put_file(const std::string& container, const std::string& blob, const std::string& path,
                       const std::string& content_type = "") override;
  // Get Blob; nullopt when the blob does not exist. range = [first, last] inclusive.
  std::optional<std::string> get_blob(const std::string& container, const std::string& blob,
                                      std::optional<std::pair<int64_t, int64_t>> range = std::nullopt) {
    return get(container, blob, range);
  }
  bool get_blob_to_file(const std::string& container, const std::string& blob, const std::string& path) {
    return get_to_file(container, blob, path);
  }
  // Get Blob Properties; nullopt when it does not exist.
  std::optional<BlobInfo> get_properties(const std::string& container, const std::string& blob) {
    return head(container, blob);
  }
  // Delete Blob; absent is fine.
  void delete_blob(const std::string& container, const std::string& blob) { remove(container, blob); }
  // List Blobs, following NextMarker through every page (max_results > 0 sets the page size).
  BlobListing list_blobs(const std::string& container, const std::string& prefix, const std::string& delimiter = "",
                         int max_results = 0);
  BlobListing list(const std::string& container, const std::string& prefix, const std::string& delimiter) override {
    return list_blobs(container, prefix, delimiter);
  }
  void create_container(const std::string& container);  // already there is fine

  // The block primitives put_file uses (exposed for tests).
  void put_block(const std::string& container, const std::string& blob, const std::string& block_id,
                 const std::string& path, int64_t offset, int64_t length);
  std::string put_block_list(const std::string& container, const std::string& blob,
                             const std::vector<std::string>& block_ids, const std::string& content_type);
  // Block ids: base64 of a fixed-width string, as Azure requires equal lengths within a blob.
  static std::string block_id(int index);
  // The block size for a file: at least `preferred`, grown so the file needs <= 50,000 blocks.
  static int64_t choose_block_size(int64_t file_size, int64_t preferred);

  // A URL that downloads the blob without credentials: a read-only service SAS for
  // expires_seconds, made with the account key; with a SAS credential that can only read (sp=r
  // or rl), the blob URL with that SAS (valid as long as it is). Throws NoSasLink, saying what to
  // do instead, for a SAS that can also write or delete (a link would hand that power to whoever
  // gets it) and for a managed identity (that needs a user delegation key, not supported).
  std::string sas_url(const std::string& container, const std::string& blob, int64_t expires_seconds);

  // The blob's URL without a query ("http://127.0.0.1:10000/devstoreaccount1/c/a%20b").
  std::string blob_url(const std::string& container, const std::string& blob) const;
  const std::string& endpoint() const { return endpoint_; }
  const std::string& account() const { return config_.account; }
  const BlobClientConfig& config() const { return config_; }
  // Seconds the service's clock is ahead of ours, learnt from a rejected x-ms-date (0 until then).
  int64_t clock_skew() const { return skew_.load(); }

  // set_cancelled (cloud::ObjectClient's): a block upload cut short leaves only uncommitted
  // blocks, which the service discards by itself (see blob_blocks.cpp): nothing to clean up.

 private:
  using Call = cloud::Call;  // bucket: the container; key: the blob
  // The Blob dialect (see cloud::Dialect).
  cloud::HttpRequest prepare(Call& call) override;
  BlobErrorInfo parse_error(const cloud::HttpResponse& resp) const override { return parse_blob_error(resp); }
  bool transient(const BlobErrorInfo& e) const override { return is_transient_blob_error(e); }
  bool recover(const Call& call, const cloud::HttpResponse& resp, const BlobErrorInfo& e, unsigned& used) override;
  BlobError failure(const Call& call, const BlobErrorInfo& e) const override;
  std::string target(const Call& call) const override {
    return "az://" + config_.account + "/" + call.bucket + "/" + call.shown();
  }
  std::string endpoint_url() const override { return endpoint_; }
  std::string upload_blocks(const std::string& container, const std::string& blob, const std::string& path,
                            int64_t size, const std::string& content_type);
  int64_t now() const;

  BlobClientConfig config_;
  std::string endpoint_;     // without a trailing '/'
  std::string base_scheme_host_;  // "http://127.0.0.1:10000"
  std::string base_path_;    // "" or "/devstoreaccount1"
  std::atomic<int64_t> skew_{0};
};

}  // namespace azure
