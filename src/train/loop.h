// The training run: epochs of mini-batches, evaluation epochs, artifacts, checkpoints, progress.
//
// Artifacts go to <out>/<run>/ in DESIGN.md's storage layout, each written atomically and then
// reported to the listeners (the upload queue of a remote storage). A checkpoint is written at the
// end of every epoch, after that epoch's artifacts: a run killed at any point resumes from the last
// completed epoch and rewrites the same files with the same bytes, so no evaluation epoch is lost
// and no metrics.csv row is missing or repeated.
#pragma once
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "../data/dataset.h"
#include "../storage/storage.h"
#include "config.h"
#include "quality/evaluator.h"
#include "run_state.h"

namespace gan {

struct RunOptions {
  TrainConfig cfg;
  std::string out_dir = "eval";
  std::string run_id;              // empty: the UTC start time, %Y%m%dT%H%M%SZ
  bool resume = false;             // continue <out>/<run_id>/checkpoint
  Json hyperparameters;            // written as hyperparameters.json (every flag)
  const Dataset* train = nullptr;  // required
  const Dataset* eval = nullptr;   // held-out samples for evaluation epochs (train when null)
  RunState* state = nullptr;       // optional: live state for the monitor
  std::vector<ArtifactListener*> listeners;
  std::atomic<bool>* stop = nullptr;  // set (e.g. by SIGINT) to stop after the current mini-batch
  bool quiet = false;              // no progress bar (tests)
  // Where progress goes; a terminal gets a redrawn bar, anything else a line at each tenth of an
  // epoch, at most one per log_progress_seconds.
  std::function<void(const std::string&)> print;
  double log_progress_seconds = 10;
  // Quality metrics (cfg.quality_samples > 0, a labelled dataset): the evaluator is cached in
  // evaluator_cache (the data folder and the app's SHA-256; empty: not cached) and trained for at
  // most evaluator_steps mini-batches (0: the backend's default) and evaluator_max_seconds (0: 60
  // on the CPU, 30 on a GPU).
  quality::EvaluatorCache evaluator_cache;
  int evaluator_steps = 0;
  double evaluator_max_seconds = 0;
};

struct RunResult {
  std::string run_id, run_dir;
  int epochs_done = 0;
  int64_t steps = 0;
  bool interrupted = false;
  double seconds = 0, images_per_sec = 0;
  // What the quality metrics cost: the evaluator (trained or loaded) and every evaluation's metrics.
  double evaluator_seconds = 0, quality_seconds = 0;
};

// Throws std::runtime_error with a one-line message naming what failed (unwritable --out, a
// checkpoint that does not match, ...).
RunResult run_training(Ops& ops, RunOptions& o);

// UTC now as %Y%m%dT%H%M%SZ.
std::string utc_run_id();

}  // namespace gan
