// Google Cloud Storage through its XML API with OAuth bearer tokens (a GCE VM's service account).
//
// With HMAC keys GCS speaks S3's protocol and SigV4 (region "auto", service "s3"), so gan uses
// aws::S3Client for it unchanged (see src/storage/gcs_storage.h). What S3Client cannot do is send
// "Authorization: Bearer <token>" instead of a signature: this client is that one difference. It
// shares everything else with aws/: the libcurl transport, the retry policy, the XML reader, S3's
// error parsing (GCS answers the same <Error><Code> documents) and the object types, and sends
// the same requests: PUT/GET (with Range)/HEAD/DELETE object, ListObjectsV2 (list-type=2, every
// page), and XML multipart uploads (parts in parallel, aws::run_parallel) for large files; a
// Complete whose answer was lost is recognised as done, as aws::S3Client does.
// A token the server rejects (401) is refreshed and the request retried once; 5xx, 429 and
// connection failures are retried with backoff; anything else is an aws::S3Error whose message
// names the bucket, the token's source and what to do. set_cancelled(true) cuts every call short
// (transfers, retry waits) within about a second, as aws::S3Client's does.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/http_transport.h"
#include "aws/retry.h"
#include "aws/s3_client.h"  // S3Object, S3Listing, S3Error
#include "azure/token_cache.h"

namespace gcs {

constexpr const char* kGcsEndpoint = "https://storage.googleapis.com";

struct GcsClientConfig {
  std::string endpoint = kGcsEndpoint;  // scheme://host[:port], no path
  std::shared_ptr<azure::TokenCache> tokens;  // required
  aws::RetryPolicy retry;
  aws::TransportOptions transport;
  int64_t multipart_threshold = 16ll << 20;
  int64_t part_size = 8ll << 20;
  int concurrency = 8;
  std::function<int64_t()> clock;  // unix seconds; default time(nullptr)
};

class GcsClient {
 public:
  explicit GcsClient(GcsClientConfig config);

  std::string put_object(const std::string& bucket, const std::string& key, const std::string& bytes,
                         const std::string& content_type = "");
  std::string put_file(const std::string& bucket, const std::string& key, const std::string& path,
                       const std::string& content_type = "");
  std::optional<std::string> get_object(const std::string& bucket, const std::string& key,
                                        std::optional<std::pair<int64_t, int64_t>> range = std::nullopt);
  std::optional<aws::S3Object> head_object(const std::string& bucket, const std::string& key);
  void delete_object(const std::string& bucket, const std::string& key);
  aws::S3Listing list_objects(const std::string& bucket, const std::string& prefix, const std::string& delimiter = "",
                              int max_keys = 0);
  const std::string& endpoint() const { return endpoint_; }

  // While cancelled, every call in progress stops within about a second (its transfer and its
  // retry waits) and every new call fails at once, with aws::S3Error code "Cancelled" (transient:
  // the same call may be made again later). A multipart upload cut short is aborted with one
  // quick attempt, so it leaves no parts behind when the server still answers.
  void set_cancelled(bool cancelled) { cancelled_.store(cancelled); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  // One request as the engine sees it, with its response-body limits (BodyLimits: control calls
  // keep the default).
  struct Call : aws::BodyLimits {
    std::string op, method = "GET", bucket, key;
    aws::KeyValues query, headers;
    std::string body, body_file;
    int64_t body_offset = 0, body_length = -1;
    bool error_in_200 = false;
    std::vector<long> quiet_statuses;
    bool ignores_cancel = false;  // the clean-up after a cancellation (one bounded attempt)
    long timeout_ms = 0;          // whole request, per attempt; 0 = none
    int max_attempts = 0;         // 0 = the client's retry policy
  };
  aws::HttpResponse execute(Call& call);
  std::string upload_multipart(const std::string& bucket, const std::string& key, const std::string& path, int64_t size,
                               const std::string& content_type);
  void abort_after_failure(const std::string& bucket, const std::string& key, const std::string& upload_id);
  int64_t now() const { return config_.clock(); }

  GcsClientConfig config_;
  std::shared_ptr<aws::HttpTransport> transport_;
  std::string endpoint_;
  std::atomic<bool> cancelled_{false};
};

// How a request was authorised, which decides the advice for a refusal.
enum class GcsAuth { Bearer, Hmac };

// "<op> gs://bucket/key failed: HTTP 403 AccessDenied: <msg>. <advice>", with GCS's advice
// (gcloud, IAM roles, the HMAC key variables) for either way in. GcsStorage also rebuilds the
// errors of its HMAC mode (aws::S3Client's, whose advice is AWS's) with it.
std::string describe_gcs_error(const std::string& op, const std::string& bucket, const std::string& key,
                               const aws::S3ErrorInfo& e, const std::string& credential_source,
                               GcsAuth auth = GcsAuth::Bearer);

}  // namespace gcs
