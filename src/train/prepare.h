// What ./gan --train decides before the loop starts, with no storage or network in sight: which run
// it trains (a new one, or one --resume names), the configuration it trains with (the checkpoint's
// for a resumed run, the CPU preset on a CPU) and the data (the training set, its held-out split).
// The command (src/app/train_command.cpp) adds what needs storage: fetching a checkpoint from a
// bucket, the upload queue, the monitor.
#pragma once
#include <functional>
#include <string>

#include "../cli.h"
#include "../data/dataset.h"

namespace gan {

using Say = std::function<void(const std::string&)>;  // a whole line, "gan: " included

// <out>/<run_id>/checkpoint/state.safetensors
std::string checkpoint_path(const std::string& out, const std::string& run_id);
// The run in `out` whose checkpoint was written last (run names need not sort by age: --run-id).
std::string latest_run(const std::string& out);
// The generator.safetensors written last, over every epoch of every run in `out`.
std::string latest_generator(const std::string& out);

struct RunChoice {
  std::string run_id;   // empty until decided: the caller names a new run (utc_run_id)
  bool resume = false;  // continue <out>/<run_id>/checkpoint
};

// --resume RUN|latest and --resume-if-exists against the local run folder (o.out).
RunChoice choose_run(const CliOptions& o);

// The configuration the run trains with, into o.cfg (and o.dataset): a resumed run's from its
// checkpoint (a longer --epochs may extend it; other flags are reported as ignored), else the CPU
// preset on a CPU; then dcgan64's channels for colour data, validated.
void settle_config(CliOptions& o, const RunChoice& run, bool cuda, const Say& say);

// The DatasetOptions of --dataset, --data-dir, --download and the configuration `cfg`.
DatasetOptions dataset_options(const CliOptions& o, const std::string& spec, const TrainConfig& cfg,
                               const Downloader& download, const Say& say);

// The held-out split (the test set) of the dataset `train` was loaded from with `opt`; `spec`
// names the dataset actually loaded. False when there is none (image folders): evaluation and the
// quality metrics' real sample then come from the training set.
bool load_held_out(DatasetOptions opt, const Dataset& train, const std::string& spec, Dataset* held);

struct TrainingData {
  DatasetOptions options;
  Dataset train, eval;
  bool have_eval = false;
};

// The run's data: --dataset (or the synthetic set when the implicit default cannot be had), the
// preset sized to it, the class count fitted to it (a resumed run must have room for its classes).
TrainingData load_training_data(CliOptions& o, const RunChoice& run, const Downloader& download, const Say& say);

}  // namespace gan
