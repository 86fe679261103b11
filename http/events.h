// Live updates: an event log that Server-Sent-Events streams read, and the two things that feed it.
//
// The hub is a bounded ring of events with increasing ids; each SSE stream remembers the last id
// it sent and waits on the hub's condition variable, so a slow client never holds up the
// producers or other clients (it only falls behind, and a client that falls out of the ring is
// told to reload). The SSE "id:" field is the event id, so a browser that reconnects resumes
// where it left off (Last-Event-ID).
//
// Producers: LiveWatcher waits on the live RunState (wait_for_change) and publishes new
// mini-batch rows, evaluations and progress at most every 200 ms; StoragePoller re-lists storage
// every poll_seconds and publishes new runs, new epochs and changed epoch files, which is how a
// standalone monitor (`gan --monitor`) and runs written by other processes update live too.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http/run_catalog.h"

namespace gan::http {

struct Event {
  uint64_t id = 0;
  std::string run;   // "" = about every run (the run list)
  std::string type;  // batches | eval | progress | files | runs
  std::string data;  // JSON
};

class EventHub {
 public:
  explicit EventHub(size_t capacity = 4096) : capacity_(capacity) {}
  void publish(const std::string& run, const std::string& type, const std::string& data);
  // Events with id > after; waits up to timeout_ms when there are none. *gap is set when events
  // after `after` were already dropped from the ring.
  std::vector<Event> wait(uint64_t after, int timeout_ms, bool* gap);
  uint64_t last_id() const;
  // Wakes every waiter; later waits return at once.
  void close();
  bool closed() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> ring_;
  size_t capacity_;
  uint64_t next_id_ = 1;
  bool closed_ = false;
};

// Runs the producers on their own threads.
class EventSources {
 public:
  EventSources(RunCatalog& cat, EventHub& hub, int poll_seconds)
      : cat_(cat), hub_(hub), poll_ms_(std::max(1, poll_seconds) * 1000) {}
  ~EventSources() { stop(); }
  void start();
  void stop();
  // Runs that have a connected client are polled for epochs and files (counted).
  void watch(const std::string& run);
  void unwatch(const std::string& run);
  // One storage poll now (tests call it instead of waiting poll_seconds).
  void poll_storage();
  // Publishes what changed in the live run since the last call (new rows, evaluations) and its
  // progress. The live thread calls it on every change; MonitorServer::finish calls it once more
  // after training ended, so open pages get the final state (progress with live=false).
  void publish_live();

 private:
  void live_loop();
  void init_live_locked();
  void poll_loop();
  bool sleep_ms(int ms);  // false when stopping

  RunCatalog& cat_;
  EventHub& hub_;
  int poll_ms_;
  std::thread live_thread_, poll_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, int> watched_;
  std::mutex poll_mu_;  // one poll at a time
  bool runs_known_ = false;
  std::set<std::string> known_runs_;
  std::map<std::string, std::string> known_files_;  // run → signature of its epoch/ listing
  std::map<std::string, std::set<int>> known_epochs_;
  // What publish_live has sent so far (rows present when the monitor started are not re-sent:
  // pages load those through the API).
  std::mutex live_mu_;
  bool live_init_ = false;
  int64_t sent_rows_ = 0;
  size_t sent_evals_ = 0;
  std::string live_run_;
  uint64_t live_version_ = 0;
};

}  // namespace gan::http
