// End-to-end training on the CPU: artifacts in the storage layout, determinism, resume, and the
// model learning (the CPU preset's generated grid classified by a nearest-centroid classifier).
#include <gtest/gtest.h>
#include <unistd.h>
#include <stb_image.h>
#include <sys/stat.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "cli.h"
#include "data/dataset.h"
#include "common/atomic_file.h"
#include "train/artifacts/csv.h"
#include "common/json.h"
#include "train/artifacts/safetensors.h"
#include "train/checkpoint.h"
#include "tests/common/temp_dir.h"
#include "tests/common/train_parity.h"
#include "train_util.h"
#include "train/loop.h"

namespace fs = std::filesystem;
using namespace gan;

namespace {

std::string temp_dir(const std::string& name) { return gan_test::fresh_dir("gan-train", name); }

// A small, fast configuration: narrow model, small synthetic subset.
TrainConfig tiny_config() {
  TrainConfig c = parity::narrow_config(8, 32, 7);
  c.epochs = 3;
  c.evalfreq = 2;
  c.eval_samples = 40;
  c.quality_samples = 0;  // the quality metrics have their own tests (test_quality.cpp)
  c.metrics_flush = 4;
  return c;
}

using gan_test::synthetic;

RunResult train(const TrainConfig& c, const Dataset& d, const std::string& out, const std::string& run, bool resume,
                std::atomic<bool>* stop = nullptr) {
  auto ops = make_cpu_ops();
  RunOptions o = gan_test::run_options(c, d, out, run);
  o.resume = resume;
  o.stop = stop;
  return run_training(*ops, o);
}

std::string slurp(const std::string& p) { return read_file(p); }

}  // namespace

TEST(Train, LogsGetAProgressLineEachTenthOfAnEpoch) {
  // Not a terminal (the test's stderr is a pipe or file): plain lines, no bar, no carriage returns.
  std::string out = temp_dir("progress");
  TrainConfig c = tiny_config();
  c.epochs = 1;
  c.metrics_flush = 1;
  Dataset d = synthetic(640);  // 20 mini-batches: a line at 2, 4, ..., 18
  auto ops = make_cpu_ops();
  RunOptions o = gan_test::run_options(c, d, out, "run");
  o.quiet = false;
  o.log_progress_seconds = 0;
  std::vector<std::string> lines;
  o.print = [&](const std::string& m) { lines.push_back(m); };
  if (isatty(2)) GTEST_SKIP() << "stderr is a terminal: the run draws a bar instead";
  run_training(*ops, o);
  std::vector<std::string> progress;
  for (const std::string& l : lines)
    if (l.rfind("epoch 1/1 ", 0) == 0 && l.find("ETA") != std::string::npos) progress.push_back(l);
  ASSERT_EQ(progress.size(), 9u) << "one line per tenth but the last";
  EXPECT_EQ(progress[0].rfind("epoch 1/1 2/20  ", 0), 0u) << progress[0];
  for (const std::string& l : progress) {
    EXPECT_EQ(l.find('\r'), std::string::npos) << l;
    EXPECT_EQ(l.back(), '\n') << l;
  }
}

TEST(Train, TinyRunWritesEveryArtifactWellFormed) {
  std::string out = temp_dir("artifacts");
  TrainConfig c = tiny_config();
  Dataset d = synthetic(320);
  RunResult r = train(c, d, out, "run", false);
  EXPECT_EQ(r.epochs_done, 3);
  EXPECT_EQ(r.steps, 3 * (320 / 32));
  std::string run = out + "/run/";
  // The reference system's layout: epoch 0 before training, then every evalfreq epochs and the last.
  for (const char* f : {"hyperparameters.json", "target.png", "epoch/0/generated.png", "checkpoint/state.safetensors"})
    EXPECT_TRUE(fs::exists(run + f)) << f;
  for (int e : {2, 3})
    for (const char* f : {"generated.png", "metrics.csv", "summary.json", "loss_accuracy.svg", "generator.safetensors"})
      EXPECT_TRUE(fs::exists(run + "epoch/" + std::to_string(e) + "/" + f)) << e << "/" << f;
  EXPECT_FALSE(fs::exists(run + "epoch/1"));

  // PNGs decode to the 10×10 grid of 28×28 cells (2-pixel gaps).
  for (const char* f : {"target.png", "epoch/0/generated.png", "epoch/2/generated.png"}) {
    std::string png = slurp(run + f);
    int w = 0, h = 0, ch = 0;
    unsigned char* px = stbi_load_from_memory((const unsigned char*)png.data(), (int)png.size(), &w, &h, &ch, 0);
    ASSERT_NE(px, nullptr) << f << ": " << stbi_failure_reason();
    EXPECT_EQ(w, 10 * 28 + 9 * 2);
    EXPECT_EQ(h, 10 * 28 + 9 * 2);
    EXPECT_EQ(ch, 1);
    stbi_image_free(px);
  }
  // metrics.csv: the reference's columns first; epoch 2's file holds epochs 1–2, epoch 3's only 3.
  std::string csv2 = slurp(run + "epoch/2/metrics.csv");
  EXPECT_EQ(csv2.rfind("Epoch,Epochs,Mini-Batch,Mini-Batches,Discriminator Loss: Real,Discriminator Loss: Fake,GAN Loss", 0),
            0u);
  auto rows2 = parse_metrics_csv(csv2, "epoch/2/metrics.csv");
  auto rows3 = parse_metrics_csv(slurp(run + "epoch/3/metrics.csv"), "epoch/3/metrics.csv");
  ASSERT_EQ(rows2.size(), 20u);
  ASSERT_EQ(rows3.size(), 10u);
  EXPECT_EQ(rows2.front().epoch, 1);
  EXPECT_EQ(rows2.back().epoch, 2);
  EXPECT_EQ(rows2.back().batch, 10);
  for (auto& r : rows3) {
    EXPECT_EQ(r.epoch, 3);
    EXPECT_TRUE(std::isfinite(r.d_loss_real) && std::isfinite(r.g_loss) && std::isfinite(r.class_loss));
    EXPECT_GE(r.d_acc_real, 0.0f);
    EXPECT_LE(r.d_acc_real, 1.0f);
  }
  // summary.json: the reference's keys plus ours.
  Json s = Json::parse(slurp(run + "epoch/2/summary.json"), "summary.json");
  EXPECT_EQ(s.at("Epoch").as_int(), 2);
  for (const char* k : {"Real Accuracy", "Fake Accuracy", "Elapsed Time", "GAN Loss", "Class Accuracy"})
    EXPECT_TRUE(s.contains(k)) << k;
  Json hp = Json::parse(slurp(run + "hyperparameters.json"), "hyperparameters.json");
  EXPECT_EQ(hp.at("epochs").as_int(), 3);
  // SVG is a standalone document.
  std::string svg = slurp(run + "epoch/3/loss_accuracy.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  // generator.safetensors lists G's tensors with PyTorch's names and shapes.
  safetensors::File g = safetensors::load(run + "epoch/3/generator.safetensors");
  EXPECT_EQ(g.at("label_embedding.weight").shape, (std::vector<int64_t>{10, 50}));
  EXPECT_EQ(g.at("noise_linear.weight").shape, (std::vector<int64_t>{8 * 49, 100}));
  EXPECT_EQ(g.at("up.0.weight").shape, (std::vector<int64_t>{9, 8, 4, 4}));
  EXPECT_EQ(g.at("bn_up.1.running_var").shape, (std::vector<int64_t>{8}));
  EXPECT_EQ(g.at("out_conv.weight").shape, (std::vector<int64_t>{1, 8, 7, 7}));
  EXPECT_EQ(g.at("bn_up.0.num_batches_tracked").dtype, safetensors::Dtype::I64);
  EXPECT_EQ(g.i64("bn_up.0.num_batches_tracked")[0], 2 * 30);  // two G forwards per mini-batch
  EXPECT_EQ(g.find("head_adv.weight"), nullptr);
  fs::remove_all(out);
}

TEST(Train, SameSeedGivesIdenticalMetricsCsv) {
  std::string a = temp_dir("seed-a"), b = temp_dir("seed-b"), c = temp_dir("seed-c");
  TrainConfig cfg = tiny_config();
  cfg.epochs = 2;
  Dataset d = synthetic(192);
  train(cfg, d, a, "run", false);
  train(cfg, d, b, "run", false);
  cfg.seed = 8;
  train(cfg, d, c, "run", false);
  std::string ma = slurp(a + "/run/epoch/2/metrics.csv"), mb = slurp(b + "/run/epoch/2/metrics.csv");
  EXPECT_EQ(ma, mb);
  EXPECT_EQ(slurp(a + "/run/epoch/2/generator.safetensors"), slurp(b + "/run/epoch/2/generator.safetensors"));
  EXPECT_NE(ma, slurp(c + "/run/epoch/2/metrics.csv"));
  for (auto& p : {a, b, c}) fs::remove_all(p);
}

TEST(Train, StopMidEpochThenResumeIsBitIdentical) {
  std::string a = temp_dir("straight"), b = temp_dir("resumed");
  TrainConfig cfg = tiny_config();
  cfg.epochs = 4;
  Dataset d = synthetic(256);
  train(cfg, d, a, "run", false);

  // Stop during epoch 3 (after its 2nd mini-batch), then resume.
  std::atomic<bool> stop{false};
  std::thread watcher;
  {
    auto ops = make_cpu_ops();
    RunState state;
    RunOptions o = gan_test::run_options(cfg, d, b, "run");
    o.stop = &stop;
    o.state = &state;
    int per_epoch = 256 / 32;
    watcher = std::thread([&] {
      while (state.snapshot(0).total_rows < 2 * per_epoch + 2) state.wait_for_change(state.version(), 50);
      stop = true;
    });
    cfg.metrics_flush = 1;
    o.cfg.metrics_flush = 1;
    RunResult r = run_training(*ops, o);
    watcher.join();
    EXPECT_TRUE(r.interrupted);
    EXPECT_EQ(r.epochs_done, 2);
  }
  EXPECT_FALSE(fs::exists(b + "/run/epoch/4"));
  RunResult r = train(cfg, d, b, "run", true);
  EXPECT_EQ(r.epochs_done, 4);
  for (int e : {0, 2, 4}) {
    std::string ep = "/run/epoch/" + std::to_string(e) + "/";
    EXPECT_EQ(slurp(a + ep + "generated.png"), slurp(b + ep + "generated.png")) << e;
    if (e) {
      EXPECT_EQ(slurp(a + ep + "metrics.csv"), slurp(b + ep + "metrics.csv")) << e;
      EXPECT_EQ(slurp(a + ep + "generator.safetensors"), slurp(b + ep + "generator.safetensors")) << e;
    }
  }
  for (auto& p : {a, b}) fs::remove_all(p);
}

TEST(BadInputTrain, CheckpointFromAnotherModelIsRejectedNamingTensorAndFile) {
  std::string out = temp_dir("othermodel");
  TrainConfig cfg = tiny_config();
  cfg.epochs = 1;
  cfg.evalfreq = 1;
  Dataset d = synthetic(64);
  train(cfg, d, out, "run", false);
  std::string gen = out + "/run/epoch/1/generator.safetensors";
  TrainConfig read;
  safetensors::File f = read_model_file(gen, &read);
  // The same file loaded into a wider generator.
  ModelConfig wider = read.model;
  wider.generator_input_filters = 16;
  auto ops = make_cpu_ops();
  auto G = make_generator(*ops, wider, 4, 1);
  try {
    load_model(*G, f, "", false, gen);
    FAIL() << "loading a checkpoint of another shape must fail";
  } catch (const std::exception& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(gen), std::string::npos) << m;
    EXPECT_NE(m.find("noise_linear.weight"), std::string::npos) << m;
  }
  // A safetensors file that is not ours at all.
  safetensors::File foreign;
  float x[2] = {1, 2};
  foreign.add_f32("weight", {2}, x);
  safetensors::save(out + "/foreign.safetensors", foreign);
  EXPECT_THROW(read_model_file(out + "/foreign.safetensors", &read), std::runtime_error);
  fs::remove_all(out);
}

// Files written while the convs in front of BatchNorm still had biases (before they were dropped,
// see src/nn/models.cpp) load, and the model computes what the file's model computed: such a
// model's running_mean tracked conv(x) + b, so the file is made here from today's by adding a
// bias b to each of those convs and b to the running mean that follows it.
TEST(Train, FileWithConvBiasesBeforeBatchNormLoadsWithTheSameEvalOutputs) {
  const std::string out = temp_dir("legacy-bias");
  TrainConfig cfg = tiny_config();
  auto ops = make_cpu_ops();
  GanTrainer t(*ops, cfg);
  t.set_data(synthetic(64));
  std::vector<int32_t> idx(cfg.batch / 2);
  for (int s = 0; s < 3; ++s) {
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = (int32_t)((i * 7 + s) % 64);
    t.train_step(idx.data());
  }
  const auto& folds = t.generator().folded_biases();
  ASSERT_EQ(folds.size(), cfg.model.conv_transpose_filters.size());
  EXPECT_EQ(t.discriminator().folded_biases().size(), 2 * cfg.model.conv_filters.size());
  const std::string path = out + "/generator.safetensors";
  save_generator(path, t.generator(), cfg, 0, t.step());

  safetensors::File now = safetensors::load(path), legacy;
  legacy.metadata = now.metadata;
  std::mt19937 g(4);
  std::normal_distribution<float> nd(0.0f, 0.5f);
  for (const auto& tensor : now.tensors) {
    if (tensor.dtype != safetensors::Dtype::F32) {
      legacy.tensors.push_back(tensor);
      continue;
    }
    std::vector<float> v = now.f32(tensor.name);
    for (const auto& fb : folds)
      if (fb.running_mean == tensor.name) {
        std::vector<float> b(v.size());
        for (size_t i = 0; i < v.size(); ++i) v[i] += (b[i] = nd(g));
        legacy.add_f32(fb.bias, tensor.shape, b.data());
      }
    legacy.add_f32(tensor.name, tensor.shape, v.data());
  }
  for (const auto& fb : folds) ASSERT_NE(legacy.find(fb.bias), nullptr) << fb.bias;
  const std::string legacy_path = out + "/legacy.safetensors";
  safetensors::save(legacy_path, legacy);

  TrainConfig read;
  safetensors::File f = read_model_file(legacy_path, &read);
  GanTrainer t2(*ops, read);
  load_model(t2.generator(), f, "", false, legacy_path);
  std::vector<float> noise(20 * cfg.model.latent_dim);
  std::vector<int32_t> labels(20);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = nd(g);
  for (int i = 0; i < 20; ++i) labels[i] = i % 10;
  const std::vector<float> want = t.generate(noise, labels), got = t2.generate(noise, labels);
  ASSERT_EQ(want.size(), got.size());
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, (double)std::fabs(want[i] - got[i]));
  EXPECT_LE(worst, 1e-5) << "eval outputs of the folded file differ from the model that wrote it";
  fs::remove_all(out);
}

TEST(BadInputTrain, UnwritableOutIsAnErrorNamingThePath) {
  std::string base = temp_dir("unwritable");
  write_file_atomic(base + "/a-file", "x");
  TrainConfig cfg = tiny_config();
  cfg.epochs = 1;
  Dataset d = synthetic(64);
  try {
    train(cfg, d, base + "/a-file/out", "run", false);
    FAIL() << "an --out below a regular file must fail";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(base + "/a-file"), std::string::npos) << e.what();
  }
  fs::remove_all(base);
}

TEST(BadInputCli, ImpossibleValuesNameTheFlag) {
  struct Case {
    std::vector<std::string> args;
    const char* flag;
  } cases[] = {
      {{"--train", "--epochs", "0"}, "--epochs"},
      {{"--train", "-e", "ten"}, "-e (--epochs): expected an integer"},
      {{"--train", "--lr", "0"}, "--lr (--adamLearningRate): 0 is out of range"},
      {{"--train", "--batchsize", "3"}, "--batchsize"},
      {{"--train", "--dropoutRate", "1.5"}, "--dropoutRate"},
      {{"--train", "--adamLearningRate", "-1"}, "--adamLearningRate"},
      {{"--train", "--convFilters", "64,x"}, "--convFilters"},
      {{"--train", "--device", "gpu"}, "--device"},
      {{"--train", "--dataset", "imagenet"}, "--dataset"},
      {{"--train", "--frobnicate"}, "--frobnicate"},
      {{"--train", "--epochs"}, "--epochs"},
      {{"--train", "--summary"}, "--summary"},
      {{"--train", "-c", "dropbox"}, "-c"},
      {{"--train", "--no-monitor=1"}, "--no-monitor"},
  };
  for (auto& c : cases) {
    try {
      parse_cli(c.args);
      ADD_FAILURE() << "accepted: " << c.args.back();
    } catch (const CliError& e) {
      EXPECT_NE(std::string(e.what()).find(c.flag), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
    }
  }
}

TEST(Cli, ReferenceSpellingsAndLongOptionsSetTheSameFields) {
  CliOptions a = parse_cli({"--train", "-e", "5", "-b", "64", "-v", "2", "-d", "64", "-l", "20", "-s", "500",
                            "--convFilters", "32,48", "--convTransposeFilters", "16,24", "--generatorInputFilters", "40",
                            "--adamLearningRate", "0.001", "--adamBeta1", "0.9", "--kernelInitStdDev", "0.05",
                            "--leakyReluAlpha", "0.1", "--dropoutRate", "0.3", "--batchNorm=false", "--evalDirLocal", "x"});
  CliOptions b = parse_cli({"--train", "--epochs=5", "--batchsize", "64", "--evalfreq", "2", "--latent-dim", "64",
                            "--label-dim", "20", "--subset", "500", "--conv-filters", "32,48", "--conv-transpose-filters",
                            "16,24", "--generator-input-filters", "40", "--lr", "0.001", "--adam-beta1", "0.9",
                            "--kernel-init-stddev", "0.05", "--leaky-relu-alpha", "0.1", "--dropout-rate", "0.3",
                            "--no-batchnorm", "--out", "x"});
  EXPECT_EQ(train_config_json(a.cfg).dump(-1), train_config_json(b.cfg).dump(-1));
  EXPECT_EQ(a.out, "x");
  EXPECT_EQ(a.cfg.model.conv_filters, (std::vector<int>{32, 48}));
  EXPECT_FALSE(a.cfg.model.batchnorm);
  // Defaults are the reference system's.
  CliOptions d = parse_cli({"--train"});
  EXPECT_EQ(d.cfg.epochs, 100);
  EXPECT_EQ(d.cfg.batch, 128);
  EXPECT_EQ(d.cfg.evalfreq, 10);
  EXPECT_EQ(d.cfg.model.latent_dim, 100);
  EXPECT_EQ(d.cfg.model.label_dim, 50);
  EXPECT_FLOAT_EQ(d.cfg.adam.lr, 0.0002f);
  EXPECT_FLOAT_EQ(d.cfg.adam.beta1, 0.5f);
  EXPECT_FLOAT_EQ(d.cfg.model.dropout, 0.4f);
  EXPECT_EQ(d.out, "eval");
  // The preset fills only what the user did not give.
  CliOptions p = parse_cli({"--train", "--epochs", "3"});
  apply_cpu_preset(p);
  EXPECT_EQ(p.cfg.epochs, 3);
  EXPECT_LT(p.cfg.model.conv_filters[0], 128);
}

// The model learns: after the CPU preset on the synthetic set, a nearest-centroid classifier
// trained on real synthetic images assigns the generated grid's columns to their conditioning
// class at least 80% of the time. `extra` adds flags (a precision).
void expect_cpu_preset_learns(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--train", "--dataset", "synthetic"};
  args.insert(args.end(), extra.begin(), extra.end());
  CliOptions o = parse_cli(args);
  apply_cpu_preset(o);
  std::printf("[          ] precision %s\n", precision_name(o.cfg.precision));
  std::string out = temp_dir("preset");
  DatasetOptions dopt;
  dopt.spec = "synthetic";
  dopt.subset = o.cfg.subset;
  dopt.seed = o.cfg.seed;
  Dataset d = load_dataset(dopt);
  auto t0 = std::chrono::steady_clock::now();
  RunResult r = train(o.cfg, d, out, "run", false);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[          ] CPU preset: %d epochs, %lld mini-batches in %.0f s (%.0f img/s)\n", r.epochs_done,
              (long long)r.steps, secs, r.images_per_sec);

  // Class centroids from 5,000 real images of the held-out split.
  DatasetOptions copt;
  copt.spec = "synthetic";
  copt.train = false;
  copt.subset = 5000;
  Dataset real = load_dataset(copt);
  const int P = 28 * 28;
  std::vector<double> centroid(10 * P, 0.0);
  std::vector<int> count(10, 0);
  for (int i = 0; i < real.n; ++i) {
    for (int p = 0; p < P; ++p) centroid[real.labels[i] * P + p] += real.images[(size_t)i * P + p];
    count[real.labels[i]]++;
  }
  for (int c = 0; c < 10; ++c)
    for (int p = 0; p < P; ++p) centroid[c * P + p] /= std::max(1, count[c]);

  std::string png = slurp(out + "/run/epoch/" + std::to_string(r.epochs_done) + "/generated.png");
  int w, h, ch;
  unsigned char* px = stbi_load_from_memory((const unsigned char*)png.data(), (int)png.size(), &w, &h, &ch, 1);
  ASSERT_NE(px, nullptr);
  int right = 0;
  for (int cell = 0; cell < 100; ++cell) {
    int row = cell / 10, col = cell % 10, best = -1;
    double best_d = 1e300;
    for (int c = 0; c < 10; ++c) {
      double dist = 0;
      for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x) {
          double v = px[(row * 30 + y) * w + col * 30 + x] / 127.5 - 1.0;
          double e = v - centroid[c * P + y * 28 + x];
          dist += e * e;
        }
      if (dist < best_d) best_d = dist, best = c;
    }
    right += best == col;
  }
  stbi_image_free(px);
  std::printf("[          ] generated grid: %d of 100 cells classified as their conditioning class\n", right);
  EXPECT_GE(right, 80);
  fs::remove_all(out);
}

TEST(Train, CpuPresetLearnsSyntheticClasses) {
  if (std::getenv("GAN_SKIP_SLOW")) GTEST_SKIP() << "GAN_SKIP_SLOW is set (this test trains the CPU preset)";
  expect_cpu_preset_learns({});
}

// bf16 as the GPU computes it (src/precision.h), emulated by the CPU backend: the same bar.
TEST(Train, CpuPresetLearnsSyntheticClassesInBf16) {
  if (std::getenv("GAN_SKIP_SLOW")) GTEST_SKIP() << "GAN_SKIP_SLOW is set (this test trains the CPU preset)";
  expect_cpu_preset_learns({"--precision", "bf16"});
}
