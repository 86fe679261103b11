// The one HTTP transport every cloud client here uses (S3, Azure Blob, GCS and the metadata services).
//
// A synchronous libcurl wrapper: one easy handle per thread, reused across requests so the
// connection (and TLS session) to a host stays open; nothing cloud-specific (no signing, no
// retries, no XML). Bodies stream from a byte range of a file so multipart parts never sit in
// memory, and a successful response can stream to a file. A failure to get any HTTP answer
// (refused, reset, timed out, stalled, cancelled) throws TransportError; every HTTP status is a
// response. CURL_CA_BUNDLE (curl's own variable; libcurl itself does not read it) is honoured
// here, so every remote — S3, Azure Blob, GCS, and the metadata services — trusts the same CAs.
//
// What it refuses, whoever asks: schemes other than http and https (file://, ftp://, ... and
// redirects to them); an `Authorization: Bearer` header over plain http to anything but a
// loopback host (a token in clear text; local test servers and emulators on 127.0.0.1 are fine);
// and a response body larger than the request allows (see HttpRequest::max_body_bytes), which
// ends the transfer at once with ResponseTooLarge rather than filling memory or the disk.
#pragma once
#include <atomic>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cloud {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;
using KeyValues = std::vector<std::pair<std::string, std::string>>;

// RFC 3986 percent-encoding: every byte but A-Z a-z 0-9 - . _ ~ (and '/' unless encode_slash)
// as %XX, uppercase; what SigV4's canonical request and Azure's URLs both expect.
std::string uri_encode(const std::string& s, bool encode_slash);
// `v` trimmed, with each run of the characters in `spaces` inside it folded to one space, as the
// signers canonicalise header values: SigV4's Trimall (" \t") and Azure's unfolding (" \t\r\n").
std::string fold_spaces(const std::string& v, const char* spaces);

// The response-body limits of a request; the S3, Blob and GCS clients' calls carry them too and
// hand them to the HttpRequest they build.
struct BodyLimits {
  static constexpr int64_t kMaxControlBody = 8ll << 20;
  // Object downloads: a range is exactly its length; a whole object may be as large as its
  // Content-Length says, up to these (an object in memory, one written to a file: S3's largest);
  // 64 MiB when the server states no length.
  static constexpr int64_t kMaxObjectUndeclared = 64ll << 20;
  static constexpr int64_t kMaxObjectInMemory = 4ll << 30;
  static constexpr int64_t kMaxObjectToFile = 5ll << 40;

  // The most response-body bytes the request accepts, in memory or in response_file, whatever
  // the status: more ends the transfer with ResponseTooLarge. The default suits the XML and JSON
  // of control calls (listings, errors, tokens); an object download sets what it expects.
  int64_t max_body_bytes = kMaxControlBody;
  // When above max_body_bytes: a response whose Content-Length declares at most this many bytes
  // may carry them (the size the server states for the object asked for; libcurl stops at the
  // declared length). A body without a Content-Length (chunked) stays within max_body_bytes.
  int64_t max_declared_body_bytes = 0;

  // Sets the two limits for downloading an object (or the range [first, last] of one).
  void expect_object(bool to_file, std::optional<std::pair<int64_t, int64_t>> range = std::nullopt) {
    const bool ranged = range && range->first >= 0 && range->second >= range->first;
    max_body_bytes = ranged ? range->second - range->first + 1 : kMaxObjectUndeclared;
    max_declared_body_bytes = ranged ? 0 : to_file ? kMaxObjectToFile : kMaxObjectInMemory;
  }
};

struct HttpRequest : BodyLimits {
  std::string method = "GET";
  std::string url;  // already encoded: scheme://host[:port]/path?query
  HttpHeaders headers;
  std::string body;            // sent when body_file is empty
  std::string body_file;       // stream this file's bytes [body_offset, body_offset + body_length)
  int64_t body_offset = 0;
  int64_t body_length = -1;    // -1: to the end of the file
  std::string response_file;   // when set, a 2xx response body is written here, not to .body
  long timeout_ms = 0;         // whole request; 0 = none (stall detection still applies)
  // When set, the transfer stops within about a second of *cancel turning true (libcurl's
  // progress callback polls it, also while waiting for an answer): TransportError, cancelled().
  const std::atomic<bool>* cancel = nullptr;
  // Go straight to the host even when http_proxy / HTTPS_PROXY are set: the instance metadata
  // services (169.254.169.254, metadata.google.internal) are link-local, and a proxy in between
  // would see the credentials they hand out.
  bool no_proxy = false;
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;  // names lowercased, in arrival order
  std::string body;
  // The first header named `lowercase_name`, or "".
  std::string header(const std::string& lowercase_name) const;
};

class TransportError : public std::runtime_error {
 public:
  TransportError(const std::string& what, bool timed_out, bool cancelled = false)
      : std::runtime_error(what), timed_out_(timed_out), cancelled_(cancelled) {}
  bool timed_out() const { return timed_out_; }
  bool cancelled() const { return cancelled_; }  // HttpRequest::cancel stopped it

 private:
  bool timed_out_, cancelled_;
};

// A response body went past HttpRequest::max_body_bytes (or its declared length past
// max_declared_body_bytes): not a network failure, so not retried; what() names the URL.
struct ResponseTooLarge : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A request the transport will not send: not an http(s) URL, or a bearer token over plain http
// to a remote host.
struct InsecureRequest : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// unix seconds → UTC text in a strftime format ("%Y%m%dT%H%M%SZ", "%a, %d %b %Y %H:%M:%S GMT";
// the names of days and months are the C locale's, English, as HTTP and the signers want).
std::string utc_time(int64_t unix_seconds, const char* format);
// The environment variable's value, or "" when unset.
std::string env(const char* name);

// RFC 1123 HTTP date ("Thu, 26 Nov 2026 10:30:18 GMT") → unix seconds; -1 when unparsable.
int64_t parse_http_date(const std::string& text);

// True for "localhost", 127.0.0.0/8 and [::1]: hosts a token sent in clear text never leaves.
bool is_loopback_host(const std::string& host);

struct TransportOptions {
  long connect_timeout_ms = 10000;
  // A transfer slower than low_speed_bytes per second for low_speed_seconds is a stall: abort it
  // (and let the caller retry) rather than hang a background upload forever.
  long low_speed_bytes = 1;
  long low_speed_seconds = 30;
  // The PEM file of CA certificates trusted instead of the system's (a TLS-inspecting proxy, a
  // private endpoint, a test server). "" = the file CURL_CA_BUNDLE names when it is set, else
  // the system's bundle.
  std::string ca_file;
};

class HttpTransport {
 public:
  // Throws std::invalid_argument naming CURL_CA_BUNDLE when options.ca_file is "" and the
  // variable names a file that cannot be read (rather than failing every HTTPS request later).
  explicit HttpTransport(TransportOptions options = {});
  HttpResponse perform(const HttpRequest& request) const;

 private:
  TransportOptions options_;
};

}  // namespace cloud
