// The one HTTP transport every cloud client here uses (S3, Azure Blob, GCS and the metadata services).
//
// A synchronous libcurl wrapper: one easy handle per thread, reused across requests so the
// connection (and TLS session) to a host stays open; nothing cloud-specific (no signing, no
// retries, no XML). Bodies stream from a byte range of a file so multipart parts never sit in
// memory, and a successful response can stream to a file. A failure to get any HTTP answer
// (refused, reset, timed out, stalled, cancelled) throws TransportError; every HTTP status is a
// response. CURL_CA_BUNDLE (curl's own variable; libcurl itself does not read it) is honoured
// here, so every remote — S3, Azure Blob, GCS, and the metadata services — trusts the same CAs.
#pragma once
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace aws {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
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
  bool timed_out_;
  bool cancelled_;
};

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
  const TransportOptions& options() const { return options_; }

 private:
  TransportOptions options_;
};

}  // namespace aws
