// S3Storage over aws::S3Client; see s3_storage.h.
#include "storage/s3_storage.h"

#include "common/text.h"
#include "storage/local.h"

namespace gan {

S3Storage::S3Storage(const std::string& url, const std::string& scheme, size_t max_bucket) : RemoteStorage(url) {
  if (url.rfind(scheme + "://", 0) != 0) throw std::invalid_argument("not an " + scheme + ":// URL: '" + url + "'");
  std::string rest = url.substr(scheme.size() + 3);
  size_t slash = rest.find('/');
  bucket_ = rest.substr(0, slash);
  prefix_ = slash == std::string::npos ? "" : rest.substr(slash + 1);
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
  if (bucket_.size() < 3 || bucket_.size() > max_bucket)
    throw std::invalid_argument("storage " + url + ": the bucket name '" + bucket_ + "' must be 3 to " +
                                std::to_string(max_bucket) + " characters (" + scheme + "://bucket/prefix)");
  if (!prefix_.empty()) validate_storage_prefix(prefix_);
}

S3Storage::S3Storage(const std::string& url, const S3Options& options) : S3Storage(url, "s3", 63) {
  aws::S3ClientConfig cfg;
  cfg.endpoint = options.endpoint;
  if (cfg.endpoint.empty()) cfg.endpoint = env("AWS_ENDPOINT_URL_S3");
  if (cfg.endpoint.empty()) cfg.endpoint = env("AWS_ENDPOINT_URL");
  // A custom endpoint is rarely on EC2's metadata network: don't wait for IMDS to find a region.
  cfg.region = aws::resolve_region(options.region, options.profile, nullptr, cfg.endpoint.empty());
  cfg.addressing = options.path_style ? aws::S3ClientConfig::Addressing::PathStyle : aws::S3ClientConfig::Addressing::Auto;
  cfg.credentials = options.credentials ? options.credentials : aws::default_credentials(options.profile);
  open_client(std::move(cfg), options);
}

std::string S3Storage::presign(const std::string& key, int64_t expires_seconds) {
  return remote_call([&] { return client().presign_get(bucket_, full_key(key), expires_seconds); });
}

std::unique_ptr<Storage> open_s3_storage(const std::string& url, const S3Options& options) {
  return std::make_unique<S3Storage>(url, options);
}

std::string presign_s3_url(const std::string& s3_url, const S3Options& options, int64_t expires_seconds) {
  if (s3_url.rfind("s3://", 0) != 0) throw std::invalid_argument("--presign needs s3://bucket/key, not '" + s3_url + "'");
  size_t slash = s3_url.find('/', 5);
  if (slash == std::string::npos || slash + 1 >= s3_url.size())
    throw std::invalid_argument("--presign " + s3_url + ": give an object, s3://bucket/key");
  S3Storage bucket(s3_url.substr(0, slash), options);
  return bucket.presign(s3_url.substr(slash + 1), expires_seconds);
}

}  // namespace gan
