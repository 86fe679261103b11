#include "http/events.h"

#include <chrono>

#include "http/api.h"
#include "http/paths.h"
#include "http/worker_pool.h"

namespace gan::http {

void EventHub::publish(const std::string& run, const std::string& type, const std::string& data) {
  std::lock_guard<std::mutex> lk(mu_);
  ring_.push_back(Event{next_id_++, run, type, data});
  while (ring_.size() > capacity_) ring_.pop_front();
  cv_.notify_all();
}

std::vector<Event> EventHub::wait(uint64_t after, int timeout_ms, bool* gap) {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait_for(lk, std::chrono::milliseconds(timeout_ms), [&] { return closed_ || next_id_ - 1 > after; });
  std::vector<Event> out;
  *gap = !ring_.empty() && ring_.front().id > after + 1;
  for (const Event& e : ring_) {
    if (e.id > after) out.push_back(e);
  }
  return out;
}

uint64_t EventHub::last_id() const {
  std::lock_guard<std::mutex> lk(mu_);
  return next_id_ - 1;
}

void EventHub::close() {
  std::lock_guard<std::mutex> lk(mu_);
  closed_ = true;
  cv_.notify_all();
}

bool EventHub::closed() const {
  std::lock_guard<std::mutex> lk(mu_);
  return closed_;
}

void EventSources::start() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = false;
  }
  if (cat_.live()) live_thread_ = std::thread([this] {
    lower_thread_priority();
    live_loop();
  });
  poll_thread_ = std::thread([this] {
    lower_thread_priority();
    poll_loop();
  });
}

void EventSources::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (live_thread_.joinable()) live_thread_.join();
  if (poll_thread_.joinable()) poll_thread_.join();
}

bool EventSources::sleep_ms(int ms) {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait_for(lk, std::chrono::milliseconds(ms), [&] { return stopping_; });
  return !stopping_;
}

void EventSources::watch(const std::string& run) {
  std::lock_guard<std::mutex> lk(mu_);
  ++watched_[run];
}

void EventSources::unwatch(const std::string& run) {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = watched_.find(run);
  if (it != watched_.end() && --it->second <= 0) watched_.erase(it);
}

void EventSources::init_live_locked() {
  if (live_init_) return;
  RunState::Snapshot first = cat_.live()->snapshot(INT64_MAX);
  sent_rows_ = first.total_rows;
  sent_evals_ = first.evals.size();
  live_run_ = first.run_id;
  live_version_ = first.version;
  live_init_ = true;
}

void EventSources::publish_live() {
  const RunState* live = cat_.live();
  if (!live) return;
  std::lock_guard<std::mutex> lk(live_mu_);
  init_live_locked();
  // Rows per event: beyond this the page re-fetches the (downsampled) series instead.
  constexpr int64_t kMaxRowsPerEvent = 2000;
  RunState::Snapshot s = live->snapshot(sent_rows_);
  if (s.run_id != live_run_) {  // begin() of a (new) run in this process
    live_run_ = s.run_id;
    sent_rows_ = 0;
    sent_evals_ = 0;
    hub_.publish("", "runs", "{}");
    s = live->snapshot(0);
  }
  const std::string& run = live_run_;
  if (s.total_rows < sent_rows_) sent_rows_ = 0;
  if (s.total_rows > sent_rows_) {
    const bool all = (int64_t)s.rows.size() <= kMaxRowsPerEvent && (int64_t)s.rows.size() == s.total_rows - sent_rows_;
    hub_.publish(run, "batches", batches_event_json(run, s.total_rows, all ? &s.rows : nullptr));
    sent_rows_ = s.total_rows;
  }
  for (size_t i = sent_evals_; i < s.evals.size(); ++i) {
    hub_.publish(run, "eval", run_event_json(run, "epoch", s.evals[i].epoch));
  }
  sent_evals_ = s.evals.size();
  live_version_ = s.version;
  hub_.publish(run, "progress", progress_json(s));
}

void EventSources::live_loop() {
  const RunState* live = cat_.live();
  uint64_t version;
  {
    std::lock_guard<std::mutex> lk(live_mu_);
    init_live_locked();
    version = live_version_;
  }
  while (true) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (stopping_) return;
    }
    uint64_t v = live->wait_for_change(version, 250);
    if (v == version) continue;
    version = v;
    publish_live();
    if (!sleep_ms(200)) return;  // coalesce: at most ~5 events per second per kind
  }
}

void EventSources::poll_storage() {
  std::lock_guard<std::mutex> plk(poll_mu_);
  try {
    std::vector<std::string> runs = cat_.runs();
    std::set<std::string> now(runs.begin(), runs.end());
    if (runs_known_ && now != known_runs_) hub_.publish("", "runs", "{}");
    known_runs_ = now;
    runs_known_ = true;
    std::vector<std::string> watched;
    {
      std::lock_guard<std::mutex> lk(mu_);
      for (const auto& w : watched_) watched.push_back(w.first);
    }
    for (const std::string& run : watched) {
      if (!is_safe_segment(run)) continue;
      const std::string prefix = run + "/epoch/";
      std::string sig;
      std::set<int> epochs;
      for (const ObjectInfo& o : cat_.storage().list(prefix)) {
        sig += o.key + ":" + std::to_string(o.size) + ":" + std::to_string(o.mtime) + ";";
        size_t slash = o.key.find('/', prefix.size());
        if (slash == std::string::npos) continue;
        int e = parse_epoch(o.key.substr(prefix.size(), slash - prefix.size()));
        if (e >= 0) epochs.insert(e);
      }
      auto known = known_files_.find(run);
      if (known != known_files_.end()) {
        for (int e : epochs) {
          if (!known_epochs_[run].count(e)) {
            hub_.publish(run, "eval", run_event_json(run, "epoch", e));
          }
        }
        if (known->second != sig) cat_.invalidate(run);
        if (known->second != sig) hub_.publish(run, "files", run_event_json(run));
      }
      known_files_[run] = sig;
      known_epochs_[run] = epochs;
    }
  } catch (const std::exception&) {
    // Storage unreachable for a moment: the next poll tries again; the API reports errors.
  }
}

void EventSources::poll_loop() {
  while (true) {
    poll_storage();
    if (!sleep_ms(poll_ms_)) return;
  }
}

}  // namespace gan::http
