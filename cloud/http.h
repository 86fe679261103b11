// The one HTTP transport of every cloud client (S3, Azure Blob, GCS, the metadata services): a
// synchronous libcurl wrapper with nothing cloud-specific (no signing, retries or XML). One easy
// handle per thread is reused, so the connection (and TLS session) to a host stays open. Bodies
// stream from a byte range of a file, so multipart parts never sit in memory; a 2xx response can
// stream to a file. No HTTP answer at all (refused, reset, timed out, stalled, cancelled) throws
// TransportError; every HTTP status is a response.
//
// Refused whoever asks: schemes other than http and https (file://, ftp://, also as redirect
// targets); an `Authorization: Bearer` header over plain http to anything but a loopback host (a
// token in clear text; local test servers and emulators are fine); a response body larger than
// the request allows (Transfer), ended at once rather than filling memory or the disk.
#pragma once
#include <atomic>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cloud {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// `v` trimmed, with each run of the characters in `spaces` inside it folded to one space, as the
// signers canonicalise header values: SigV4's Trimall (" \t") and Azure's unfolding (" \t\r\n").
std::string fold_spaces(const std::string& v, const char* spaces);

// What a request carries and what its answer may be: the body sent, where a 2xx answer goes, the
// response-body limits and the time allowed.
struct Transfer {
  std::string body;            // sent when body_file is empty
  std::string body_file;       // stream this file's bytes [body_offset, body_offset + body_length)
  int64_t body_offset = 0;
  int64_t body_length = -1;    // -1: to the end of the file
  std::string response_file;   // when set, a 2xx response body is written here, not to .body
  long timeout_ms = 0;         // whole request; 0 = none (stall detection still applies)
  // The most response-body bytes accepted, in memory or in response_file, whatever the status;
  // more ends the transfer with ResponseTooLarge. The default suits control calls' XML and JSON.
  int64_t max_body_bytes = 8ll << 20;
  // Above max_body_bytes, a response whose Content-Length declares at most this many bytes may
  // carry them (libcurl stops at the declared length); a chunked body stays within max_body_bytes.
  int64_t max_declared_body_bytes = 0;

  // Sets the two limits for downloading an object (or the range [first, last] of one): a range is
  // exactly its length; a whole object as large as its Content-Length says, up to 4 GiB in memory
  // and 5 TiB (S3's largest) in a file; 64 MiB when the server states no length.
  void expect_object(bool to_file, std::optional<std::pair<int64_t, int64_t>> range = std::nullopt) {
    const bool ranged = range && range->first >= 0 && range->second >= range->first;
    max_body_bytes = ranged ? range->second - range->first + 1 : 64ll << 20;
    max_declared_body_bytes = ranged ? 0 : to_file ? 5ll << 40 : 4ll << 30;
  }
};

struct HttpRequest : Transfer {
  std::string method = "GET";
  std::string url;  // already encoded: scheme://host[:port]/path?query
  KeyValues headers;
  // The transfer stops within about a second of *cancel turning true, also while waiting for an
  // answer: TransportError with cancelled set.
  const std::atomic<bool>* cancel = nullptr;
  // Ignore http_proxy / HTTPS_PROXY: the metadata services (169.254.169.254,
  // metadata.google.internal) are link-local, and a proxy would see the credentials they hand out.
  bool no_proxy = false;
};

struct HttpResponse {
  long status = 0;
  KeyValues headers;  // names lowercased, in arrival order
  std::string body;
  std::string header(const std::string& lowercase_name) const;  // the first one, or ""
};

struct TransportError : std::runtime_error {
  TransportError(const std::string& what, bool timed_out, bool cancelled = false)
      : std::runtime_error(what), timed_out(timed_out), cancelled(cancelled) {}
  const bool timed_out, cancelled;  // cancelled: HttpRequest::cancel stopped it
};

// A response body went past its Transfer's limits: not a network failure, so not retried; what() names the URL.
struct ResponseTooLarge : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A request the transport refuses to send: not an http(s) URL, or a bearer token in clear text.
struct InsecureRequest : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct TransportOptions {
  long connect_timeout_ms = 10000;
  // Slower than low_speed_bytes per second for low_speed_seconds is a stall: abort (and let the
  // caller retry) rather than hang a background upload forever.
  long low_speed_bytes = 1;
  long low_speed_seconds = 30;
  // A PEM file of CA certificates trusted instead of the system's (a TLS-inspecting proxy, a private endpoint,
  // a test server); "" = CURL_CA_BUNDLE's file when set (curl's variable, which libcurl does not read), else the system's.
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
