// GcsStorage: the Storage seam over Google Cloud Storage's XML API, for gs://bucket/prefix URLs.
//
// GCS's XML API is S3's protocol, so this is S3Storage (aws::S3Client) pointed at
// storage.googleapis.com, naming gs:// URLs and giving GCS's advice (gcs::describe_gcs_error).
// Two ways in, chosen by the credentials found (in this order):
//   1. HMAC keys — GCS_HMAC_ACCESS_ID + GCS_HMAC_SECRET, else AWS_ACCESS_KEY_ID +
//      AWS_SECRET_ACCESS_KEY (gs:// means the endpoint is GCS, so those are HMAC keys too),
//      signed with SigV4 for region "auto", service "s3": presigned URLs work;
//   2. no keys — OAuth access tokens of the VM's service account from the GCE metadata server,
//      sent as bearer tokens (S3ClientConfig::bearer).
// CURL_CA_BUNDLE, when set, is the CA file trusted for the endpoint (see cloud/http.h).
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "aws/sigv4.h"  // Credentials
#include "cloud/engine.h"
#include "cloud/token_cache.h"
#include "storage/s3_storage.h"

namespace gan {

struct GcsOptions : cloud::ClientConfig {  // retries, concurrency, multipart sizes
  std::string endpoint;  // "" = GCS_ENDPOINT_URL, else https://storage.googleapis.com
  std::optional<aws::Credentials> hmac;        // unset = from the environment (see above)
  std::shared_ptr<cloud::TokenCache> tokens;   // unset = the GCE metadata server
};

class GcsStorage : public S3Storage {
 public:
  // url = "gs://bucket[/prefix]". Throws std::invalid_argument naming the URL.
  GcsStorage(const std::string& url, const GcsOptions& options);

  // A V4 signed URL (HMAC keys only). With a service-account token alone, throws
  // PresignUnavailable saying to use `gcloud storage sign-url`.
  std::string presign(const std::string& key, int64_t expires_seconds) override;

  bool uses_hmac() const { return hmac_; }
  const std::string& credential_source() const { return source_; }

 private:
  bool hmac_ = false;
  std::string source_;
};

std::unique_ptr<Storage> open_gcs_storage(const std::string& url, const GcsOptions& options);

}  // namespace gan
