// The one request engine of every cloud client (ObjectClient::execute), which knows no service's
// URLs, signing or error documents (its dialect's: aws/ S3, azure/ Blob). Transient failures are
// retried with jittered backoff; one the dialect fixes at once (a new token, the server's clock,
// the bucket's region) right away; anything else throws the dialect's cloud::Error.
#pragma once
#include <atomic>
#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cloud/http.h"
#include "cloud/object.h"
#include "cloud/retry.h"

namespace cloud {

// One call as a dialect describes it; the dialect's prepare() turns it into an HTTP request.
struct Call : Transfer {  // timeout_ms: per attempt
  Call(std::string op_, std::string method_, std::string bucket_, std::string key_ = "")
      : op(std::move(op_)), method(std::move(method_)), bucket(std::move(bucket_)), key(std::move(key_)) {}
  std::string op;  // for messages and permissions: "PUT", "GET", "LIST", "UPLOAD PART 3 of", ...
  std::string method = "GET";
  std::string bucket, key;  // bucket: S3's bucket, Azure's container
  std::string prefix;       // a listing's: messages name it where the call has no key
  KeyValues query, headers;
  std::string payload_hash;  // SigV4: "" = SHA-256 of body
  bool error_in_200 = false;  // a 200 whose body is an error document is that error
  std::vector<long> quiet_statuses;  // returned to the caller instead of thrown (404 for GET/HEAD)
  bool ignores_cancel = false;  // the clean-up after a cancellation (one bounded attempt)
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
  // Fixes the failure if it can (see the top): true to retry now. `used`, per call, allows each fix once.
  virtual bool recover(const Call& call, const HttpResponse& resp, const ErrorInfo& e, unsigned& used) = 0;
  // The error a failed call throws (its message says what to do).
  virtual Error failure(const Call& call, const ErrorInfo& e) const = 0;
  // "s3://bucket/key", "az://account/container/blob": the call's object, for messages.
  virtual std::string target(const Call& call) const = 0;
  virtual std::string endpoint_url() const = 0;
};

// The calls of a file's upload in parts (S3 multipart, Azure blocks; each dialect's parted_upload
// says why it aborts or not), which upload_parts drives: parts go in parallel from byte ranges of
// the file (so no part sits in memory), each retried by the engine on its own, then are committed
// in order.
struct PartedUpload {
  // Sends part `index` (bytes [offset, offset + length) of the file); returns what the commit
  // lists for it (S3: the part's ETag; Azure: its block id).
  std::function<std::string(int index, int64_t offset, int64_t length)> send_part;
  // Commits the parts, in order; returns the object's ETag.
  std::function<std::string(const std::vector<std::string>& tags)> commit;
  // After a failed commit: the ETag if the object was written after all (its answer lost), else "". May be empty.
  std::function<std::string()> committed_anyway;
  // The clean-up after a failure; may be empty. Best effort: the original failure is the one reported.
  std::function<void()> abort;
};

// The part size for a file: at least `preferred` and `min_part`, grown (in whole MiB) so that
// the file needs at most max_parts parts.
int64_t choose_part_size(int64_t file_size, int64_t preferred, int64_t min_part, int max_parts);

// Uploads `size` bytes in parts of part_size, `concurrency` in flight. The first failure (also a
// cancellation: a cancelled client's parts fail at once) stops handing out parts, aborts, and is rethrown.
std::string upload_parts(int64_t size, int64_t part_size, int concurrency, const PartedUpload& upload);

// What every client is configured with, beside its service's own settings (aws::S3ClientConfig, ...).
struct ClientConfig {
  RetryPolicy retry;
  TransportOptions transport;
  int64_t multipart_threshold = 16ll << 20;  // files above this go in parts (S3 multipart, Azure blocks)
  int64_t part_size = 8ll << 20;             // preferred part size (grown for huge files)
  int concurrency = 8;                       // parts in flight per upload
  std::function<int64_t()> clock = [] { return static_cast<int64_t>(std::time(nullptr)); };  // unix seconds
};

// What a service's listing (S3's ListObjectsV2, GCS's XML listing, Azure's List Blobs) calls its
// query parameters and XML elements: one listing loop reads them all.
struct ListingNames {
  KeyValues query;                  // sent with every page: {{"list-type", "2"}}, Azure's restype + comp
  std::string page_size, token;     // query names: "max-keys", "continuation-token"; "maxresults", "marker"
  std::string entries;              // the element holding the entries: "" = the document's root; "Blobs"
  std::string entry, name;          // "Contents", "Key"; "Blob", "Name"
  std::string properties;           // the entry's child holding what follows: "" = the entry; "Properties"
  std::string size, etag, content_type, last_modified;  // content_type "": not listed (S3)
  int64_t (*parse_time)(const std::string&);  // parse_iso8601 (S3), parse_http_date (Azure)
  std::string prefix_entry, prefix_name;  // "CommonPrefixes", "Prefix"; "BlobPrefix", "Name"
  std::string next_token;           // "NextContinuationToken", "NextMarker"
  std::string truncated;            // "IsTruncated" ("true" while pages follow); "": a next token says so
};

// A dialect's client: the engine and the object calls every service makes the same way, which
// differ only in data (Names). The dialect adds signing, URLs, errors and a parted upload's calls.
// The storage adaptors use only this.
class ObjectClient : protected Dialect {
 public:
  // While cancelled, every call in progress stops within about a second (transfer and retry waits)
  // and every new call fails at once: Error code "Cancelled", transient (it may be made again later).
  void set_cancelled(bool cancelled) { cancelled_.store(cancelled); }
  bool cancelled() const { return cancelled_.load(); }
  // PUT of `bytes`. Returns the ETag.
  std::string put(const std::string& bucket, const std::string& key, const std::string& bytes,
                  const std::string& content_type = "");
  // A file: one PUT up to the threshold, else parts (S3 multipart, Azure blocks). Returns the ETag.
  std::string put_file(const std::string& bucket, const std::string& key, const std::string& path,
                       const std::string& content_type = "");
  // nullopt (false) when the object does not exist; range = [first, last] inclusive.
  std::optional<std::string> get(const std::string& bucket, const std::string& key,
                                 std::optional<std::pair<int64_t, int64_t>> range = std::nullopt);
  bool get_to_file(const std::string& bucket, const std::string& key, const std::string& path);
  std::optional<Object> head(const std::string& bucket, const std::string& key);
  void remove(const std::string& bucket, const std::string& key);  // absent is fine
  // Every page of a listing (page_size > 0 sets the page size; S3's default is 1,000, Azure's 5,000).
  Listing list(const std::string& bucket, const std::string& prefix, const std::string& delimiter = "",
               int page_size = 0);
  // Seconds the service's clock is ahead of ours, learnt from a refused request (0 until then).
  int64_t clock_skew() const { return skew_.load(); }

 protected:
  struct Names {
    std::string content_type;    // "content-type" (S3), "Content-Type" (Azure)
    std::string range;           // "range", "x-ms-range"
    std::string missing_bucket;  // "NoSuchBucket", "ContainerNotFound": thrown, not "absent"
    KeyValues put_headers;       // sent with every put (Azure's x-ms-blob-type)
    ListingNames listing;
    int64_t min_part;            // parts: at least this many bytes (S3: 5 MiB; Azure: 1)
    int max_parts;               // and at most this many (S3: 10,000; Azure: 50,000 blocks)
  };
  ObjectClient(const ClientConfig& config, Names names)
      : options_(config), names_(std::move(names)), transport_(config.transport) {}
  // The engine: sends the call, retrying and recovering as the dialect says (see the top).
  HttpResponse execute(Call& call);
  // The calls of a file's upload in parts (put_file runs them through upload_parts).
  virtual PartedUpload parted_upload(const std::string& bucket, const std::string& key, const std::string& path,
                                     int64_t size, const std::string& content_type) = 0;
  // Unix seconds by the service's clock (ours plus the skew learnt).
  int64_t now() const { return options_.clock() + skew_.load(); }
  // The service's time (its Date), when it refused ours: sign with its clock from now on.
  void set_server_time(int64_t server) { skew_.store(server - options_.clock()); }

 private:
  std::string send_put(Call& call, const std::string& content_type);
  bool found(const HttpResponse& r, const Call& call) const;
  ClientConfig options_;
  Names names_;
  HttpTransport transport_;
  std::atomic<bool> cancelled_{false};
  std::atomic<int64_t> skew_{0};
};

}  // namespace cloud
