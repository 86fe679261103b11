// A small S3 client: the object calls gan needs, over the shared transport, signer and retry code.
//
// Every call goes through one engine (execute) that signs, sends, and handles S3's failure modes
// in one place: transient errors (5xx, SlowDown, RequestTimeout, connection resets and stalls)
// are retried with jittered backoff; RequestTimeTooSkewed sets a clock offset from the server's
// Date and retries; ExpiredToken reloads the credentials and retries once; a 301 or a
// wrong-region error carrying the bucket's region re-signs for that region. Anything else
// becomes an S3Error whose message says what to do. set_cancelled(true) cuts every call short
// (transfers, retry waits) within about a second, for callers that stop on a deadline.
// Addressing: virtual-hosted (bucket.s3.region.amazonaws.com) on AWS for DNS-safe bucket names;
// path style (endpoint/bucket/key) for custom endpoints and for bucket names with dots, which
// would break the TLS wildcard certificate.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "aws/http_transport.h"
#include "aws/retry.h"
#include "aws/s3_error.h"
#include "aws/sigv4.h"

namespace aws {

struct S3ClientConfig {
  std::string endpoint;  // "" = AWS (https://s3.<region>.amazonaws.com); else "http://127.0.0.1:9000"
  std::string region = "us-east-1";
  enum class Addressing { Auto, PathStyle, VirtualHosted } addressing = Addressing::Auto;
  std::shared_ptr<CredentialsCache> credentials;  // required
  RetryPolicy retry;
  TransportOptions transport;
  int64_t multipart_threshold = 16ll << 20;  // files above this go multipart
  int64_t part_size = 8ll << 20;             // preferred part size (grown for huge files)
  int concurrency = 8;                       // parts in flight per upload
  std::function<int64_t()> clock;            // unix seconds; default time(nullptr)
};

struct S3Object {
  std::string key;
  int64_t size = 0;
  int64_t last_modified = 0;  // unix seconds
  std::string etag;
};

struct S3Listing {
  std::vector<S3Object> objects;            // sorted by key
  std::vector<std::string> common_prefixes; // with delimiter: "prefix/child/"
};

class S3Client {
 public:
  static constexpr int64_t kMinPartSize = 5ll << 20;
  static constexpr int kMaxParts = 10000;

  explicit S3Client(S3ClientConfig config);

  // PutObject. Returns the ETag.
  std::string put_object(const std::string& bucket, const std::string& key, const std::string& bytes,
                         const std::string& content_type = "");
  // PutObject for a file, or a multipart upload above multipart_threshold.
  std::string put_file(const std::string& bucket, const std::string& key, const std::string& path,
                       const std::string& content_type = "");
  // GetObject; nullopt when the key does not exist. range = [first, last] inclusive bytes.
  std::optional<std::string> get_object(const std::string& bucket, const std::string& key,
                                        std::optional<std::pair<int64_t, int64_t>> range = std::nullopt);
  // GetObject streamed to a file; false when the key does not exist.
  bool get_object_to_file(const std::string& bucket, const std::string& key, const std::string& path);
  std::optional<S3Object> head_object(const std::string& bucket, const std::string& key);
  void delete_object(const std::string& bucket, const std::string& key);
  // ListObjectsV2, every page (max_keys > 0 sets the page size; S3's default is 1000).
  S3Listing list_objects(const std::string& bucket, const std::string& prefix, const std::string& delimiter = "",
                         int max_keys = 0);
  void create_bucket(const std::string& bucket);
  // A presigned GET URL valid for expires_seconds (1 s to 7 days).
  std::string presign_get(const std::string& bucket, const std::string& key, int64_t expires_seconds);

  // Multipart primitives (put_file uses them; exposed for tests).
  std::string create_multipart_upload(const std::string& bucket, const std::string& key, const std::string& content_type);
  std::string upload_part(const std::string& bucket, const std::string& key, const std::string& upload_id,
                          int part_number, const std::string& path, int64_t offset, int64_t length);
  std::string complete_multipart_upload(const std::string& bucket, const std::string& key, const std::string& upload_id,
                                        const std::vector<std::string>& etags);
  void abort_multipart_upload(const std::string& bucket, const std::string& key, const std::string& upload_id);

  // The part size for a file: at least `preferred` and 5 MiB, grown (in whole MiB) so that the
  // file needs at most 10,000 parts.
  static int64_t choose_part_size(int64_t file_size, int64_t preferred);

  // While cancelled, every call in progress stops within about a second (its transfer and its
  // retry waits) and every new call fails at once, with S3Error code "Cancelled" (transient: the
  // same call may be made again later). A multipart upload cut short is aborted with one quick
  // attempt, so it leaves no parts behind when the server still answers.
  void set_cancelled(bool cancelled) { cancelled_.store(cancelled); }
  bool cancelled() const { return cancelled_.load(); }

  std::string region() const;
  int64_t clock_skew() const { return skew_.load(); }
  const S3ClientConfig& config() const { return config_; }
  // "http://127.0.0.1:4569" or "https://s3.us-east-1.amazonaws.com".
  std::string endpoint_url() const;

 private:
  // One S3 request as the engine sees it (the engine adds host, date, hash, signature), with its
  // response-body limits (BodyLimits: control calls keep the default).
  struct Call : BodyLimits {
    std::string op;  // for messages: "PUT", "GET", "LIST", ...
    std::string method = "GET";
    std::string bucket, key;
    KeyValues query, headers;
    std::string body, body_file;
    int64_t body_offset = 0, body_length = -1;
    std::string payload_hash;  // "" = SHA-256 of body
    std::string response_file;
    bool error_in_200 = false;  // a 200 whose body is <Error> is that error (CompleteMultipartUpload)
    std::vector<long> ok_statuses = {200, 204, 206};
    std::vector<long> quiet_statuses;  // returned to the caller instead of thrown (404 for GET/HEAD)
    bool ignores_cancel = false;  // the clean-up after a cancellation (one bounded attempt)
    long timeout_ms = 0;          // whole request, per attempt; 0 = none
    int max_attempts = 0;         // 0 = the client's retry policy
  };
  HttpResponse execute(Call& call);
  bool virtual_hosted(const std::string& bucket) const;
  bool is_missing_key(const HttpResponse& r, const std::string& bucket, const std::string& key) const;
  void locate(const std::string& bucket, const std::string& key, std::string* host, std::string* path) const;
  void abort_after_failure(const std::string& bucket, const std::string& key, const std::string& upload_id);
  static Call abort_call(const std::string& bucket, const std::string& key, const std::string& upload_id);
  std::string upload_multipart(const std::string& bucket, const std::string& key, const std::string& path,
                               int64_t size, const std::string& content_type);
  int64_t now() const;

  S3ClientConfig config_;
  std::shared_ptr<HttpTransport> transport_;
  std::string scheme_, endpoint_host_;
  mutable std::mutex mu_;
  std::string region_;
  std::atomic<int64_t> skew_{0};
  std::atomic<bool> cancelled_{false};
  SigningKeyCache keys_;
};

// RFC 1123 HTTP date ("Thu, 26 Nov 2026 10:30:18 GMT") → unix seconds; -1 when unparsable.
int64_t parse_http_date(const std::string& text);

}  // namespace aws
