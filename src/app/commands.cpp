// ./gan --summary, --generate, --evaluate and --monitor: the command-line side of each (flags,
// devices, downloads, storage); what they compute lives in the core (src/train/).
#include "app/commands.h"

#include <omp.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "../http/monitor.h"
#include "app/digest.h"
#include "app/monitor.h"
#include "common/atomic_file.h"
#include "common/fs.h"
#include "data/fetch_curl.h"
#include "nn/model.h"
#include "storage/storage.h"
#include "train/checkpoint.h"
#include "train/evaluate_run.h"
#include "train/generate.h"
#include "train/prepare.h"

namespace gan {

void say(const std::string& s) {
  std::fputs(s.c_str(), stderr);
  std::fflush(stderr);
}

std::unique_ptr<Ops> open_device(CliOptions& o) {
  std::string why;
  if (o.device == "cuda") return make_cuda_ops(0);
  if (o.device == "auto" && cuda_available(&why)) return make_cuda_ops(0);
  if (o.threads > 0) omp_set_num_threads(o.threads);
  if (o.device == "auto") say("gan: no GPU (" + why + "): training on the CPU\n");
  return make_cpu_ops();
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
  const GridPlan plan = plan_grid(path, o.labels, o.n);
  std::unique_ptr<Ops> ops = open_device(o);
  write_file_atomic(png, draw_grid(*ops, plan, o.cfg.seed));
  say("gan: wrote " + png + " (" + std::to_string(plan.rows) + " × " + std::to_string(plan.labels.size()) +
      " images from " + path + ")\n");
  return 0;
}

int cmd_evaluate(CliOptions& o) {
  const std::string& run = o.evaluate_run;
  EvaluateRunOptions e;
  e.dir = folder_named(run, o.out);
  e.epochs = generator_epochs(e.dir);
  if (e.epochs.empty())
    throw std::runtime_error("--evaluate " + run + ": no " + e.dir +
                             "/epoch/<N>/generator.safetensors (give a run id in --out, or the run's folder)");
  read_model_file(e.dir + "/epoch/" + std::to_string(e.epochs[0]) + "/generator.safetensors", &e.cfg);
  std::string spec = o.given.count("--dataset") ? o.dataset : e.cfg.dataset;
  if (spec.empty())
    throw std::runtime_error("--evaluate " + run + ": its generators do not say which dataset trained them; name it with --dataset");
  DatasetOptions dopt = dataset_options(o, spec, e.cfg, curl_downloader(), say);
  Dataset train = load_dataset(dopt), eval;
  const bool have_eval = load_held_out(dopt, train, spec, &eval);
  if (train.num_classes < 2)
    throw std::runtime_error("--evaluate " + run + ": " + train.name + " has no classes for the evaluator to learn");
  std::unique_ptr<Ops> ops = open_device(o);
  e.samples = o.given.count("--quality-samples") ? o.cfg.quality_samples : ops->is_cuda() ? 10000 : 1000;
  if (e.samples <= 0) throw std::runtime_error("--quality-samples: must be positive with --evaluate");
  e.cache = {o.data_dir, [](const std::vector<std::string_view>& p) { return sha256_hex(p); }};
  evaluate_run(*ops, train, have_eval ? &eval : nullptr, e, say);
  return 0;
}

int cmd_monitor(CliOptions& o, const AppContext& app) {
  std::string url = o.storage.empty() ? o.out : o.storage;
  std::unique_ptr<Storage> storage = open_storage(url, remote_options(o));
  gan::http::MonitorServer server(monitor_options(o), *storage, nullptr);
  server.start();
  say("gan: monitoring runs in " + storage->url() + " on " + server.url() + " (Ctrl-C stops)\n");
  app.catch_signals();
  std::thread stopper([&] {
    while (!*app.stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server.stop();
  });
  server.wait();
  *app.stop = true;
  stopper.join();
  return 0;
}

}  // namespace gan
