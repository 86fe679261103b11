// cpp-httplib's Server with the limits a port open to strangers needs. httplib 0.11.4 has a
// per-read timeout but no deadline for a whole request, no cap on connections per client and no
// cap on what a request's head may hold; each connection holds a worker and a file descriptor,
// which the trainer shares. This subclass takes over the per-connection loop (httplib's
// process_and_close_socket is virtual) and reads through its own Stream:
//   - the request (line, headers and body) must arrive within `header_timeout_ms` and
//     `max_request_bytes` of the first byte; a slow client is dropped (no reply);
//   - at most `max_per_client` connections per client address: more are answered 429 and closed;
//   - a connection that finds the worker pool's queue full (WorkerPool::overflowing) is answered
//     503 and closed on the spot;
//   - a request with more than one range is served whole (200): httplib would build a multipart
//     response from every range, however many.
// Together with WorkerPool's fixed threads and bounded queue, the monitor never holds more than
// workers + queue + 1 connections, whatever arrives.
#pragma once
#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "http/httplib_inc.h"

namespace gan::http {

struct ConnectionLimits {
  int header_timeout_ms = 5000;
  size_t max_request_bytes = 128 * 1024;  // request line + headers + body (64 KiB of it at most)
  int max_per_client = 64;
};

class GuardedServer : public httplib::Server {
 public:
  ConnectionLimits limits;
  // Connections being served now (tests and /metrics).
  int open_connections() const { return open_.load(); }
  uint64_t refused_connections() const { return refused_.load(); }

 private:
  bool process_and_close_socket(socket_t sock) override;
  std::atomic<int> open_{0};
  std::atomic<uint64_t> refused_{0};
  std::mutex mu_;
  std::map<std::string, int> per_client_;
};

// Answers `status` with a one-line body and closes `sock`, without blocking (the accept thread
// calls it when the queue is full).
void refuse_connection(int sock, int status, const char* reason, const char* body);

}  // namespace gan::http
