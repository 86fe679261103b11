// End-to-end training throughput through GanTrainer (the same code ./gan --train runs): mini-batches
// per second and images per second (batch × mini-batches/s) on synthetic data, for acgan28 and
// dcgan64 at batch 128. Timed from the first of `steps` mini-batches to the metrics read-back after
// the last (which waits for the device), after a few warm-up steps (cuDNN algorithm choice, CUDA
// graph capture).
#include <chrono>
#include <random>

#include "bench.h"
#include "profile.h"
#include "src/train/checkpoint.h"
#include "src/train/trainer.h"

namespace gan::bench {
namespace {

Dataset synthetic(int n, int c, int s, int classes, uint32_t seed) {
  Dataset d;
  d.name = "bench-random";
  d.n = n; d.c = c; d.h = s; d.w = s; d.num_classes = classes;
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  d.images.resize((size_t)n * c * s * s);
  for (auto& x : d.images) x = u(g);
  d.labels.resize(n);
  for (int i = 0; i < n; ++i) d.labels[i] = i % classes;
  for (int k = 0; k < classes; ++k) d.class_names.push_back("class " + std::to_string(k));
  return d;
}

}  // namespace

void bench_e2e(Ops& ops, const Options& o, Report& r) {
  const bool gpu = ops.is_cuda();
  const int steps = o.e2e_steps ? o.e2e_steps : (gpu ? 200 : 3);
  const int warmup = gpu ? 5 : 1;
  for (const char* arch : {"acgan28", "dcgan64"}) {
    if (!o.wants(arch)) continue;
    TrainConfig cfg;
    cfg.model.arch = arch;
    if (std::string(arch) == "dcgan64") {
      cfg.model.image_size = 64;
      cfg.model.channels = 3;
    }
    cfg.batch = 128;
    cfg.precision = o.precision;
    const int S = cfg.model.image_size, C = cfg.model.channels;
    GanTrainer trainer(ops, cfg);
    trainer.set_data(synthetic(2048, C, S, cfg.model.num_classes, 7));
    std::mt19937 g(11);
    std::uniform_int_distribution<int> pick(0, 2047);
    std::vector<int32_t> idx(cfg.batch / 2);
    auto step = [&] {
      for (auto& i : idx) i = pick(g);
      trainer.train_step(idx.data());
    };
    for (int i = 0; i < warmup; ++i) step();
    trainer.take_metrics();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    trainer.take_metrics();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Row row;
    row.section = "e2e";
    row.device = ops.name();
    row.name = arch;
    row.shape = "batch " + std::to_string(cfg.batch) + ", " + std::to_string(C) + "x" +
                std::to_string(S) + "x" + std::to_string(S);
    row.ms = 1e3 * s / steps;
    row.per_s = steps / s;
    row.images_per_s = cfg.batch * steps / s;
    row.note = std::to_string(steps) + " steps";
    row.gflop = step_flops(ops, arch, o.precision) / 1e9;
    r.add(row);
    if (!o.save_generator.empty() && std::string(arch) == "acgan28") {
      save_generator(o.save_generator, trainer.generator(), cfg, 0, trainer.step());
      r.note("wrote acgan28's generator to " + o.save_generator);
    }
  }
}

}  // namespace gan::bench
