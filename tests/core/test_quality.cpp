// Quality metrics: the eigen route to the Fréchet distance against closed forms and against
// scipy.linalg.sqrtm, rank-deficient covariances, and precision/recall on point sets whose
// overlap is known by construction.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/json.h"
#include "train/quality/frechet.h"
#include "train/quality/precision_recall.h"
#include "train/quality/sym_eigen.h"

using namespace gan;
using namespace gan::quality;

namespace {

// A random orthogonal d×d matrix (Gram–Schmidt on Gaussian columns), row-major.
std::vector<double> random_orthogonal(int d, std::mt19937_64& rng) {
  std::normal_distribution<double> nd;
  std::vector<double> q((size_t)d * d);
  for (double& x : q) x = nd(rng);
  for (int k = 0; k < d; ++k) {
    for (int j = 0; j < k; ++j) {
      double dot = 0;
      for (int i = 0; i < d; ++i) dot += q[(size_t)i * d + k] * q[(size_t)i * d + j];
      for (int i = 0; i < d; ++i) q[(size_t)i * d + k] -= dot * q[(size_t)i * d + j];
    }
    double n = 0;
    for (int i = 0; i < d; ++i) n += q[(size_t)i * d + k] * q[(size_t)i * d + k];
    n = std::sqrt(n);
    for (int i = 0; i < d; ++i) q[(size_t)i * d + k] /= n;
  }
  return q;
}

// Q·diag(lam)·Qᵀ
std::vector<double> rotate_diag(const std::vector<double>& q, const std::vector<double>& lam, int d) {
  std::vector<double> a((size_t)d * d, 0.0);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) {
      double s = 0;
      for (int k = 0; k < d; ++k) s += q[(size_t)i * d + k] * lam[k] * q[(size_t)j * d + k];
      a[(size_t)i * d + j] = s;
    }
  return a;
}

Gaussian gaussian(std::vector<double> mean, std::vector<double> cov) {
  Gaussian g;
  g.d = (int)mean.size();
  g.mean = std::move(mean);
  g.cov = std::move(cov);
  return g;
}

// Random SPD matrix of size d: W·Wᵀ/d + 0.1·I, condition number in the tens.
std::vector<double> random_spd(int d, std::mt19937_64& rng) {
  std::normal_distribution<double> nd;
  std::vector<double> w((size_t)d * d), a((size_t)d * d, 0.0);
  for (double& x : w) x = nd(rng);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) {
      double s = 0;
      for (int k = 0; k < d; ++k) s += w[(size_t)i * d + k] * w[(size_t)j * d + k];
      a[(size_t)i * d + j] = s / d + (i == j ? 0.1 : 0.0);
    }
  return a;
}

}  // namespace

TEST(Quality, EigenDecompositionReconstructs) {
  std::mt19937_64 rng(5);
  const int d = 64;
  std::vector<double> a = random_spd(d, rng), lam, v;
  sym_eigen(a, d, &lam, &v);
  for (int k = 1; k < d; ++k) EXPECT_LE(lam[k - 1], lam[k]);
  double worst = 0;
  std::vector<double> back = rotate_diag(v, lam, d);
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(back[i] - a[i]));
  EXPECT_LT(worst, 1e-12) << "V·diag(λ)·Vᵀ differs from A";
  std::vector<double> s = sqrtm_psd(a, d);
  worst = 0;
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) {
      double x = 0;
      for (int k = 0; k < d; ++k) x += s[(size_t)i * d + k] * s[(size_t)k * d + j];
      worst = std::max(worst, std::fabs(x - a[(size_t)i * d + j]));
    }
  EXPECT_LT(worst, 1e-12) << "sqrtm(A)² differs from A";
}

// Covariances that share eigenvectors: FD = |μ₁−μ₂|² + Σ(√λᵢ − √νᵢ)², exactly.
TEST(Quality, FrechetOfKnownGaussiansIsTheClosedForm) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.05, 3.0);
  for (int d : {1, 3, 16, 64}) {
    std::vector<double> q = random_orthogonal(d, rng), l1(d), l2(d), m1(d), m2(d);
    double expect = 0;
    for (int i = 0; i < d; ++i) {
      l1[i] = u(rng), l2[i] = u(rng), m1[i] = u(rng) - 1.5, m2[i] = u(rng) - 1.5;
      expect += (m1[i] - m2[i]) * (m1[i] - m2[i]) + std::pow(std::sqrt(l1[i]) - std::sqrt(l2[i]), 2);
    }
    double fd = frechet_distance(gaussian(m1, rotate_diag(q, l1, d)), gaussian(m2, rotate_diag(q, l2, d)));
    EXPECT_NEAR(fd, expect, 1e-9 * std::max(1.0, expect)) << "d = " << d;
    // Symmetric in its arguments, zero for identical distributions.
    EXPECT_NEAR(frechet_distance(gaussian(m2, rotate_diag(q, l2, d)), gaussian(m1, rotate_diag(q, l1, d))), expect,
                1e-9 * std::max(1.0, expect));
    EXPECT_NEAR(frechet_distance(gaussian(m1, rotate_diag(q, l1, d)), gaussian(m1, rotate_diag(q, l1, d))), 0.0, 1e-9);
  }
  // 1-D: (μ₁−μ₂)² + (σ₁−σ₂)².
  EXPECT_NEAR(frechet_distance(gaussian({1.0}, {4.0}), gaussian({-2.0}, {9.0})), 9.0 + 1.0, 1e-12);
}

// Samples from two known Gaussians: the estimate from 40,000 samples approaches the closed form.
TEST(Quality, FrechetOfSamplesApproachesTheClosedForm) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> nd;
  const int d = 4, n = 40000;
  const std::vector<double> sd1 = {1.0, 0.5, 2.0, 1.5}, sd2 = {0.7, 0.5, 1.0, 2.5};
  const std::vector<double> mu1 = {0, 1, -1, 0.5}, mu2 = {0.5, 1, 0, 0};
  std::vector<float> x((size_t)n * d), y((size_t)n * d);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) {
      x[(size_t)i * d + j] = (float)(mu1[j] + sd1[j] * nd(rng));
      y[(size_t)i * d + j] = (float)(mu2[j] + sd2[j] * nd(rng));
    }
  double expect = 0;
  for (int j = 0; j < d; ++j) expect += std::pow(mu1[j] - mu2[j], 2) + std::pow(sd1[j] - sd2[j], 2);
  double fd = frechet_distance(fit_gaussian(x.data(), n, d), fit_gaussian(y.data(), n, d));
  EXPECT_NEAR(fd, expect, 0.05 * expect) << "closed form " << expect;
}

// Fewer samples than features: the covariance has rank n−1 < d. The distance stays finite and
// non-negative, is 0 between a set and itself, and a shift of the mean adds exactly |shift|².
TEST(Quality, FrechetHandlesRankDeficientCovariances) {
  std::mt19937_64 rng(17);
  std::normal_distribution<float> nd;
  const int d = 64, n = 20;
  std::vector<float> x((size_t)n * d), shifted((size_t)n * d);
  std::vector<float> shift(d);
  double shift2 = 0;
  for (int j = 0; j < d; ++j) shift[j] = 0.25f * nd(rng), shift2 += (double)shift[j] * shift[j];
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) x[(size_t)i * d + j] = nd(rng), shifted[(size_t)i * d + j] = x[(size_t)i * d + j] + shift[j];
  Gaussian gx = fit_gaussian(x.data(), n, d), gs = fit_gaussian(shifted.data(), n, d);
  std::vector<double> lam, v;
  sym_eigen(gx.cov, d, &lam, &v);
  int zero = 0;
  for (double l : lam) zero += std::fabs(l) < 1e-9;
  EXPECT_GE(zero, d - n + 1) << "the test's covariance should be rank-deficient";
  double self = frechet_distance(gx, gx);
  EXPECT_TRUE(std::isfinite(self));
  EXPECT_NEAR(self, 0.0, 1e-6);
  EXPECT_NEAR(frechet_distance(gx, gs), shift2, 1e-6 * std::max(1.0, shift2));
  // Two different rank-deficient sets, with the closed form of commuting singular covariances:
  // diag(λ) and diag(ν) with zeros in different places, rotated by the same Q.
  std::vector<double> q = random_orthogonal(d, rng), l1(d, 0.0), l2(d, 0.0);
  double expect = 0;
  for (int i = 0; i < d; ++i) {
    if (i % 3 != 0) l1[i] = 0.5 + 0.01 * i;
    if (i % 4 != 1) l2[i] = 1.5 - 0.01 * i;
    expect += std::pow(std::sqrt(l1[i]) - std::sqrt(l2[i]), 2);
  }
  double fd = frechet_distance(gaussian(std::vector<double>(d, 0.0), rotate_diag(q, l1, d)),
                               gaussian(std::vector<double>(d, 0.0), rotate_diag(q, l2, d)));
  // Tolerance 1e-6 relative: an eigenvalue that is zero up to rounding (~1e-16 of the norm) adds
  // its square root, ~1e-8, to tr((Σ₁^½ Σ₂ Σ₁^½)^½), once per zero eigenvalue.
  EXPECT_NEAR(fd, expect, 1e-6 * expect);
}

// The eigen route against scipy.linalg.sqrtm (tests/fixtures/quality/scipy_frechet.py) on random
// SPD matrices of the evaluator's feature size (64). Tolerance: 1e-9 relative (Frobenius) for
// the square root and the distance; both are double precision with condition numbers ≤ ~100.
TEST(Quality, SqrtmAgreesWithScipy) {
  const std::string script = "tests/fixtures/quality/scipy_frechet.py";
  if (access(script.c_str(), R_OK) != 0) GTEST_SKIP() << script << " not found: run the tests from the repository root";
  const int d = 64, pairs = 5;
  std::mt19937_64 rng(23);
  std::vector<std::vector<double>> as, bs;
  Json req = Json::object(), arr = Json::array();
  req.set("d", d);
  for (int p = 0; p < pairs; ++p) {
    as.push_back(random_spd(d, rng));
    bs.push_back(random_spd(d, rng));
    Json pair = Json::object(), ja = Json::array(), jb = Json::array();
    for (double x : as.back()) ja.push(x);
    for (double x : bs.back()) jb.push(x);
    pair.set("a", ja);
    pair.set("b", jb);
    arr.push(pair);
  }
  req.set("pairs", arr);
  char in_path[] = "/tmp/gan-scipy-in-XXXXXX";
  int fd_in = mkstemp(in_path);
  ASSERT_GE(fd_in, 0);
  close(fd_in);
  std::ofstream(in_path) << req.dump(-1);
  // Debian's interpreter, where python3-scipy installs (a python3 earlier on PATH may lack it).
  const std::string py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
  std::string cmd = py + " " + script + " < " + in_path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[65536];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
  int rc = pclose(p);
  unlink(in_path);
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 3) GTEST_SKIP() << out;
  ASSERT_EQ(rc, 0) << out;
  Json res = Json::parse(out, "scipy_frechet.py output");
  const auto& results = res.at("results").items();
  ASSERT_EQ((int)results.size(), pairs);
  for (int k = 0; k < pairs; ++k) {
    std::vector<double> ours = sqrtm_psd(as[k], d);
    const auto& theirs = results[k].at("sqrtm_a").items();
    double num = 0, den = 0;
    for (int i = 0; i < d * d; ++i) {
      double e = ours[i] - theirs[i].as_double();
      num += e * e;
      den += ours[i] * ours[i];
    }
    EXPECT_LT(std::sqrt(num / den), 1e-9) << "sqrtm, pair " << k;
    double fd = frechet_distance(gaussian(std::vector<double>(d, 0.0), as[k]), gaussian(std::vector<double>(d, 0.0), bs[k]));
    double ref = results[k].at("trace_term").as_double();
    EXPECT_NEAR(fd, ref, 1e-9 * std::max(1.0, std::fabs(ref))) << "FD, pair " << k;
  }
}

// Precision and recall of point sets with known overlap. Real: a 2-D grid of unit spacing on
// [0,30)²; fake: the same grid's points with x < 15 (half of it) plus 450 far-away points. Every
// k-NN ball of the grid has radius 1 (k = 3: four neighbours at distance 1), so the fake points
// on the grid are inside the real manifold and the far ones are not: precision = 450/900 = 0.5.
// The real points with x < 15 are covered by the fake grid points; those with x ≥ 16 are farther
// than 1 from any fake grid point, and the far fake points' balls are small and far away. The
// column x = 15 is at distance 1 from x = 14: inside (the radius is inclusive). recall = 480/900.
TEST(Quality, PrecisionRecallOfKnownOverlap) {
  std::vector<float> real, fake;
  for (int x = 0; x < 30; ++x)
    for (int y = 0; y < 30; ++y) {
      real.push_back((float)x), real.push_back((float)y);
      if (x < 15) fake.push_back((float)x), fake.push_back((float)y);
    }
  for (int i = 0; i < 450; ++i) fake.push_back(1000.f + (i % 30)), fake.push_back(1000.f + (i / 30));
  PrecisionRecall pr = precision_recall(real.data(), 900, fake.data(), 900, 2, 3);
  EXPECT_DOUBLE_EQ(pr.precision, 0.5);
  EXPECT_DOUBLE_EQ(pr.recall, 480.0 / 900);
  // Identical sets: both 1. Disjoint sets: both 0.
  PrecisionRecall same = precision_recall(real.data(), 900, real.data(), 900, 2, 3);
  EXPECT_DOUBLE_EQ(same.precision, 1.0);
  EXPECT_DOUBLE_EQ(same.recall, 1.0);
  std::vector<float> far(real);
  for (float& v : far) v += 500.f;
  PrecisionRecall none = precision_recall(real.data(), 900, far.data(), 900, 2, 3);
  EXPECT_DOUBLE_EQ(none.precision, 0.0);
  EXPECT_DOUBLE_EQ(none.recall, 0.0);
  // A collapsed generator (every sample near one real point): precise, no recall.
  std::vector<float> collapsed;
  for (int i = 0; i < 100; ++i) collapsed.push_back(5.f + 0.001f * (i % 10)), collapsed.push_back(5.f + 0.001f * (i / 10));
  PrecisionRecall col = precision_recall(real.data(), 900, collapsed.data(), 100, 2, 3);
  EXPECT_DOUBLE_EQ(col.precision, 1.0);
  EXPECT_LT(col.recall, 0.01);
  EXPECT_THROW(precision_recall(real.data(), 3, fake.data(), 900, 2, 3), std::invalid_argument);
}

// ---------------------------------------------------------------- the evaluator and a run

#include <filesystem>

#include "app/digest.h"
#include "cli.h"
#include "data/dataset.h"
#include "common/atomic_file.h"
#include "tests/common/temp_dir.h"
#include "train_util.h"
#include "train/loop.h"
#include "train/quality/evaluator.h"
#include "train/quality/metrics.h"

namespace {

namespace fs = std::filesystem;

// The evaluator cache's key as ./gan computes it (OpenSSL).
const Sha256 sha256 = [](const std::vector<std::string_view>& p) { return gan::sha256_hex(p); };

std::string temp_dir(const std::string& name) { return gan_test::fresh_dir("gan-quality", name); }

using gan_test::synthetic;

double fd_of(quality::Evaluator& ev, const std::vector<float>& a, int na, const std::vector<float>& b, int nb) {
  std::vector<float> fa, fb;
  ev.embed(a.data(), na, &fa, nullptr);
  ev.embed(b.data(), nb, &fb, nullptr);
  const int d = quality::Evaluator::kFeatures;
  return frechet_distance(fit_gaussian(fa.data(), na, d), fit_gaussian(fb.data(), nb, d));
}

}  // namespace

// In the trained evaluator's feature space: two samples of real images are close, noise is far,
// and the distance grows with every step of added noise. The evaluator is cached and reloads to
// the same features.
TEST(Quality, EvaluatorSeparatesRealFromNoise) {
  auto ops = make_cpu_ops();
  Dataset train = synthetic(3000, true), held = synthetic(1200, false);
  std::string cache = temp_dir("evcache");
  quality::EvaluatorTrainOptions eo;
  eo.steps = 250;
  auto ev = quality::make_evaluator(*ops, train, &held, 256, {cache, sha256}, eo, nullptr);
  std::printf("[          ] evaluator: held-out accuracy %.3f after %lld images (%.1f s)\n", ev->info.accuracy,
              (long long)ev->info.trained_images, ev->info.train_seconds);
  EXPECT_GE(ev->info.accuracy, 0.9);
  EXPECT_FALSE(ev->info.from_cache);
  const int per = 28 * 28, n = 600;
  std::vector<float> a(held.images.begin(), held.images.begin() + n * per), b(held.images.begin() + n * per,
                                                                             held.images.begin() + 2 * n * per);
  const double real_real = fd_of(*ev, a, n, b, n);
  std::mt19937_64 rng(1);
  std::normal_distribution<float> nd;
  std::vector<float> noise(a.size());
  for (float& x : noise) x = std::max(-1.f, std::min(1.f, nd(rng)));
  const double real_noise = fd_of(*ev, a, n, noise, n);
  std::printf("[          ] FD(real, real) %.3f  FD(real, noise) %.3f\n", real_real, real_noise);
  EXPECT_LT(real_real * 20, real_noise);
  double prev = real_real;
  for (float sigma : {0.1f, 0.2f, 0.4f, 0.8f}) {
    std::vector<float> noisy(b);
    std::mt19937_64 r2(2);
    for (float& x : noisy) x = std::max(-1.f, std::min(1.f, x + sigma * nd(r2)));
    const double fd = fd_of(*ev, a, n, noisy, n);
    std::printf("[          ] FD(real, real + N(0, %.1f²)) %.3f\n", sigma, fd);
    EXPECT_GT(fd, prev) << "sigma " << sigma;
    prev = fd;
  }
  // The cache: the same data loads the same weights; other data does not match the fingerprint.
  auto again = quality::make_evaluator(*ops, train, &held, 256, {cache, sha256}, eo, nullptr);
  EXPECT_TRUE(again->info.from_cache);
  EXPECT_EQ(again->info.accuracy, ev->info.accuracy);  // exactly: summaries of a resumed run match
  EXPECT_NEAR(fd_of(*again, a, n, b, n), real_real, 1e-6 * std::max(1.0, real_real));
  // The accuracy survives the cache exactly (a resumed run's summaries must match a straight run's).
  quality::Evaluator third(*ops, 1, 28, 10, 64);
  third.info.accuracy = 2.0 / 3;
  third.info.fingerprint = "f";
  third.save(cache + "/third.safetensors");
  quality::Evaluator back(*ops, 1, 28, 10, 64);
  ASSERT_TRUE(back.load(cache + "/third.safetensors", "f"));
  EXPECT_EQ(back.info.accuracy, 2.0 / 3);
  Dataset other = synthetic(2999, true);
  quality::Evaluator fresh(*ops, 1, 28, 10, 64);
  EXPECT_FALSE(fresh.load(again->info.cache_path, quality::evaluator_fingerprint(other, sha256)));
  fs::remove_all(cache);
}

// best.json: lowest FD wins; equal FDs go to the higher class agreement; a resumed run's rewrite
// of an epoch replaces it (and drops later ones).
TEST(Quality, BestEpochChoice) {
  auto q = [](int epoch, double fd, double agree) {
    quality::QualityMetrics m;
    m.epoch = epoch, m.fd = fd, m.class_agreement = agree, m.samples = 10;
    return m;
  };
  Json b = quality::update_best(nullptr, q(1, 5.0, 0.5), 0.9);
  EXPECT_EQ(b.at("epoch").as_int(), 1);
  b = quality::update_best(&b, q(2, 3.0, 0.6), 0.9);
  EXPECT_EQ(b.at("epoch").as_int(), 2);
  b = quality::update_best(&b, q(3, 4.0, 0.9), 0.9);
  EXPECT_EQ(b.at("epoch").as_int(), 2);
  b = quality::update_best(&b, q(4, 3.0, 0.7), 0.9);
  EXPECT_EQ(b.at("epoch").as_int(), 4) << b.at("why").as_string();
  EXPECT_NE(b.at("why").as_string().find("tie"), std::string::npos);
  EXPECT_EQ(b.at("generator").as_string(), "epoch/4/generator.safetensors");
  EXPECT_EQ(b.at("evaluation_epochs").size(), 4u);
  // Epoch 3 evaluated again (a resume): epochs 3 and 4 are replaced by the new epoch 3.
  b = quality::update_best(&b, q(3, 1.0, 0.2), 0.9);
  EXPECT_EQ(b.at("epoch").as_int(), 3);
  EXPECT_EQ(b.at("evaluation_epochs").size(), 3u);
  EXPECT_DOUBLE_EQ(b.at("metrics").at("Frechet Distance").as_double(), 1.0);
}

// A short synthetic run: FD falls and class agreement rises from the first evaluation epoch to
// the last, every summary.json has the new keys next to the reference's, and best.json names an
// epoch whose generator `RUN:best` resolves to.
TEST(Quality, SyntheticRunImprovesAndNamesTheBestEpoch) {
  if (std::getenv("GAN_SKIP_SLOW")) GTEST_SKIP() << "GAN_SKIP_SLOW is set (this test trains a model)";
  CliOptions o = parse_cli({"--train", "--dataset", "synthetic", "--epochs", "8", "--subset", "1920"});
  apply_cpu_preset(o);
  o.cfg.quality_samples = 400;
  o.cfg.seed = 5;
  Dataset train = synthetic(1920, true), held = synthetic(1000, false);
  std::string out = temp_dir("run");
  auto ops = make_cpu_ops();
  RunOptions ro = gan_test::run_options(o.cfg, train, out, "run");
  ro.eval = &held;
  ro.evaluator_cache = {out + "/data", sha256};
  ro.evaluator_steps = 250;
  RunResult r = run_training(*ops, ro);
  ASSERT_EQ(r.epochs_done, 8);
  std::vector<double> fd, agree;
  for (int e = 1; e <= 8; ++e) {
    Json s = Json::parse(read_file(out + "/run/epoch/" + std::to_string(e) + "/summary.json"));
    for (const char* k : {"Epoch", "Real Accuracy", "Fake Accuracy", "Elapsed Time"}) EXPECT_TRUE(s.contains(k)) << k;
    fd.push_back(s.at("Frechet Distance").as_double());
    agree.push_back(s.at("Class Agreement").as_double());
    EXPECT_EQ(s.at("Per-Class Frechet Distance").size(), 10u);
    EXPECT_GE(s.at("Precision").as_double(), 0.0);
    EXPECT_LE(s.at("Recall").as_double(), 1.0);
    EXPECT_EQ(s.at("Quality Samples").as_int(), 400);
    std::printf("[          ] epoch %d: FD %.3f  agreement %.3f  precision %.3f  recall %.3f\n", e, fd.back(), agree.back(),
                s.at("Precision").as_double(), s.at("Recall").as_double());
  }
  std::printf("[          ] training %.1f s, quality metrics %.1f s (%.1f%%), evaluator %.1f s\n", r.seconds,
              r.quality_seconds, 100 * r.quality_seconds / r.seconds, r.evaluator_seconds);
  EXPECT_LT(fd.back(), fd.front());
  EXPECT_GT(agree.back(), agree.front());
  Json best = Json::parse(read_file(out + "/run/best.json"));
  const int be = (int)best.at("epoch").as_int();
  EXPECT_GE(be, 1);
  EXPECT_LE(be, 8);
  EXPECT_DOUBLE_EQ(best.at("metrics").at("Frechet Distance").as_double(), *std::min_element(fd.begin(), fd.end()));
  EXPECT_FALSE(best.at("why").as_string().empty());
  EXPECT_EQ(resolve_checkpoint(out + "/run:best", "unused"),
            out + "/run/epoch/" + std::to_string(be) + "/generator.safetensors");
  EXPECT_EQ(resolve_checkpoint("run:best", out), out + "/run/epoch/" + std::to_string(be) + "/generator.safetensors");
  Json ev = Json::parse(read_file(out + "/run/evaluator.json"));
  EXPECT_GE(ev.at("accuracy").as_double(), 0.8);
  EXPECT_THROW(resolve_checkpoint(out + "/nope:best", "x"), std::runtime_error);
  fs::remove_all(out);
}

// The CPU preset is sized in mini-batches: a small set trains for more epochs, a large one for
// fewer, each about kCpuPresetMiniBatches mini-batches; --epochs given by hand is kept.
TEST(Quality, CpuPresetIsSizedInMiniBatches) {
  for (int images : {1497, 12800, 60000}) {
    CliOptions o = parse_cli({"--train"});
    apply_cpu_preset(o);
    const int used = std::min(images, o.cfg.subset);
    std::string line = size_cpu_preset(o, used);
    const int per = used / o.cfg.batch;
    EXPECT_GE(o.cfg.epochs * per, kCpuPresetMiniBatches) << images;
    EXPECT_LT((o.cfg.epochs - 1) * per, kCpuPresetMiniBatches) << images;
    EXPECT_LE((o.cfg.epochs + o.cfg.evalfreq - 1) / o.cfg.evalfreq, 5) << images;
    EXPECT_NE(line.find(std::to_string(o.cfg.epochs) + " epoch"), std::string::npos) << line;
  }
  CliOptions o = parse_cli({"--train"});
  apply_cpu_preset(o);
  size_cpu_preset(o, 1497);
  EXPECT_EQ(o.cfg.epochs, 44);  // 23 mini-batches of 64 per epoch
  CliOptions given = parse_cli({"--train", "--epochs", "3"});
  apply_cpu_preset(given);
  EXPECT_EQ(size_cpu_preset(given, 1497), "");
  EXPECT_EQ(given.cfg.epochs, 3);
}
