// A small S3 client: the object calls gan needs, as the S3 dialect of cloud::Engine.
//
// Every call goes through the one engine (cloud/engine.h), which retries transient errors (5xx,
// SlowDown, RequestTimeout, connection resets and stalls) with jittered backoff; this dialect
// signs (SigV4, or a bearer token for GCS), and fixes what it can: RequestTimeTooSkewed sets a
// clock offset from the server's Date; ExpiredToken reloads the credentials and retries once; a
// 301 or a wrong-region error carrying the bucket's region re-signs for that region. Anything
// else becomes an S3Error whose message says what to do. set_cancelled(true) cuts every call
// short (transfers, retry waits) within about a second, for callers that stop on a deadline.
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
#include "cloud/http.h"
#include "cloud/retry.h"
#include "aws/s3_error.h"
#include "aws/sigv4.h"
#include "cloud/engine.h"
#include "cloud/object.h"
#include "cloud/token_cache.h"

namespace aws {

struct S3ClientConfig {
  std::string endpoint;  // "" = AWS (https://s3.<region>.amazonaws.com); else "http://127.0.0.1:9000"
  std::string region = "us-east-1";
  enum class Addressing { Auto, PathStyle, VirtualHosted } addressing = Addressing::Auto;
  std::shared_ptr<CredentialsCache> credentials;  // required, unless bearer is set
  // OAuth tokens sent as "Authorization: Bearer" instead of a SigV4 signature: GCS's XML API (the
  // S3 protocol) with a VM's service account.
  std::shared_ptr<cloud::TokenCache> bearer;
  std::string scheme = "s3";  // the URL scheme messages name objects with ("gs" for GCS)
  // The message of a failure: (op, bucket, key, error, credential source); "" = S3's advice
  // (describe_s3_error). GCS gives its own (gcloud, IAM roles).
  std::function<std::string(const std::string&, const std::string&, const std::string&, const S3ErrorInfo&,
                            const std::string&)> describe;
  cloud::RetryPolicy retry;
  cloud::TransportOptions transport;
  int64_t multipart_threshold = 16ll << 20;  // files above this go multipart
  int64_t part_size = 8ll << 20;             // preferred part size (grown for huge files)
  int concurrency = 8;                       // parts in flight per upload
  std::function<int64_t()> clock;            // unix seconds; default time(nullptr)
};

using S3Object = cloud::Object;
using S3Listing = cloud::Listing;

class S3Client : public cloud::ObjectClient {
 public:
  static constexpr int64_t kMinPartSize = 5ll << 20;
  static constexpr int kMaxParts = 10000;

  explicit S3Client(S3ClientConfig config);

  // PutObject. Returns the ETag.
  std::string put_object(const std::string& bucket, const std::string& key, const std::string& bytes,
                         const std::string& content_type = "") {
    return put(bucket, key, bytes, "", 0, content_type);
  }
  // PutObject for a file, or a multipart upload above multipart_threshold.
  std::string put_file(const std::string& bucket, const std::string& key, const std::string& path,
                       const std::string& content_type = "") override;
  // GetObject; nullopt when the key does not exist. range = [first, last] inclusive bytes.
  std::optional<std::string> get_object(const std::string& bucket, const std::string& key,
                                        std::optional<std::pair<int64_t, int64_t>> range = std::nullopt) {
    return get(bucket, key, range);
  }
  // GetObject streamed to a file; false when the key does not exist.
  bool get_object_to_file(const std::string& bucket, const std::string& key, const std::string& path) {
    return get_to_file(bucket, key, path);
  }
  std::optional<S3Object> head_object(const std::string& bucket, const std::string& key) { return head(bucket, key); }
  void delete_object(const std::string& bucket, const std::string& key) { remove(bucket, key); }
  // ListObjectsV2, every page (max_keys > 0 sets the page size; S3's default is 1000).
  S3Listing list_objects(const std::string& bucket, const std::string& prefix, const std::string& delimiter = "",
                         int max_keys = 0);
  S3Listing list(const std::string& bucket, const std::string& prefix, const std::string& delimiter) override {
    return list_objects(bucket, prefix, delimiter);
  }
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

  // set_cancelled (cloud::ObjectClient's): a multipart upload cut short is aborted with one quick
  // attempt, so it leaves no parts behind when the server still answers.

  std::string region() const;
  int64_t clock_skew() const { return skew_.load(); }
  const S3ClientConfig& config() const { return config_; }
  // "http://127.0.0.1:4569" or "https://s3.us-east-1.amazonaws.com".
  std::string endpoint_url() const override;

 private:
  using Call = cloud::Call;
  // The S3 dialect (see cloud::Dialect).
  cloud::HttpRequest prepare(Call& call) override;
  S3ErrorInfo parse_error(const cloud::HttpResponse& resp) const override { return parse_s3_error(resp); }
  bool is_error_body(const std::string& body) const override { return body_is_error(body); }
  bool transient(const S3ErrorInfo& e) const override { return is_transient_s3_error(e); }
  bool recover(const Call& call, const cloud::HttpResponse& resp, const S3ErrorInfo& e, unsigned& used) override;
  S3Error failure(const Call& call, const S3ErrorInfo& e) const override { return failure(call.op, call.bucket, call.shown(), e); }
  std::string target(const Call& call) const override { return target(call.bucket, call.shown()); }
  bool virtual_hosted(const std::string& bucket) const;
  void locate(const std::string& bucket, const std::string& key, std::string* host, std::string* path) const;
  void abort_after_failure(const std::string& bucket, const std::string& key, const std::string& upload_id);
  static Call abort_call(const std::string& bucket, const std::string& key, const std::string& upload_id);
  std::string upload_multipart(const std::string& bucket, const std::string& key, const std::string& path,
                               int64_t size, const std::string& content_type);
  int64_t now() const;
  std::string target(const std::string& bucket, const std::string& key) const;
  S3Error failure(const std::string& op, const std::string& bucket, const std::string& key, const S3ErrorInfo& e) const;

  S3ClientConfig config_;
  std::string scheme_, endpoint_host_;
  mutable std::mutex mu_;
  std::string region_;
  std::atomic<int64_t> skew_{0};
  SigningKeyCache keys_;
};

}  // namespace aws
