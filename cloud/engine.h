// The one request engine of every cloud client: it sends a dialect's calls through the libcurl
// transport and handles failure in one place. Transient failures (connection resets, stalls,
// timeouts, and what the dialect calls transient) are retried with jittered backoff; a failure
// the dialect can fix at once (a refreshed token, a corrected clock, the bucket's region) is
// retried right away; anything else becomes the dialect's cloud::Error. set_cancelled(true) cuts
// every call short (transfers and retry waits) within about a second, for callers on a deadline.
// The dialect (aws/ S3, azure/ Blob) knows URLs, signing and error documents; this knows none.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cloud/http.h"
#include "cloud/object.h"
#include "cloud/retry.h"

namespace cloud {

// One call as a dialect describes it; the dialect's prepare() turns it into an HTTP request.
struct Call : BodyLimits {
  Call() = default;
  Call(std::string op_, std::string method_, std::string bucket_, std::string key_ = "")
      : op(std::move(op_)), method(std::move(method_)), bucket(std::move(bucket_)), key(std::move(key_)) {}
  std::string op;  // for messages and permissions: "PUT", "GET", "LIST", "UPLOAD PART 3 of", ...
  std::string method = "GET";
  std::string bucket, key;  // bucket: S3's bucket, Azure's container
  std::string prefix;       // a listing's: messages name it where the call has no key
  KeyValues query, headers;
  std::string body, body_file;  // body_file: stream [body_offset, body_offset + body_length)
  int64_t body_offset = 0, body_length = -1;
  std::string payload_hash;  // SigV4: "" = SHA-256 of body
  std::string response_file;
  bool error_in_200 = false;  // a 200 whose body is an error document is that error
  std::vector<long> ok_statuses = {200, 201, 202, 204, 206};
  std::vector<long> quiet_statuses;  // returned to the caller instead of thrown (404 for GET/HEAD)
  bool ignores_cancel = false;  // the clean-up after a cancellation (one bounded attempt)
  long timeout_ms = 0;          // whole request, per attempt; 0 = none
  int max_attempts = 0;         // 0 = the client's retry policy
  const std::string& shown() const { return key.empty() ? prefix : key; }
};

// What a storage service's dialect tells the engine: signing and URL shapes, error documents.
class Dialect {
 public:
  virtual ~Dialect() = default;
  // The request of one attempt: method, URL and signed headers (the engine adds the body, its
  // limits and the cancel flag). May throw (no credentials).
  virtual HttpRequest prepare(Call& call) = 0;
  virtual ErrorInfo parse_error(const HttpResponse& resp) const = 0;
  virtual bool is_error_body(const std::string& body) const { return false; }
  virtual bool transient(const ErrorInfo& e) const = 0;
  // A failure fixed before trying again at once (a new token, the server's clock, another
  // region): true to retry now. `used` is per call, for the dialect to allow each fix once.
  virtual bool recover(const Call& call, const HttpResponse& resp, const ErrorInfo& e, unsigned& used) = 0;
  // The error a failed call throws (its message says what to do).
  virtual Error failure(const Call& call, const ErrorInfo& e) const = 0;
  // "s3://bucket/key", "az://account/container/blob": the call's object, for messages.
  virtual std::string target(const Call& call) const = 0;
  virtual std::string endpoint_url() const = 0;
};

class Engine {
 public:
  Engine(const TransportOptions& transport, RetryPolicy retry);
  HttpResponse execute(Call& call, Dialect& dialect);
  void set_cancelled(bool cancelled) { cancelled_.store(cancelled); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::shared_ptr<HttpTransport> transport_;
  RetryPolicy retry_;
  std::atomic<bool> cancelled_{false};
};

// A dialect's client: its engine, and the object calls every service makes the same way (put
// bytes or a file in one request, get all of an object, a range of it or into a file, head,
// delete), which differ only in header names and in the code of a 404 that means the bucket
// (the container) is missing rather than the object. The storage adaptors use only this.
class ObjectClient : protected Dialect {
 public:
  // While cancelled, every call in progress stops within about a second (its transfer and its
  // retry waits) and every new call fails at once, with Error code "Cancelled" (transient: the
  // same call may be made again later).
  void set_cancelled(bool cancelled) { engine_.set_cancelled(cancelled); }
  bool cancelled() const { return engine_.cancelled(); }
  // PUT of `bytes`, or of the file's first `size` bytes when path is set. Returns the ETag.
  std::string put(const std::string& bucket, const std::string& key, const std::string& bytes,
                  const std::string& path, int64_t size, const std::string& content_type);
  // nullopt (false) when the object does not exist; range = [first, last] inclusive.
  std::optional<std::string> get(const std::string& bucket, const std::string& key,
                                 std::optional<std::pair<int64_t, int64_t>> range);
  bool get_to_file(const std::string& bucket, const std::string& key, const std::string& path);
  std::optional<Object> head(const std::string& bucket, const std::string& key);
  void remove(const std::string& bucket, const std::string& key);  // absent is fine
  // The dialect's own: a file in one request or in parts; every page of a listing.
  virtual std::string put_file(const std::string& bucket, const std::string& key, const std::string& path,
                               const std::string& content_type) = 0;
  virtual Listing list(const std::string& bucket, const std::string& prefix, const std::string& delimiter) = 0;

 protected:
  struct Names {
    std::string content_type;    // "content-type" (S3), "Content-Type" (Azure)
    std::string range;           // "range", "x-ms-range"
    std::string missing_bucket;  // "NoSuchBucket", "ContainerNotFound": thrown, not "absent"
    KeyValues put_headers;       // sent with every put (Azure's x-ms-blob-type)
  };
  ObjectClient(const TransportOptions& transport, RetryPolicy retry, Names names)
      : engine_(transport, retry), names_(std::move(names)) {}
  HttpResponse execute(Call& call) { return engine_.execute(call, *this); }
  Engine engine_;

 private:
  // A 404 is a missing object (false) unless the bucket itself is missing (thrown).
  bool found(const HttpResponse& r, const Call& call) const;
  Names names_;
};

}  // namespace cloud
