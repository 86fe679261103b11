// GcsStorage; see gcs_storage.h.
#include "storage/gcs_storage.h"

#include "aws/credentials.h"
#include "common/text.h"
#include "gcs/gce_metadata.h"
#include "gcs/gcs_error.h"
#include "storage/upload_queue.h"

namespace gan {

GcsStorage::GcsStorage(const std::string& url, const GcsOptions& options) : S3Storage(url, "gs", 222) {
  std::string endpoint = !options.endpoint.empty() ? options.endpoint : env("GCS_ENDPOINT_URL");
  if (endpoint.empty()) endpoint = gcs::kGcsEndpoint;
  if (endpoint.find("://") == std::string::npos)
    throw std::invalid_argument("storage " + url + ": the GCS endpoint '" + endpoint +
                                "' (GCS_ENDPOINT_URL) needs a scheme: https://storage.googleapis.com or http://host:port");

  std::optional<aws::Credentials> hmac = options.hmac;
  if (!hmac && !options.tokens) {
    aws::Credentials c;
    if (!env("GCS_HMAC_ACCESS_ID").empty() && !env("GCS_HMAC_SECRET").empty()) {
      c.access_key_id = env("GCS_HMAC_ACCESS_ID");
      c.secret_access_key = env("GCS_HMAC_SECRET");
      c.source = "GCS_HMAC_ACCESS_ID / GCS_HMAC_SECRET";
      hmac = c;
    } else if (!env("AWS_ACCESS_KEY_ID").empty() && !env("AWS_SECRET_ACCESS_KEY").empty()) {
      c.access_key_id = env("AWS_ACCESS_KEY_ID");
      c.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
      c.source = "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (as GCS HMAC keys)";
      hmac = c;
    }
  }
  aws::S3ClientConfig cfg;
  cfg.endpoint = endpoint;
  cfg.region = "auto";  // GCS interoperability: SigV4 scope <date>/auto/s3/aws4_request
  cfg.addressing = aws::S3ClientConfig::Addressing::PathStyle;
  cfg.scheme = "gs";
  hmac_ = hmac.has_value();
  if (hmac) {
    source_ = hmac->source.empty() ? "HMAC keys" : hmac->source;
    cfg.credentials = aws::static_credentials(*hmac);
  } else {
    cfg.bearer = options.tokens ? options.tokens
                                : std::make_shared<cloud::TokenCache>(std::make_shared<gcs::GceMetadataSource>());
    source_ = cfg.bearer->name();
  }
  const gcs::GcsAuth auth = hmac ? gcs::GcsAuth::Hmac : gcs::GcsAuth::Bearer;
  cfg.describe = [auth, source = source_](const std::string& op, const std::string& bucket, const std::string& key,
                                          const cloud::ErrorInfo& e, const std::string&) {
    return gcs::describe_gcs_error(op, bucket, key, e, source, auth);
  };
  open_client(std::move(cfg), options);
}

std::string GcsStorage::presign(const std::string& key, int64_t expires_seconds) {
  const std::string name = full_key(key);
  if (!hmac_)
    throw PresignUnavailable("a signed URL for gs://" + bucket_ + "/" + name +
                             " needs HMAC keys (GCS_HMAC_ACCESS_ID, GCS_HMAC_SECRET); with the VM's service "
                             "account alone, use: gcloud storage sign-url gs://" + bucket_ + "/" + name);
  return S3Storage::presign(key, expires_seconds);
}

std::unique_ptr<Storage> open_gcs_storage(const std::string& url, const GcsOptions& options) {
  return std::make_unique<GcsStorage>(url, options);
}

}  // namespace gan
