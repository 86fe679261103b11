// ./gan: the command line. Composes the training core, storage and the monitor; the only place
// (besides tests) that wires them together.
#include <omp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <iostream>
#include <memory>
#include <thread>

#include "cli.h"
#include "data/dataset.h"
#include "nn/model.h"
#include "ref/ops.h"
#include "../http/monitor.h"
#include "storage/local.h"
#include "storage/open.h"
#include "storage/storage.h"
#include "storage/upload_queue.h"
#include "train/artifacts/atomic_file.h"
#include "train/artifacts/png.h"
#include "train/checkpoint.h"
#include "train/loop.h"
#include "train/quality/evaluator.h"
#include "train/quality/metrics.h"

using namespace gan;

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
  if (g_stop.exchange(true)) _exit(130);  // a second Ctrl-C stops at once
  const char msg[] = "\ngan: stopping after this mini-batch (Ctrl-C again to quit at once)\n";
  ssize_t r = write(2, msg, sizeof msg - 1);
  (void)r;
}

void say(const std::string& s) {
  std::fputs(s.c_str(), stderr);
  std::fflush(stderr);
}

bool file_exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

// Resolves --device into a backend and says what it picked.
std::unique_ptr<Ops> open_device(CliOptions& o) {
  std::string why;
  if (o.device == "cuda") return make_cuda_ops(0);
  if (o.device == "auto" && cuda_available(&why)) return make_cuda_ops(0);
  if (o.threads > 0) omp_set_num_threads(o.threads);
  if (o.device == "auto") say("gan: no GPU (" + why + "): training on the CPU\n");
  return make_cpu_ops();
}

// Modification time in nanoseconds; -1 when `p` does not exist.
int64_t mtime_ns(const std::string& p) {
  struct stat st;
  if (stat(p.c_str(), &st) != 0) return -1;
  return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

// The entries of folder `dir` but for hidden ones (none when it does not exist).
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    closedir(d);
  }
  return names;
}

// The run in `out` whose checkpoint was written last (run names need not sort by age: --run-id).
std::string latest_run(const std::string& out) {
  std::string best;
  int64_t best_t = -1;
  for (const std::string& run : list_dir(out)) {
    const int64_t t = mtime_ns(out + "/" + run + "/checkpoint/state.safetensors");
    if (t > best_t) best_t = t, best = run;
  }
  return best;
}

// The generator.safetensors written last, over every epoch of every run in `out`.
std::string latest_generator(const std::string& out) {
  std::string best;
  int64_t best_t = -1;
  for (const std::string& run : list_dir(out))
    for (const std::string& epoch : list_dir(out + "/" + run + "/epoch")) {
      const std::string p = out + "/" + run + "/epoch/" + epoch + "/generator.safetensors";
      const int64_t t = mtime_ns(p);
      if (t > best_t) best_t = t, best = p;
    }
  return best;
}

// --resume trains on with the run's saved configuration (but for --epochs); says which of the
// command line's settings that overrides, rather than dropping them silently.
void warn_ignored_on_resume(const TrainConfig& requested, const TrainConfig& saved) {
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

int cmd_summary(CliOptions& o) {
  std::unique_ptr<Ops> ops = make_cpu_ops();  // shapes only: the CPU reference serves any device
  validate_model_config(o.cfg.model);
  auto G = make_generator(*ops, o.cfg.model, 1, o.cfg.seed);
  auto D = make_discriminator(*ops, o.cfg.model, 1, o.cfg.seed);
  const ModelConfig& m = o.cfg.model;
  std::cout << "model " << m.arch << "\n\n"
            << model_summary(*G, m.arch == "acgan28" ? std::vector<int>{m.latent_dim} : std::vector<int>{m.latent_dim, 1, 1})
            << "\n"
            << model_summary(*D, {m.channels, m.image_size, m.image_size}) << "\n"
            << "total: " << G->params().params().size() + D->params().params().size() << " tensors, "
            << G->params().count() + D->params().count() << " trainable parameters\n";
  return 0;
}

int cmd_generate(CliOptions& o) {
  const std::string runs_dir = o.given.count("--out") ? "eval" : o.out;
  std::string path = o.checkpoint.empty() ? latest_generator(runs_dir) : resolve_checkpoint(o.checkpoint, runs_dir);
  if (path.empty())
    throw std::runtime_error("--generate: no --checkpoint given and no run with a generator.safetensors in eval/; "
                             "pass --checkpoint eval/<run>/epoch/<N>/generator.safetensors");
  std::string png = o.given.count("--out") ? o.out : "generated.png";
  if (png.size() < 4 || png.substr(png.size() - 4) != ".png")
    throw std::runtime_error("--out: '" + png + "' must name a .png file when generating");
  TrainConfig cfg;
  safetensors::File f = read_model_file(path, &cfg);
  const ModelConfig& m = cfg.model;
  std::vector<int> labels = o.labels;
  if (labels.empty())
    for (int c = 0; c < (m.arch == "acgan28" ? m.num_classes : 10); ++c) labels.push_back(c);
  for (int l : labels)
    if (l >= m.num_classes)
      throw std::runtime_error("--labels: class " + std::to_string(l) + " does not exist (the model has " +
                               std::to_string(m.num_classes) + " classes: 0.." + std::to_string(m.num_classes - 1) + ")");
  int rows = o.n, cols = (int)labels.size(), n = rows * cols;
  std::unique_ptr<Ops> ops = open_device(o);
  auto G = make_generator(*ops, m, n, cfg.seed);
  bool is_checkpoint = f.metadata.count("format") && f.metadata.at("format") == "gan-checkpoint";
  load_model(*G, f, is_checkpoint ? "G." : "", false, path);
  std::vector<float> noise((size_t)rows * m.latent_dim), z((size_t)n * m.latent_dim);
  ref::randn(noise.data(), (int64_t)noise.size(), 0.0f, 1.0f, o.cfg.seed ^ 0x67656eULL, 0);
  std::vector<int32_t> y(n);
  for (int i = 0; i < n; ++i) {
    y[i] = labels[i % cols];
    std::copy(noise.begin() + (i / cols) * m.latent_dim, noise.begin() + (i / cols + 1) * m.latent_dim,
              z.begin() + (size_t)i * m.latent_dim);
  }
  Tensor zt(*ops, {n, m.latent_dim}), yt(*ops, {n}, DType::I32);
  zt.from_host(z);
  yt.from_host_i32(y);
  Tensor img = G->forward(zt, yt, Mode::Eval);
  const int pad = 2, S = m.image_size;
  int h = rows * S + (rows - 1) * pad, w = cols * S + (cols - 1) * pad;
  Tensor grid(*ops, {h, w, m.channels}, DType::U8);
  ops->image_grid(grid.u8(), img.f32(), n, m.channels, S, S, rows, cols, pad);
  std::vector<uint8_t> px(grid.numel());
  ops->copy_to_host(px.data(), grid.u8(), px.size());
  write_file_atomic(png, encode_png(w, h, m.channels, px.data()));
  say("gan: wrote " + png + " (" + std::to_string(rows) + " × " + std::to_string(cols) + " images from " + path + ")\n");
  return 0;
}

StorageOptions remote_options(const CliOptions& o) {
  return storage_options(o.s3_endpoint, o.region, o.azure_endpoint);
}

gan::http::MonitorOptions monitor_options(const CliOptions& o) {
  gan::http::MonitorOptions m;
  m.bind = o.monitor_bind;
  m.port = o.monitor_port;
  m.token = o.monitor_token;
  m.poll_seconds = o.monitor_poll;
  return m;
}

// The monitor while training: it reads the local run folder (every artifact lands there first)
// and the live RunState. A monitor that cannot start does not stop training.
std::unique_ptr<gan::http::MonitorServer> start_monitor(const CliOptions& o, Storage& local, const RunState* state) {
  gan::http::MonitorOptions m = monitor_options(o);
  auto server = std::make_unique<gan::http::MonitorServer>(m, local, state);
  try {
    server->start();
  } catch (const std::exception& e) {
    say(std::string("gan: monitor not started: ") + e.what() +
        " (training goes on; choose another --monitor-port, or --no-monitor)\n");
    return nullptr;
  }
  return server;
}

// "gan: uploading: 3 of 12 done, 40 s of --upload-timeout 600; now <key>" (for logs, not a tty).
std::string drain_line(const UploadQueue::DrainProgress& p, double timeout_s) {
  return "gan: uploading: " + std::to_string(p.done) + " of " + std::to_string(p.total) + " done, " +
         std::to_string((int64_t)p.elapsed_s) + " s of --upload-timeout " + std::to_string((int64_t)timeout_s) +
         (p.current.empty() ? "" : "; now " + p.current);
}

// Why an artifact is still queued, as the end-of-run list says it.
std::string not_uploaded_reason(const UploadQueue::Item& it) {
  if (!it.last_error.empty()) return it.last_error + (it.in_flight ? " (was being retried when the wait ended)" : "");
  if (it.in_flight) return "in flight: its first attempt had not finished when --upload-timeout passed";
  return "not attempted yet";
}

// A word as the shell reads it back: quoted unless it is plainly safe.
std::string shell_word(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s) plain &= std::isalnum((unsigned char)c) || std::strchr("-_./:=@%+,", c) != nullptr;
  if (plain) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// " FLAG VALUE" as the shell reads it back; nothing for an empty value.
std::string flag_word(const char* flag, const std::string& value) {
  return value.empty() ? "" : std::string(" ") + flag + " " + shell_word(value);
}

// --storage and every flag that says how to reach it, for a printed command.
std::string storage_words(const CliOptions& o) {
  return flag_word("--storage", o.storage) + flag_word("--s3-endpoint", o.s3_endpoint) +
         flag_word("--region", o.region) + flag_word("--azure-endpoint", o.azure_endpoint);
}

// The command that resumes `run_id` and sends its queued uploads: the same run folder (the journal
// is there), the same storage and every flag that says how to reach it.
std::string resume_command(const CliOptions& o, const std::string& run_id) {
  return "./gan --train --resume " + shell_word(run_id) + storage_words(o) + flag_word("--out", o.out) +
         (o.given.count("--data-dir") ? flag_word("--data-dir", o.data_dir) : "");
}

// The held-out split (the test set) of the dataset `train` was loaded from with `opt`; `spec`
// names the dataset actually loaded. False when there is none (image folders): evaluation and the
// quality metrics' real sample then come from the training set.
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

int cmd_train(CliOptions& o) {
  std::shared_ptr<Storage> remote;
  if (!o.storage.empty()) {
    std::string s = o.storage;
    if (!is_remote_url(s)) {
      o.out = s.rfind("file://", 0) == 0 ? s.substr(7) : s;
    } else {
      remote = std::shared_ptr<Storage>(open_storage(s, remote_options(o)));
    }
  }
  try {
    make_dirs(o.out);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("--out ") + o.out + ": " + e.what());
  }
  if (access(o.out.c_str(), W_OK) != 0)
    throw std::runtime_error("--out " + o.out + ": the folder is not writable; choose another with --out DIR");

  // Resume: the configuration comes from the checkpoint (a longer --epochs may extend the run).
  bool resume = false;
  std::string run_id = o.run_id;
  if (!o.resume.empty()) {
    run_id = o.resume == "latest" ? latest_run(o.out) : o.resume;
    if (run_id.empty()) throw std::runtime_error("--resume latest: no run with a checkpoint in " + o.out);
    resume = true;
  } else if (o.resume_if_exists && file_exists(o.out + "/" + o.run_id + "/checkpoint/state.safetensors")) {
    resume = true;
  }
  if (run_id.empty()) run_id = utc_run_id();
  std::string run_dir = o.out + "/" + run_id;
  std::unique_ptr<Ops> ops = open_device(o);
  if (resume && remote && !file_exists(run_dir + "/checkpoint/state.safetensors")) {
    // A run that exists only in the bucket: fetch what --resume needs (the checkpoint carries the
    // whole metric history) into the local run folder.
    for (const char* key : {"checkpoint/state.safetensors", "hyperparameters.json"}) {
      std::optional<std::string> bytes = remote->get(run_id + "/" + key);
      if (!bytes) {
        if (std::string(key) == "hyperparameters.json") continue;
        throw std::runtime_error("--resume " + run_id + ": neither " + run_dir + "/checkpoint nor " + remote->url() + "/" +
                                 run_id + "/checkpoint/state.safetensors exists");
      }
      std::string p = run_dir + "/" + key;
      make_dirs(p.substr(0, p.rfind('/')));
      write_file_atomic(p, *bytes);
    }
    say("gan: fetched " + run_id + "'s checkpoint from " + remote->url() + "\n");
  } else if (o.resume_if_exists && remote && !resume && remote->stat(run_id + "/checkpoint/state.safetensors")) {
    resume = true;
    std::optional<std::string> bytes = remote->get(run_id + "/checkpoint/state.safetensors");
    make_dirs(run_dir + "/checkpoint");
    write_file_atomic(run_dir + "/checkpoint/state.safetensors", *bytes);
  }
  if (resume) {
    std::string ck = o.out + "/" + run_id + "/checkpoint/state.safetensors";
    if (!file_exists(ck))
      throw std::runtime_error("--resume " + run_id + ": " + ck + " does not exist (is --out right?)");
    TrainConfig saved;
    read_model_file(ck, &saved);
    if (o.given.count("--epochs")) saved.epochs = o.cfg.epochs;
    if (!saved.dataset.empty()) {
      if (o.given.count("--dataset") && o.dataset != saved.dataset)
        throw std::runtime_error("--dataset " + o.dataset + ": run " + run_id + " trained on " + saved.dataset +
                                 "; drop --dataset to resume it, or start a new run for another dataset");
      o.dataset = saved.dataset;
    }
    warn_ignored_on_resume(o.cfg, saved);
    o.cfg = saved;
  } else if (!ops->is_cuda()) {
    std::string p = apply_cpu_preset(o);
    if (!p.empty()) say("gan: CPU preset (override any flag to change it): " + p + "\n");
  }
  if (o.cfg.model.arch == "dcgan64" && !o.given.count("--channels") && !resume &&
      (o.dataset == "cifar10" || o.dataset.rfind("folder:", 0) == 0))
    o.cfg.model.channels = 3;
  validate_model_config(o.cfg.model);

  DatasetOptions dopt;
  dopt.spec = o.dataset;
  dopt.data_dir = o.data_dir;
  dopt.size = o.cfg.model.image_size;
  dopt.channels = o.cfg.model.channels;
  dopt.subset = o.cfg.subset;
  dopt.seed = o.cfg.seed;
  dopt.allow_download = o.download;
  dopt.log = [](const std::string& m) { say("gan: " + m + "\n"); };
  install_curl_fetcher();
  std::string fallback;
  // A resumed run reloads exactly its own dataset: no quiet fallback to another one.
  const bool explicit_dataset = o.given.count("--dataset") > 0 || (resume && !o.cfg.dataset.empty());
  Dataset train = load_dataset_or_synthetic(dopt, explicit_dataset, &fallback);
  if (!fallback.empty()) say("gan: " + fallback + "\ngan: training on the built-in synthetic dataset instead\n");
  o.cfg.dataset = fallback.empty() ? o.dataset : "synthetic";
  if (!resume) {
    std::string p = size_cpu_preset(o, train.n);
    if (!p.empty()) say("gan: " + p + "\n");
  }
  Dataset eval;
  const bool have_eval = load_held_out(dopt, train, fallback.empty() ? o.dataset : "synthetic", &eval);
  if (!resume) {
    o.cfg.model.num_classes = std::max(2, train.num_classes);  // the class head (and label embedding) fit the data
  } else if (train.num_classes > o.cfg.model.num_classes) {
    throw std::runtime_error("dataset " + train.name + " has " + std::to_string(train.num_classes) + " classes but run " +
                             run_id + "'s " + o.cfg.model.arch + " was built for " +
                             std::to_string(o.cfg.model.num_classes) + "; resume it on its own dataset, or start a new run");
  }

  Json hp = cli_hyperparameters(o);
  hp.set("dataset", train.name);
  hp.set("device", ops->name());
  say("gan: " + o.cfg.model.arch + " on " + ops->name() + " | " + train.name + ", " + std::to_string(train.n) +
      " images | batch " + std::to_string(o.cfg.batch) + ", " + std::to_string(o.cfg.epochs) + " epochs, eval every " +
      std::to_string(o.cfg.evalfreq) + "\n");

  // Remote storage: every artifact is uploaded from a journaled background queue.
  std::unique_ptr<UploadQueue> queue;
  make_dirs(run_dir);
  if (remote) {
    queue = std::make_unique<UploadQueue>(remote, run_dir + "/upload-queue.journal");
    say("gan: uploading every artifact to " + remote->url() + "/" + run_id + "/ in the background\n");
  }
  RunState state;
  std::unique_ptr<gan::http::MonitorServer> monitor;
  LocalStorage local(o.out);
  if (o.monitor) monitor = start_monitor(o, local, &state);
  std::atomic<bool> done{false};
  std::thread queue_watch;
  if (queue)
    queue_watch = std::thread([&] {
      while (!done) {
        state.set_upload_queue((int64_t)queue->pending_count());
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    });

  RunOptions ro;
  ro.cfg = o.cfg;
  ro.out_dir = o.out;
  ro.run_id = run_id;
  ro.resume = resume;
  ro.hyperparameters = hp;
  ro.train = &train;
  ro.eval = have_eval ? &eval : nullptr;
  ro.state = &state;
  if (queue) ro.listeners.push_back(queue.get());
  ro.stop = &g_stop;
  ro.quiet = o.quiet;
  ro.print = say;
  ro.evaluator_cache_dir = o.data_dir;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  RunResult r;
  try {
    r = run_training(*ops, ro);
  } catch (...) {
    done = true;
    if (queue_watch.joinable()) queue_watch.join();
    throw;
  }
  done = true;
  if (queue_watch.joinable()) queue_watch.join();
  say("gan: run " + r.run_dir + ": " + std::to_string(r.epochs_done) + " epochs, " + std::to_string(r.steps) +
      " mini-batches" + (r.interrupted ? " (interrupted)" : "") + "\n");
  if (r.quality_seconds > 0 || r.evaluator_seconds > 0) {
    char line[256];
    snprintf(line, sizeof line,
             "gan: quality metrics cost %.1f s over the run (%.1f%% of %.1f s training), plus %.1f s for the evaluator\n",
             r.quality_seconds, r.seconds > 0 ? 100 * r.quality_seconds / r.seconds : 0.0, r.seconds, r.evaluator_seconds);
    say(line);
  }
  if (file_exists(r.run_dir + "/best.json"))
    say("gan: best epoch so far in " + r.run_dir + "/best.json; `./gan --generate --checkpoint " + r.run_dir +
        ":best` draws from it\n");
  int rc = r.interrupted ? 130 : 0;
  if (queue) {
    // Nothing is lost either way: what is not uploaded stays in the journal for --resume.
    const bool tty = isatty(2);
    double next_line_s = 0;
    auto res = queue->drain(o.upload_timeout, [&](const UploadQueue::DrainProgress& p) {
      if (tty) {
        say("\r\033[Kgan: uploading " + std::to_string(p.done) + "/" + std::to_string(p.total) +
            (p.current.empty() ? "" : " " + p.current));
      } else if (p.done < p.total && p.elapsed_s >= next_line_s) {  // a log gets a plain line about every 10 s
        say(drain_line(p, o.upload_timeout) + "\n");
        next_line_s = p.elapsed_s + 10;
      }
    });
    if (tty) say("\n");
    if (res.complete()) {
      say("gan: every artifact is in " + remote->url() + "/" + run_id + "/\n");
    } else {
      say("gan: " + std::to_string(res.failed.size()) + " artifact(s) not uploaded (they stay queued in " +
          queue->journal_path() + "; `" + resume_command(o, run_id) + "` sends them):\n");
      for (auto& it : res.failed) say("  " + it.key + ": " + not_uploaded_reason(it) + "\n");
      if (rc == 0) rc = 3;
    }
  }
  if (monitor) {
    // Open pages get the run's final state (live=false) before the server goes; with none
    // connected this returns at once.
    monitor->finish(2000);
    std::string again = "./gan --monitor" + (o.storage.empty() ? flag_word("--storage", o.out) : storage_words(o));
    if (o.monitor_port != 8080) again += flag_word("--monitor-port", std::to_string(o.monitor_port));
    if (o.given.count("--monitor-bind")) again += flag_word("--monitor-bind", o.monitor_bind);
    if (!o.monitor_token_file.empty()) again += flag_word("--monitor-token-file", o.monitor_token_file);
    say("gan: the monitor stopped with training; to keep watching this run: " + again + "\n");
  }
  return rc;
}

// --evaluate RUN: the quality metrics of every evaluation epoch of a run that has generators but
// no metrics (written before they existed, or elsewhere), stored as training stores them.
int cmd_evaluate(CliOptions& o) {
  struct stat st;
  const std::string& run = o.evaluate_run;
  const bool is_path = run.find('/') != std::string::npos || (stat(run.c_str(), &st) == 0 && S_ISDIR(st.st_mode));
  std::string dir = is_path ? run : o.out + "/" + run;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::vector<int> epochs;
  for (const std::string& e : list_dir(dir + "/epoch")) {
    if (e.empty() || e.find_first_not_of("0123456789") != std::string::npos || e.size() > 9) continue;
    if (file_exists(dir + "/epoch/" + e + "/generator.safetensors")) epochs.push_back(std::stoi(e));
  }
  std::sort(epochs.begin(), epochs.end());
  if (epochs.empty())
    throw std::runtime_error("--evaluate " + run + ": no " + dir +
                             "/epoch/<N>/generator.safetensors (give a run id in --out, or the run's folder)");
  TrainConfig cfg;
  read_model_file(dir + "/epoch/" + std::to_string(epochs[0]) + "/generator.safetensors", &cfg);
  std::string spec = o.given.count("--dataset") ? o.dataset : cfg.dataset;
  if (spec.empty())
    throw std::runtime_error("--evaluate " + run + ": its generators do not say which dataset trained them; name it with --dataset");
  const ModelConfig& m = cfg.model;
  DatasetOptions dopt;
  dopt.spec = spec;
  dopt.data_dir = o.data_dir;
  dopt.size = m.image_size;
  dopt.channels = m.channels;
  dopt.subset = cfg.subset;
  dopt.seed = cfg.seed;
  dopt.allow_download = o.download;
  dopt.log = [](const std::string& msg) { say("gan: " + msg + "\n"); };
  install_curl_fetcher();
  Dataset train = load_dataset(dopt), eval;
  const bool have_eval = load_held_out(dopt, train, spec, &eval);
  if (train.num_classes < 2)
    throw std::runtime_error("--evaluate " + run + ": " + train.name + " has no classes for the evaluator to learn");
  std::unique_ptr<Ops> ops = open_device(o);
  const int samples = o.given.count("--quality-samples") ? o.cfg.quality_samples : ops->is_cuda() ? 10000 : 1000;
  if (samples <= 0) throw std::runtime_error("--quality-samples: must be positive with --evaluate");
  auto ev = quality::make_evaluator(*ops, train, have_eval ? &eval : nullptr, 256, o.data_dir,
                                    quality::evaluator_budget(ops->is_cuda()),
                                    [](const std::string& msg) { say("gan: " + msg + "\n"); });
  quality::QualityProbe probe(*ev, have_eval ? eval : train, samples, m.num_classes, m.arch == "acgan28", m.latent_dim,
                              cfg.seed);
  const int chunk = 100;
  auto G = make_generator(*ops, m, chunk, cfg.seed);
  Tensor zt(*ops, {chunk, m.latent_dim}), yt(*ops, {chunk}, DType::I32);
  Json best;
  bool have_best = false;
  for (int epoch : epochs) {
    const std::string key = "epoch/" + std::to_string(epoch) + "/";
    const std::string gpath = dir + "/" + key + "generator.safetensors";
    TrainConfig gcfg;
    safetensors::File f = read_model_file(gpath, &gcfg);
    load_model(*G, f, "", false, gpath);
    quality::QualityMetrics q = probe.measure(
        [&](const std::vector<float>& z, const std::vector<int32_t>& y) {
          const int n = (int)y.size();
          ops->copy_to_device(zt.f32(), z.data(), sizeof(float) * z.size());
          ops->copy_to_device(yt.i32(), y.data(), sizeof(int32_t) * n);
          return G->forward(zt.first(n), yt.first(n), Mode::Eval).to_host();
        },
        chunk);
    q.epoch = epoch;
    Json s = Json::object();
    std::string text;
    if (read_file_if_exists(dir + "/" + key + "summary.json", &text)) s = Json::parse(text, dir + "/" + key + "summary.json");
    if (!s.contains("Epoch")) s.set("Epoch", epoch);
    quality::add_quality_keys(&s, q, ev->info.accuracy);
    write_file_atomic(dir + "/" + key + "summary.json", s.dump(2) + "\n");
    best = quality::update_best(have_best ? &best : nullptr, q, ev->info.accuracy);
    have_best = true;
    char line[256];
    snprintf(line, sizeof line, "gan: epoch %d: FD %.3f  class agreement %.3f  precision %.3f  recall %.3f  (%.1f s)\n", epoch,
             q.fd, q.class_agreement, q.precision, q.recall, q.seconds);
    say(line);
  }
  write_file_atomic(dir + "/best.json", best.dump(2) + "\n");
  Json e = Json::object();
  e.set("accuracy", ev->info.accuracy);
  e.set("heldout_images", ev->info.heldout);
  e.set("trained_images", (long long)ev->info.trained_images);
  e.set("train_seconds", ev->info.train_seconds);
  e.set("from_cache", ev->info.from_cache);
  e.set("fingerprint", ev->info.fingerprint);
  e.set("features", quality::Evaluator::kFeatures);
  e.set("quality_samples", probe.samples());
  write_file_atomic(dir + "/evaluator.json", e.dump(2) + "\n");
  say("gan: best epoch " + std::to_string(best.at("epoch").as_int()) + ": " + best.at("why").as_string() + " (" + dir +
      "/best.json)\n");
  return 0;
}

int cmd_monitor(CliOptions& o) {
  std::string url = o.storage.empty() ? o.out : o.storage;
  std::unique_ptr<Storage> storage = open_storage(url, remote_options(o));
  gan::http::MonitorOptions m = monitor_options(o);
  gan::http::MonitorServer server(m, *storage, nullptr);
  server.start();
  say("gan: monitoring runs in " + storage->url() + " on " + server.url() + " (Ctrl-C stops)\n");
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::thread stopper([&] {
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server.stop();
  });
  server.wait();
  g_stop = true;
  stopper.join();
  return 0;
}

int cmd_presign(CliOptions& o) {
  // s3://bucket/key, gs://bucket/key, az://account/container/key: the storage root is the first
  // one (two for Azure) path components, the rest is the object's key.
  const std::string& u = o.presign_url;
  size_t sep = u.find("://");
  std::string scheme = sep == std::string::npos ? "" : u.substr(0, sep);
  int root_parts = scheme == "az" ? 2 : (scheme == "s3" || scheme == "gs") ? 1 : 0;
  if (!root_parts)
    throw std::runtime_error("--presign " + u + ": expected s3://bucket/key, gs://bucket/key or az://account/container/key");
  size_t cut = sep + 3;
  for (int i = 0; i < root_parts && cut != std::string::npos; ++i) cut = u.find('/', cut + (i ? 1 : 0));
  if (cut == std::string::npos || cut + 1 >= u.size())
    throw std::runtime_error("--presign " + u + ": no object key after the " + (scheme == "az" ? "container" : "bucket"));
  std::unique_ptr<Storage> s = open_storage(u.substr(0, cut), remote_options(o));
  std::string url = s->presign(u.substr(cut + 1), o.expires);
  if (url.empty()) throw std::runtime_error("--presign " + u + ": this storage cannot make presigned links");
  std::cout << url << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // OpenMP threads that spin while waiting collapse throughput when the machine is busy with
  // other work (measured: 10× slower with 2 threads on a loaded 2-core machine). libgomp reads its
  // settings when it loads, before main, so a passive wait policy needs one re-exec.
  if (!std::getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    execv("/proc/self/exe", argv);  // on failure, carry on with the default policy
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  CliOptions o;
  try {
    o = parse_cli(args);
  } catch (const CliError& e) {
    say(std::string("gan: ") + e.what() + "\n");
    return 2;
  }
  if (o.azure_reference) {
    try {
      o.storage = reference_azure_storage_url();
    } catch (const std::exception& e) {
      say(std::string("gan: ") + e.what() + "\n");
      return 2;
    }
  }
  try {
    switch (o.mode) {
      case CliOptions::Mode::Help:
        std::cout << cli_help();
        return 0;
      case CliOptions::Mode::None:
        if (args.empty()) {
          std::cout << cli_help();
          return 0;
        }
        say("gan: flags but no mode: add --train, --summary, --generate, --evaluate, --monitor or --presign (./gan --help)\n");
        return 2;
      case CliOptions::Mode::Summary:
        return cmd_summary(o);
      case CliOptions::Mode::Generate:
        return cmd_generate(o);
      case CliOptions::Mode::Train:
        return cmd_train(o);
      case CliOptions::Mode::Evaluate:
        return cmd_evaluate(o);
      case CliOptions::Mode::Monitor:
        return cmd_monitor(o);
      case CliOptions::Mode::Presign:
        return cmd_presign(o);
    }
  } catch (const std::exception& e) {
    say(std::string("gan: ") + e.what() + "\n");
    return 1;
  }
  return 0;
}
