#include "evaluate_run.h"

#include <algorithm>
#include <cstdio>

#include "../common/atomic_file.h"
#include "../common/fs.h"
#include "../nn/model.h"
#include "common/json.h"
#include "checkpoint.h"
#include "quality/metrics.h"

namespace gan {

Json evaluator_json(const quality::EvaluatorInfo& i, int samples, bool with_architecture) {
  Json e = Json::object();
  e.set("accuracy", i.accuracy);
  e.set("heldout_images", i.heldout);
  e.set("trained_images", (long long)i.trained_images);
  e.set("train_seconds", i.train_seconds);
  e.set("from_cache", i.from_cache);
  e.set("fingerprint", i.fingerprint);
  e.set("features", quality::Evaluator::kFeatures);
  if (with_architecture)
    e.set("architecture", "Conv(16,k3,s2)-BN-LeakyReLU, Conv(32,k3,s2)-BN-LeakyReLU, Linear(64)-LeakyReLU [features], Linear(classes)");
  e.set("quality_samples", samples);
  return e;
}

std::vector<int> generator_epochs(const std::string& dir) {
  std::vector<int> epochs;
  for (const std::string& e : list_dir(dir + "/epoch")) {
    if (e.empty() || e.find_first_not_of("0123456789") != std::string::npos || e.size() > 9) continue;
    if (file_exists(dir + "/epoch/" + e + "/generator.safetensors")) epochs.push_back(std::stoi(e));
  }
  std::sort(epochs.begin(), epochs.end());
  return epochs;
}

namespace {

// The epoch's summary.json (or a new one) with the quality keys.
void add_to_summary(const std::string& dir, int epoch, const quality::QualityMetrics& q, double accuracy) {
  const std::string path = dir + "/epoch/" + std::to_string(epoch) + "/summary.json";
  Json s = Json::object();
  std::string text;
  if (read_file_if_exists(path, &text)) s = Json::parse(text, path);
  if (!s.contains("Epoch")) s.set("Epoch", epoch);
  quality::add_quality_keys(&s, q, accuracy);
  write_file_atomic(path, s.dump(2) + "\n");
}

}  // namespace

void evaluate_run(Ops& ops, const Dataset& train, const Dataset* eval, const EvaluateRunOptions& o, const Say& say) {
  const ModelConfig& m = o.cfg.model;
  auto ev = quality::make_evaluator(ops, train, eval, 256, o.cache, quality::evaluator_budget(ops.is_cuda()),
                                    [&](const std::string& msg) { say("gan: " + msg + "\n"); });
  quality::QualityProbe probe(*ev, eval ? *eval : train, o.samples, m.num_classes, m.arch == "acgan28", m.latent_dim,
                              o.cfg.seed);
  const int chunk = 100;
  auto G = make_generator(ops, m, chunk, o.cfg.seed);
  Tensor zt(ops, {chunk, m.latent_dim}), yt(ops, {chunk}, DType::I32);
  Json best;
  bool have_best = false;
  for (int epoch : o.epochs) {
    const std::string gpath = o.dir + "/epoch/" + std::to_string(epoch) + "/generator.safetensors";
    load_model(*G, read_model_file(gpath, nullptr), "", false, gpath);
    quality::QualityMetrics q = probe.measure(
        [&](const std::vector<float>& z, const std::vector<int32_t>& y) {
          const int n = (int)y.size();
          ops.copy_to_device(zt.f32(), z.data(), sizeof(float) * z.size());
          ops.copy_to_device(yt.i32(), y.data(), sizeof(int32_t) * n);
          return G->forward(zt.first(n), yt.first(n), Mode::Eval).to_host();
        },
        chunk);
    q.epoch = epoch;
    add_to_summary(o.dir, epoch, q, ev->info.accuracy);
    best = quality::update_best(have_best ? &best : nullptr, q, ev->info.accuracy);
    have_best = true;
    char line[256];
    snprintf(line, sizeof line, "gan: epoch %d: FD %.3f  class agreement %.3f  precision %.3f  recall %.3f  (%.1f s)\n", epoch,
             q.fd, q.class_agreement, q.precision, q.recall, q.seconds);
    say(line);
  }
  write_file_atomic(o.dir + "/best.json", best.dump(2) + "\n");
  write_file_atomic(o.dir + "/evaluator.json", evaluator_json(ev->info, probe.samples(), false).dump(2) + "\n");
  say("gan: best epoch " + std::to_string(best.at("epoch").as_int()) + ": " + best.at("why").as_string() + " (" + o.dir +
      "/best.json)\n");
}

}  // namespace gan
