#include "prepare.h"

#include <algorithm>
#include <stdexcept>

#include "../common/fs.h"
#include "common/json.h"
#include "checkpoint.h"

namespace gan {

namespace {

// --resume trains on with the run's saved configuration (but for --epochs); says which of the
// command line's settings that overrides, rather than dropping them silently.
void warn_ignored_on_resume(const TrainConfig& requested, const TrainConfig& saved, const Say& say) {
  const Json defaults = train_config_json(CliOptions().cfg), req = train_config_json(requested),
             kept = train_config_json(saved);
  for (const auto& [key, value] : req.members()) {
    const Json* d = defaults.find(key);
    const Json* k = kept.find(key);
    if (key == "epochs" || !d || !k || d->dump(-1) == value.dump(-1) || k->dump(-1) == value.dump(-1)) continue;
    say("gan: --resume keeps the run's " + key + " = " + k->dump(-1) + "; the command line's " + value.dump(-1) +
        " is ignored (start a new run to change it)\n");
  }
}

// A resumed run's configuration comes from its checkpoint (a longer --epochs may extend it).
void take_saved_config(CliOptions& o, const std::string& run_id, const Say& say) {
  const std::string ck = checkpoint_path(o.out, run_id);
  if (!file_exists(ck)) throw std::runtime_error("--resume " + run_id + ": " + ck + " does not exist (is --out right?)");
  TrainConfig saved;
  read_model_file(ck, &saved);
  if (o.given.count("--epochs")) saved.epochs = o.cfg.epochs;
  if (!saved.dataset.empty()) {
    if (o.given.count("--dataset") && o.dataset != saved.dataset)
      throw std::runtime_error("--dataset " + o.dataset + ": run " + run_id + " trained on " + saved.dataset +
                               "; drop --dataset to resume it, or start a new run for another dataset");
    o.dataset = saved.dataset;
  }
  warn_ignored_on_resume(o.cfg, saved, say);
  o.cfg = saved;
}

// The newest of `paths` by modification time (empty when none exists).
template <class Paths>
std::string newest(const Paths& paths) {
  std::string best;
  int64_t best_t = -1;
  for (const auto& [name, p] : paths) {
    const int64_t t = mtime_ns(p);
    if (t > best_t) best_t = t, best = name;
  }
  return best;
}

}  // namespace

std::string checkpoint_path(const std::string& out, const std::string& run_id) {
  return out + "/" + run_id + "/checkpoint/state.safetensors";
}

std::string latest_run(const std::string& out) {
  std::vector<std::pair<std::string, std::string>> runs;
  for (const std::string& run : list_dir(out)) runs.emplace_back(run, checkpoint_path(out, run));
  return newest(runs);
}

std::string latest_generator(const std::string& out) {
  std::vector<std::pair<std::string, std::string>> gens;
  for (const std::string& run : list_dir(out))
    for (const std::string& epoch : list_dir(out + "/" + run + "/epoch")) {
      const std::string p = out + "/" + run + "/epoch/" + epoch + "/generator.safetensors";
      gens.emplace_back(p, p);
    }
  return newest(gens);
}

RunChoice choose_run(const CliOptions& o) {
  RunChoice c;
  c.run_id = o.run_id;
  if (!o.resume.empty()) {
    c.run_id = o.resume == "latest" ? latest_run(o.out) : o.resume;
    if (c.run_id.empty()) throw std::runtime_error("--resume latest: no run with a checkpoint in " + o.out);
    c.resume = true;
  } else if (o.resume_if_exists && file_exists(checkpoint_path(o.out, o.run_id))) {
    c.resume = true;
  }
  return c;
}

void settle_config(CliOptions& o, const RunChoice& run, bool cuda, const Say& say) {
  if (run.resume) {
    take_saved_config(o, run.run_id, say);
  } else if (!cuda) {
    std::string p = apply_cpu_preset(o);
    if (!p.empty()) say("gan: CPU preset (override any flag to change it): " + p + "\n");
  }
  if (o.cfg.model.arch == "dcgan64" && !o.given.count("--channels") && !run.resume &&
      (o.dataset == "cifar10" || o.dataset.rfind("folder:", 0) == 0))
    o.cfg.model.channels = 3;
  validate_model_config(o.cfg.model);
}

DatasetOptions dataset_options(const CliOptions& o, const std::string& spec, const TrainConfig& cfg,
                               const Downloader& download, const Say& say) {
  DatasetOptions d;
  d.spec = spec;
  d.data_dir = o.data_dir;
  d.size = cfg.model.image_size;
  d.channels = cfg.model.channels;
  d.subset = cfg.subset;
  d.seed = cfg.seed;
  d.allow_download = o.download;
  d.log = [say](const std::string& m) { say("gan: " + m + "\n"); };
  d.download = download;
  return d;
}

bool load_held_out(DatasetOptions opt, const Dataset& train, const std::string& spec, Dataset* held) {
  if (train.name.rfind("folder:", 0) == 0) return false;
  opt.spec = spec;
  opt.train = false;
  opt.subset = 0;
  opt.allow_download = false;
  try {
    *held = load_dataset(opt);
  } catch (const std::exception&) {
    return false;
  }
  return held->n > 0;
}

TrainingData load_training_data(CliOptions& o, const RunChoice& run, const Downloader& download, const Say& say) {
  TrainingData d;
  d.options = dataset_options(o, o.dataset, o.cfg, download, say);
  std::string fallback;
  // A resumed run reloads exactly its own dataset: no quiet fallback to another one.
  const bool explicit_dataset = o.given.count("--dataset") > 0 || (run.resume && !o.cfg.dataset.empty());
  d.train = load_dataset_or_synthetic(d.options, explicit_dataset, &fallback);
  if (!fallback.empty()) say("gan: " + fallback + "\ngan: training on the built-in synthetic dataset instead\n");
  o.cfg.dataset = fallback.empty() ? o.dataset : "synthetic";
  if (!run.resume) {
    std::string p = size_cpu_preset(o, d.train.n);
    if (!p.empty()) say("gan: " + p + "\n");
  }
  d.have_eval = load_held_out(d.options, d.train, fallback.empty() ? o.dataset : "synthetic", &d.eval);
  if (!run.resume) {
    o.cfg.model.num_classes = std::max(2, d.train.num_classes);  // the class head (and label embedding) fit the data
  } else if (d.train.num_classes > o.cfg.model.num_classes) {
    throw std::runtime_error("dataset " + d.train.name + " has " + std::to_string(d.train.num_classes) +
                             " classes but run " + run.run_id + "'s " + o.cfg.model.arch + " was built for " +
                             std::to_string(o.cfg.model.num_classes) +
                             "; resume it on its own dataset, or start a new run");
  }
  return d;
}

}  // namespace gan
