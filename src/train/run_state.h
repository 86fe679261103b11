// Run state: what a monitor shows about the run in this process, behind a mutex.
//
// The trainer appends mini-batch rows and evaluation summaries; readers (the HTTP monitor) take
// snapshots and can wait for changes. Appends are O(1) amortised and never block on readers for
// longer than a vector copy of the rows they asked for.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace gan {

// One mini-batch: the reference's first columns, then ours.
struct BatchRow {
  int epoch = 0, epochs = 0, batch = 0, batches = 0;  // epoch 1-based, batch 1-based
  int64_t step = 0;                                   // global mini-batch index, 1-based
  float d_loss_real = 0, d_loss_fake = 0, g_loss = 0, class_loss = 0;
  float d_acc_real = 0, d_acc_fake = 0, class_acc = 0;
  float seconds = 0;
};

// One evaluation epoch (summary.json).
struct EvalRow {
  int epoch = 0, epochs = 0;
  float d_loss_real = 0, d_loss_fake = 0, g_loss = 0, class_loss = 0;
  float real_acc = 0, fake_acc = 0, class_acc = 0;
  double elapsed = 0, images_per_sec = 0;
};

// The rows of a stored run: parses one metrics.csv (written by train/artifacts/csv.h, which also
// holds this reader). It maps columns by header name, so it reads the reference's seven-column
// files (missing values become NaN, missing counters 0) and files with extra or reordered columns.
// `source` names the file in errors ("<source>:<line>: ..."). A row's step is recomputed as
// (epoch-1)*batches + batch, since the file does not store it.
std::vector<BatchRow> parse_metrics_csv(const std::string& text, const std::string& source);

struct Progress {
  int epoch = 0, epochs = 0, batch = 0, batches = 0;
  double images_per_sec = 0, eta_seconds = 0, elapsed = 0;
  bool live = false;  // training is running in this process
  bool finished = false;
};

class RunState {
 public:
  void begin(const std::string& run_id, const std::string& hyperparameters_json);
  void add_batches(const std::vector<BatchRow>& rows, const Progress& p);
  void add_eval(const EvalRow& e);
  void set_progress(const Progress& p);
  void set_upload_queue(int64_t pending);
  void finish();

  struct Snapshot {
    std::string run_id, hyperparameters_json;
    std::vector<BatchRow> rows;  // rows with index >= from
    int64_t total_rows = 0;
    std::vector<EvalRow> evals;
    Progress progress;
    int64_t upload_queue = 0;
    uint64_t version = 0;
  };
  Snapshot snapshot(int64_t from_row = 0) const;
  uint64_t version() const;
  // Blocks until version() != seen or the timeout passes; returns the current version.
  uint64_t wait_for_change(uint64_t seen, int timeout_ms) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::string run_id_, hyper_;
  std::vector<BatchRow> rows_;
  std::vector<EvalRow> evals_;
  Progress progress_;
  int64_t upload_queue_ = 0;
  uint64_t version_ = 0;
};

}  // namespace gan
