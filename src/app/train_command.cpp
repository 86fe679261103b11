// ./gan --train: the training core (src/train/prepare.h, loop.h) wired to storage. A remote
// --storage gets every artifact from a journaled background upload queue, a run that exists only
// in the bucket is fetched for --resume, the monitor watches the run, and the queue is drained
// (up to --upload-timeout) when training ends.
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "app/commands.h"
#include "app/digest.h"
#include "app/monitor.h"
#include "common/atomic_file.h"
#include "common/fs.h"
#include "data/fetch_curl.h"
#include "storage/local.h"
#include "storage/storage.h"
#include "storage/upload_queue.h"
#include "train/loop.h"
#include "train/prepare.h"

namespace gan {

namespace {

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

// --storage: a local folder (or file:// URL) becomes --out; a remote one is opened (null: none).
std::shared_ptr<Storage> open_run_storage(CliOptions& o) {
  if (o.storage.empty()) return nullptr;
  const std::string& s = o.storage;
  if (!is_remote_url(s)) {
    o.out = s.rfind("file://", 0) == 0 ? s.substr(7) : s;
    return nullptr;
  }
  return std::shared_ptr<Storage>(open_storage(s, remote_options(o)));
}

void check_out_dir(const std::string& out) {
  try {
    make_dirs(out);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("--out ") + out + ": " + e.what());
  }
  if (access(out.c_str(), W_OK) != 0)
    throw std::runtime_error("--out " + out + ": the folder is not writable; choose another with --out DIR");
}

// A run that exists only in the bucket: fetches what --resume needs (the checkpoint carries the
// whole metric history) into the local run folder. --resume-if-exists resumes a run found there.
void fetch_from_bucket(Storage& remote, const CliOptions& o, RunChoice* run) {
  const std::string run_dir = o.out + "/" + run->run_id;
  if (run->resume && !file_exists(checkpoint_path(o.out, run->run_id))) {
    for (const char* key : {"checkpoint/state.safetensors", "hyperparameters.json"}) {
      std::optional<std::string> bytes = remote.get(run->run_id + "/" + key);
      if (!bytes) {
        if (std::string(key) == "hyperparameters.json") continue;
        throw std::runtime_error("--resume " + run->run_id + ": neither " + run_dir + "/checkpoint nor " + remote.url() +
                                 "/" + run->run_id + "/checkpoint/state.safetensors exists");
      }
      std::string p = run_dir + "/" + key;
      make_dirs(p.substr(0, p.rfind('/')));
      write_file_atomic(p, *bytes);
    }
    say("gan: fetched " + run->run_id + "'s checkpoint from " + remote.url() + "\n");
  } else if (o.resume_if_exists && !run->resume && remote.stat(run->run_id + "/checkpoint/state.safetensors")) {
    run->resume = true;
    std::optional<std::string> bytes = remote.get(run->run_id + "/checkpoint/state.safetensors");
    make_dirs(run_dir + "/checkpoint");
    write_file_atomic(checkpoint_path(o.out, run->run_id), *bytes);
  }
}

// Keeps the live state's upload-queue length current while training runs.
class QueueWatch {
 public:
  QueueWatch(UploadQueue* queue, RunState& state) {
    if (!queue) return;
    thread_ = std::thread([this, queue, &state] {
      while (!done_) {
        state.set_upload_queue((int64_t)queue->pending_count());
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    });
  }
  ~QueueWatch() { stop(); }
  void stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

void report_run(const RunResult& r) {
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
}

// Waits up to --upload-timeout for the queue; false when artifacts are left in it (listed). Nothing
// is lost either way: what is not uploaded stays in the journal for --resume.
bool drain_uploads(UploadQueue& queue, const Storage& remote, const CliOptions& o, const std::string& run_id) {
  const bool tty = isatty(2);
  double next_line_s = 0;
  auto res = queue.drain(o.upload_timeout, [&](const UploadQueue::DrainProgress& p) {
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
    say("gan: every artifact is in " + remote.url() + "/" + run_id + "/\n");
    return true;
  }
  say("gan: " + std::to_string(res.failed.size()) + " artifact(s) not uploaded (they stay queued in " +
      queue.journal_path() + "; `" + resume_command(o, run_id) + "` sends them):\n");
  for (auto& it : res.failed) say("  " + it.key + ": " + not_uploaded_reason(it) + "\n");
  return false;
}

// Open pages get the run's final state (live=false) before the server goes; with none connected
// this returns at once. Then says how to keep watching.
void finish_monitor(gan::http::MonitorServer& monitor, const CliOptions& o) {
  monitor.finish(2000);
  std::string again = "./gan --monitor" + (o.storage.empty() ? flag_word("--storage", o.out) : storage_words(o));
  if (o.monitor_port != 8080) again += flag_word("--monitor-port", std::to_string(o.monitor_port));
  if (o.given.count("--monitor-bind")) again += flag_word("--monitor-bind", o.monitor_bind);
  if (!o.monitor_token_file.empty()) again += flag_word("--monitor-token-file", o.monitor_token_file);
  say("gan: the monitor stopped with training; to keep watching this run: " + again + "\n");
}

}  // namespace

int cmd_train(CliOptions& o, const AppContext& app) {
  std::shared_ptr<Storage> remote = open_run_storage(o);
  check_out_dir(o.out);
  // Resume: the configuration comes from the checkpoint (a longer --epochs may extend the run).
  RunChoice run = choose_run(o);
  if (run.run_id.empty()) run.run_id = utc_run_id();
  const std::string run_dir = o.out + "/" + run.run_id;
  std::unique_ptr<Ops> ops = open_device(o);
  if (remote) fetch_from_bucket(*remote, o, &run);
  settle_config(o, run, ops->is_cuda(), say);
  TrainingData data = load_training_data(o, run, curl_downloader(), say);

  Json hp = cli_hyperparameters(o);
  hp.set("dataset", data.train.name);
  hp.set("device", ops->name());
  say("gan: " + o.cfg.model.arch + " on " + ops->name() + " | " + data.train.name + ", " + std::to_string(data.train.n) +
      " images | batch " + std::to_string(o.cfg.batch) + ", " + std::to_string(o.cfg.epochs) + " epochs, eval every " +
      std::to_string(o.cfg.evalfreq) + "\n");

  // Remote storage: every artifact is uploaded from a journaled background queue.
  std::unique_ptr<UploadQueue> queue;
  make_dirs(run_dir);
  if (remote) {
    queue = std::make_unique<UploadQueue>(remote, run_dir + "/upload-queue.journal");
    say("gan: uploading every artifact to " + remote->url() + "/" + run.run_id + "/ in the background\n");
  }
  RunState state;
  LocalStorage local(o.out);
  std::unique_ptr<gan::http::MonitorServer> monitor;
  if (o.monitor) monitor = start_monitor(o, local, &state);
  QueueWatch watch(queue.get(), state);

  RunOptions ro;
  ro.cfg = o.cfg;
  ro.out_dir = o.out;
  ro.run_id = run.run_id;
  ro.resume = run.resume;
  ro.hyperparameters = hp;
  ro.train = &data.train;
  ro.eval = data.have_eval ? &data.eval : nullptr;
  ro.state = &state;
  if (queue) ro.listeners.push_back(queue.get());
  ro.stop = app.stop;
  ro.quiet = o.quiet;
  ro.print = say;
  ro.evaluator_cache = {o.data_dir, [](const std::vector<std::string_view>& p) { return sha256_hex(p); }};
  app.catch_signals();
  RunResult r = run_training(*ops, ro);
  watch.stop();
  report_run(r);
  int rc = r.interrupted ? 130 : 0;
  if (queue && !drain_uploads(*queue, *remote, o, run.run_id) && rc == 0) rc = 3;
  if (monitor) finish_monitor(*monitor, o);
  return rc;
}

}  // namespace gan
