// GcsStorage: the Storage seam over Google Cloud Storage's XML API, for gs://bucket/prefix URLs.
//
// Two ways in, chosen by the credentials found (in this order):
//   1. HMAC keys — GCS_HMAC_ACCESS_ID + GCS_HMAC_SECRET, else AWS_ACCESS_KEY_ID +
//      AWS_SECRET_ACCESS_KEY (gs:// means the endpoint is GCS, so those are HMAC keys too): GCS's
//      interoperability mode is S3's protocol signed with SigV4 for region "auto", service "s3",
//      so this is aws::S3Client pointed at storage.googleapis.com — the same client, multipart
//      uploads, retries and presigned URLs, nothing re-implemented;
//   2. no keys — OAuth access tokens of the VM's service account from the GCE metadata server,
//      sent as bearer tokens by gcs::GcsClient (which shares aws/'s transport, retry and XML).
// The two clients have the same calls, so every Storage call below is written once for both.
// Messages name gs:// URLs and give GCS's advice either way: S3Client's errors (whose advice is
// AWS's) are rebuilt from their code and status by gcs::describe_gcs_error.
// CURL_CA_BUNDLE, when set, is the CA file trusted for the endpoint (see aws/http_transport.h).
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "aws/credentials_types.h"
#include "aws/retry.h"
#include "azure/token_cache.h"
#include "storage/storage.h"

namespace aws {
class S3Client;
}
namespace gcs {
class GcsClient;
}

namespace gan {

struct GcsOptions {
  std::string endpoint;  // "" = GCS_ENDPOINT_URL, else https://storage.googleapis.com
  std::optional<aws::Credentials> hmac;        // unset = from the environment (see above)
  std::shared_ptr<azure::TokenCache> tokens;   // unset = the GCE metadata server
  aws::RetryPolicy retry;
  int concurrency = 8;
  int64_t multipart_threshold = 16ll << 20;
  int64_t part_size = 8ll << 20;
};

class GcsStorage : public Storage {
 public:
  // url = "gs://bucket[/prefix]". Throws std::invalid_argument naming the URL.
  GcsStorage(const std::string& url, const GcsOptions& options);
  ~GcsStorage() override;

  std::string url() const override { return url_; }
  void put(const std::string& key, const std::string& bytes) override;
  void put_file(const std::string& key, const std::string& local_path) override;
  std::optional<std::string> get(const std::string& key) override;
  std::optional<ObjectInfo> stat(const std::string& key) override;
  std::vector<ObjectInfo> list(const std::string& prefix) override;
  std::vector<std::string> list_dirs(const std::string& prefix) override;
  void remove(const std::string& key) override;
  // A V4 signed URL (HMAC keys only). With a service-account token alone, throws
  // PresignUnavailable saying to use `gcloud storage sign-url`.
  std::string presign(const std::string& key, int64_t expires_seconds) override;
  // Either mode's client: its transfers and retry waits stop; a multipart upload cut short gets
  // one bounded abort attempt.
  void set_cancelled(bool cancelled) override;

  bool uses_hmac() const { return s3_ != nullptr; }
  const std::string& credential_source() const { return source_; }

 private:
  std::string full_key(const std::string& key) const;
  // Runs f(), turning the clients' errors into RemoteStorageError with GCS's advice; `op` and
  // `name` (the object or prefix) are for the message.
  template <class F>
  auto guard(const std::string& op, const std::string& name, F&& f);
  // guard(f(client)) with the client of the mode in use.
  template <class F>
  auto call(const std::string& op, const std::string& name, F&& f);
  std::string url_, bucket_, prefix_, source_;
  std::unique_ptr<aws::S3Client> s3_;       // HMAC mode
  std::unique_ptr<gcs::GcsClient> bearer_;  // token mode
};

std::unique_ptr<Storage> open_gcs_storage(const std::string& url, const GcsOptions& options);

// The options open_storage("gs://...") uses (main may set an endpoint once).
void set_default_gcs_options(const GcsOptions& options);
GcsOptions default_gcs_options();

}  // namespace gan
