// GcsStorage; see gcs_storage.h.
#include "storage/gcs_storage.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "aws/credentials.h"
#include "aws/s3_client.h"
#include "gcs/gce_metadata.h"
#include "gcs/gcs_client.h"
#include "storage/local.h"
#include "storage/remote_keys.h"
#include "storage/upload_queue.h"

namespace gan {

namespace {

std::mutex g_defaults_mu;
GcsOptions g_defaults;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

}  // namespace

GcsStorage::GcsStorage(const std::string& url, const GcsOptions& options) : url_(url) {
  if (url.rfind("gs://", 0) != 0) throw std::invalid_argument("not a gs:// URL: '" + url + "'");
  std::string rest = url.substr(5);
  size_t slash = rest.find('/');
  bucket_ = rest.substr(0, slash);
  prefix_ = slash == std::string::npos ? "" : rest.substr(slash + 1);
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
  if (bucket_.size() < 3 || bucket_.size() > 222)
    throw std::invalid_argument("storage " + url + ": the bucket name '" + bucket_ +
                                "' must be 3 to 222 characters (gs://bucket/prefix)");
  if (!prefix_.empty()) validate_storage_prefix(prefix_);
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
  if (hmac) {
    source_ = hmac->source.empty() ? "HMAC keys" : hmac->source;
    aws::S3ClientConfig cfg;
    cfg.endpoint = endpoint;
    cfg.region = "auto";  // GCS interoperability: SigV4 scope <date>/auto/s3/aws4_request
    cfg.addressing = aws::S3ClientConfig::Addressing::PathStyle;
    cfg.credentials = std::make_shared<aws::CredentialsCache>(std::make_shared<aws::StaticProvider>(*hmac));
    cfg.retry = options.retry;
    cfg.concurrency = options.concurrency;
    cfg.multipart_threshold = options.multipart_threshold;
    cfg.part_size = options.part_size;
    s3_ = std::make_unique<aws::S3Client>(cfg);
  } else {
    gcs::GcsClientConfig cfg;
    cfg.endpoint = endpoint;
    cfg.tokens = options.tokens ? options.tokens
                                : std::make_shared<azure::TokenCache>(std::make_shared<gcs::GceMetadataSource>());
    cfg.retry = options.retry;
    cfg.concurrency = options.concurrency;
    cfg.multipart_threshold = options.multipart_threshold;
    cfg.part_size = options.part_size;
    source_ = cfg.tokens->name();
    bearer_ = std::make_unique<gcs::GcsClient>(cfg);
  }
}

GcsStorage::~GcsStorage() = default;

std::string GcsStorage::full_key(const std::string& key) const { return remote_full_key(prefix_, key); }

template <class F>
auto GcsStorage::guard(const std::string& op, const std::string& name, F&& f) {
  try {
    return f();
  } catch (const aws::S3Error& e) {
    // GcsClient's messages are GCS's already; S3Client's name s3:// and give AWS's advice.
    if (!s3_) throw RemoteStorageError(e.what(), e.transient());
    const std::string& code = e.code();
    // No advice applies to these (a network failure, a cancelled call): only the URL to fix.
    if (code == "ConnectionFailed" || code == "Timeout" || code == "Cancelled") {
      std::string msg = e.what();
      replace_all(msg, "s3://" + bucket_, "gs://" + bucket_);
      throw RemoteStorageError(msg, e.transient());
    }
    throw RemoteStorageError(gcs::describe_gcs_error(op, bucket_, name, e.info(), source_, gcs::GcsAuth::Hmac),
                             e.transient());
  } catch (const aws::CredentialsError& e) {
    throw RemoteStorageError(e.what(), false);
  }
}

template <class F>
auto GcsStorage::call(const std::string& op, const std::string& name, F&& f) {
  return guard(op, name, [&] { return s3_ ? f(*s3_) : f(*bearer_); });
}

void GcsStorage::put(const std::string& key, const std::string& bytes) {
  const std::string name = full_key(key);
  call("PUT", name, [&](auto& c) { c.put_object(bucket_, name, bytes, content_type_for_key(key)); });
}

void GcsStorage::put_file(const std::string& key, const std::string& local_path) {
  const std::string name = full_key(key);
  call("PUT", name, [&](auto& c) { c.put_file(bucket_, name, local_path, content_type_for_key(key)); });
}

std::optional<std::string> GcsStorage::get(const std::string& key) {
  const std::string name = full_key(key);
  return call("GET", name, [&](auto& c) { return c.get_object(bucket_, name); });
}

std::optional<ObjectInfo> GcsStorage::stat(const std::string& key) {
  const std::string name = full_key(key);
  auto o = call("HEAD", name, [&](auto& c) { return c.head_object(bucket_, name); });
  if (!o) return std::nullopt;
  return ObjectInfo{key, o->size, o->last_modified};
}

std::vector<ObjectInfo> GcsStorage::list(const std::string& prefix) {
  const std::string names = remote_list_prefix(prefix_, prefix);
  aws::S3Listing l = call("LIST", names, [&](auto& c) { return c.list_objects(bucket_, names); });
  std::vector<ObjectInfo> listed;
  for (auto& o : l.objects) listed.push_back(ObjectInfo{o.key, o.size, o.last_modified});
  return remote_objects(prefix_, std::move(listed));
}

std::vector<std::string> GcsStorage::list_dirs(const std::string& prefix) {
  const std::string dir = remote_dir_prefix(prefix_, prefix);
  aws::S3Listing l = call("LIST", dir, [&](auto& c) { return c.list_objects(bucket_, dir, "/"); });
  return remote_dirs(dir, l.common_prefixes);
}

void GcsStorage::remove(const std::string& key) {
  const std::string name = full_key(key);
  call("DELETE", name, [&](auto& c) { c.delete_object(bucket_, name); });
}

std::string GcsStorage::presign(const std::string& key, int64_t expires_seconds) {
  const std::string name = full_key(key);
  if (!s3_)
    throw PresignUnavailable("a signed URL for gs://" + bucket_ + "/" + name +
                             " needs HMAC keys (GCS_HMAC_ACCESS_ID, GCS_HMAC_SECRET); with the VM's service "
                             "account alone, use: gcloud storage sign-url gs://" + bucket_ + "/" + name);
  return guard("PRESIGN", name, [&] { return s3_->presign_get(bucket_, name, expires_seconds); });
}

void GcsStorage::set_cancelled(bool cancelled) {
  if (s3_) s3_->set_cancelled(cancelled);
  else bearer_->set_cancelled(cancelled);
}

std::unique_ptr<Storage> open_gcs_storage(const std::string& url, const GcsOptions& options) {
  return std::make_unique<GcsStorage>(url, options);
}

void set_default_gcs_options(const GcsOptions& options) {
  std::lock_guard<std::mutex> lock(g_defaults_mu);
  g_defaults = options;
}

GcsOptions default_gcs_options() {
  std::lock_guard<std::mutex> lock(g_defaults_mu);
  return g_defaults;
}

}  // namespace gan
