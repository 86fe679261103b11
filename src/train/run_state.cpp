#include "run_state.h"

#include <chrono>

namespace gan {

void RunState::begin(const std::string& run_id, const std::string& hyper) {
  std::lock_guard<std::mutex> lk(mu_);
  run_id_ = run_id;
  hyper_ = hyper;
  progress_.live = true;
  ++version_;
  cv_.notify_all();
}

void RunState::add_batches(const std::vector<BatchRow>& rows, const Progress& p) {
  std::lock_guard<std::mutex> lk(mu_);
  rows_.insert(rows_.end(), rows.begin(), rows.end());
  progress_ = p;
  ++version_;
  cv_.notify_all();
}

void RunState::add_eval(const EvalRow& e) {
  std::lock_guard<std::mutex> lk(mu_);
  evals_.push_back(e);
  ++version_;
  cv_.notify_all();
}

void RunState::set_progress(const Progress& p) {
  std::lock_guard<std::mutex> lk(mu_);
  progress_ = p;
  ++version_;
  cv_.notify_all();
}

void RunState::set_upload_queue(int64_t pending) {
  std::lock_guard<std::mutex> lk(mu_);
  if (upload_queue_ == pending) return;
  upload_queue_ = pending;
  ++version_;
  cv_.notify_all();
}

void RunState::finish() {
  std::lock_guard<std::mutex> lk(mu_);
  progress_.live = false;
  progress_.finished = true;
  ++version_;
  cv_.notify_all();
}

RunState::Snapshot RunState::snapshot(int64_t from_row) const {
  std::lock_guard<std::mutex> lk(mu_);
  Snapshot s;
  s.run_id = run_id_;
  s.hyperparameters_json = hyper_;
  s.total_rows = (int64_t)rows_.size();
  if (from_row < 0) from_row = 0;
  if (from_row < s.total_rows) s.rows.assign(rows_.begin() + from_row, rows_.end());
  s.evals = evals_;
  s.progress = progress_;
  s.upload_queue = upload_queue_;
  s.version = version_;
  return s;
}

uint64_t RunState::version() const {
  std::lock_guard<std::mutex> lk(mu_);
  return version_;
}

uint64_t RunState::wait_for_change(uint64_t seen, int timeout_ms) const {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait_for(lk, std::chrono::milliseconds(timeout_ms), [&] { return version_ != seen; });
  return version_;
}

}  // namespace gan
