// S3Storage: the Storage seam over aws::S3Client, for s3://bucket/prefix URLs (RemoteStorage,
// remote_keys.h, does the work).
#pragma once
#include <memory>
#include <string>

#include "aws/s3_client.h"
#include "storage/remote_keys.h"

namespace gan {

struct S3Options : cloud::ClientConfig {  // retries, concurrency, multipart sizes
  std::string endpoint;  // --s3-endpoint URL (MinIO, Ceph, GCS interop); "" = AWS, or AWS_ENDPOINT_URL_S3
  std::string region;    // --region; "" = AWS_REGION, AWS_DEFAULT_REGION, the profile, IMDS, us-east-1
  std::string profile;   // "" = AWS_PROFILE or "default"
  bool path_style = false;  // force path-style addressing on AWS
  std::shared_ptr<aws::CredentialsCache> credentials;  // null = the default chain (env, files, IMDSv2)
};

// The reference system's `-c aws_s3`: runs at the root of bucket gan-training-storage.
constexpr const char* kReferenceS3Url = "s3://gan-training-storage";

class S3Storage : public RemoteStorage {
 public:
  // url = "s3://bucket" or "s3://bucket/prefix". Throws std::invalid_argument naming the URL.
  S3Storage(const std::string& url, const S3Options& options);

  std::string presign(const std::string& key, int64_t expires_seconds) override;

  const std::string& bucket() const { return bucket_; }
  aws::S3Client& client() { return static_cast<aws::S3Client&>(*client_); }

 protected:
  // Any service that speaks S3's protocol (GCS): `scheme`://bucket[/prefix] over `client`, the
  // bucket name max_bucket characters at most.
  S3Storage(const std::string& url, const std::string& scheme, size_t max_bucket);
  // Opens the client for `cfg` with the options' client settings.
  void open_client(aws::S3ClientConfig cfg, const cloud::ClientConfig& options) {
    static_cast<cloud::ClientConfig&>(cfg) = options;
    client_ = std::make_unique<aws::S3Client>(std::move(cfg));
  }
  bool permanent(const std::exception& e) const override {
    return dynamic_cast<const aws::CredentialsError*>(&e) != nullptr;
  }
};

// Opens s3://bucket/prefix with explicit options (the CLI's --s3-endpoint, --region).
std::unique_ptr<Storage> open_s3_storage(const std::string& url, const S3Options& options);

// ./gan --presign s3://bucket/key [--expires SECONDS]: a presigned GET URL for one object.
// Signing is local (no request is sent); throws std::invalid_argument for a URL without a key or
// an expiry outside 1 s .. 7 days, and aws::CredentialsError when no credentials are found.
std::string presign_s3_url(const std::string& s3_url, const S3Options& options, int64_t expires_seconds);

}  // namespace gan
