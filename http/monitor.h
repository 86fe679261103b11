// The monitor: an HTTP server (cpp-httplib) that shows runs from storage and, when this process
// trains, the live run from its RunState.
//
// Threading: start() registers every route, then listens on its own thread. Each request runs on
// a worker from a fixed pool; a Server-Sent-Events client holds its worker for as long as it stays
// connected, so the pool is sized for `max_event_clients` of those plus headroom for ordinary
// requests, and clients beyond the cap get 503 rather than starving the page's API calls.
// Handlers never touch the trainer: they read RunState snapshots (a copy under its mutex) and
// Storage. The Storage must allow concurrent reads (get/stat/list) from several threads.
#pragma once
#include <memory>
#include <string>

namespace gan {
class Storage;
class RunState;
}  // namespace gan

namespace gan::http {

struct MonitorOptions {
  std::string bind = "0.0.0.0";
  int port = 8080;            // 0: an ephemeral port (tests); port() tells which
  std::string token;          // "" = open; else required as a bearer token or the login cookie
  int poll_seconds = 5;       // how often storage is re-read for new runs and epochs
  int max_event_clients = 64; // concurrent /events streams
  bool quiet = false;         // no startup lines on stderr (tests)
};

// True for 127.0.0.0/8, ::1 and "localhost": addresses other machines cannot reach.
bool is_loopback_address(const std::string& bind);

class MonitorServer {
 public:
  // storage: where runs live (read only). live: the run this process trains, or null (standalone).
  MonitorServer(const MonitorOptions& opts, Storage& storage, const RunState* live);
  ~MonitorServer();  // stops if running
  MonitorServer(const MonitorServer&) = delete;
  MonitorServer& operator=(const MonitorServer&) = delete;

  // Registers the routes and listens on a background thread. Throws std::runtime_error naming the
  // address when it cannot bind (port taken, bad address), std::invalid_argument for a token with
  // characters other than letters, digits, '-' and '_'. Warns on stderr when the address is
  // reachable from other machines and no token is set.
  void start();
  // Closes the listener and every event stream, and joins all threads. Idempotent.
  void stop();
  // Stops a monitor whose live run has ended (RunState::finish was called): publishes the run's
  // final state (its last rows, evaluations and progress with live=false) to the event streams,
  // waits until every connected stream has sent it, at most `linger_ms` and not at all when no
  // page is connected, then stop()s. Returns how many streams were connected.
  int finish(int linger_ms = 2000);
  // Blocks until stop() is called from another thread (standalone `gan --monitor`).
  void wait();
  int port() const;
  // "http://<bind>:<port>/" (with 127.0.0.1 in place of 0.0.0.0), for the startup line.
  std::string url() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gan::http
