// The training-parity check (tests/common/train_parity.h) proven on the CPU, where it runs in CI:
// the CPU reference against itself with rounding noise injected into op outputs (what another
// backend's summation order does) must pass, and against the same backend with a planted bug must
// fail. Each test prints the check's margins: train_parity.h's header quotes them to justify its
// limits, and CudaTrain.AgreesWithTheCpuFromTheSameSeed applies the same check to CUDA.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <random>

#include "tests/common/train_parity.h"
#include "tests/core/forwarding_ops.h"

namespace gan {
namespace {

using testing::ForwardingOps;
using testing::OpKind;

// Rounding noise. `ulp_fraction` of every float output of every op is moved one ulp up or down
// (pointwise kernels and device math functions differ from the host's by about that); with
// `sum_rel` > 0, every output of the ops a GPU sums in another order (conv, linear, BatchNorm,
// losses; gradients as their increments) also gets uniform noise of ±sum_rel·rms(output).
class NoisyOps final : public ForwardingOps {
 public:
  NoisyOps(double ulp_fraction, double sum_rel, uint64_t seed)
      : ForwardingOps(make_cpu_ops()), ulp_fraction_(ulp_fraction), sum_rel_(sum_rel), rng_(seed) {}

 protected:
  void written(const char*, OpKind kind, float* out, int64_t n) override {
    if (sum_rel_ > 0 && (kind == OpKind::Matrix || kind == OpKind::Reduction || kind == OpKind::Loss)) {
      double ss = 0;
      for (int64_t i = 0; i < n; ++i) ss += (double)out[i] * out[i];
      const float amp = (float)(sum_rel_ * std::sqrt(ss / (double)n));
      std::uniform_real_distribution<float> u(-1.0f, 1.0f);
      for (int64_t i = 0; i < n; ++i) out[i] += amp * u(rng_);
    }
    if (ulp_fraction_ > 0) {
      std::geometric_distribution<int64_t> gap(ulp_fraction_);
      for (int64_t i = gap(rng_); i < n; i += 1 + gap(rng_))
        out[i] = std::nextafter(out[i], (rng_() & 1) ? INFINITY : -INFINITY);
    }
  }

 private:
  double ulp_fraction_, sum_rel_;
  std::mt19937_64 rng_;
};

// A planted off-by-one in one op's output indexing: element i receives what belongs to i − 1.
class ShiftedOutputOps final : public ForwardingOps {
 public:
  explicit ShiftedOutputOps(std::string op) : ForwardingOps(make_cpu_ops()), op_(std::move(op)) {}

 protected:
  void written(const char* op, OpKind, float* out, int64_t n) override {
    if (op_ == op) std::memmove(out + 1, out, sizeof(float) * (size_t)(n - 1));
  }

 private:
  std::string op_;
};

// A planted layout bug: conv_transpose2d reads (and its weight gradient writes) the weight as
// [out, in, k, k] where it is [in, out, k, k] — what a filter descriptor with its first two
// dimensions swapped does. Consistent in all three directions, so training still "works".
class SwappedConvTransposeLayoutOps final : public ForwardingOps {
 public:
  SwappedConvTransposeLayoutOps() : ForwardingOps(make_cpu_ops()) {}
  void conv_transpose2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                                const ConvShape& s) override {
    const std::vector<float> w = as_read(weight, s);
    inner().conv_transpose2d_forward(out, inp, w.data(), bias, s);
  }
  void conv_transpose2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                                 const float* weight, const ConvShape& s) override {
    const std::vector<float> w = as_read(weight, s);
    const int64_t k2 = (int64_t)s.KH * s.KW, nw = (int64_t)s.C_in * s.C_out * k2;
    std::vector<float> dw(dweight ? nw : 0, 0.0f);
    inner().conv_transpose2d_backward(dinp, dweight ? dw.data() : nullptr, dbias, dout, inp, w.data(), s);
    // The gradient of the weight as the kernel sees it, stored in the kernel's layout.
    for (int64_t i = 0; dweight && i < s.C_in; ++i)
      for (int64_t o = 0; o < s.C_out; ++o)
        for (int64_t k = 0; k < k2; ++k) dweight[(o * s.C_in + i) * k2 + k] += dw[(i * s.C_out + o) * k2 + k];
  }

 private:
  // The weight [in, out, k, k] the op effectively uses when memory holds it as [out, in, k, k].
  static std::vector<float> as_read(const float* mem, const ConvShape& s) {
    const int64_t k2 = (int64_t)s.KH * s.KW;
    std::vector<float> w((size_t)(s.C_in * s.C_out * k2));
    for (int64_t i = 0; i < s.C_in; ++i)
      for (int64_t o = 0; o < s.C_out; ++o)
        for (int64_t k = 0; k < k2; ++k) w[(i * s.C_out + o) * k2 + k] = mem[(o * s.C_in + i) * k2 + k];
    return w;
  }
};

// A planted optimiser bug: Adam's step count one too high (bias corrections of the next step).
class AdamStepOffByOneOps final : public ForwardingOps {
 public:
  AdamStepOffByOneOps() : ForwardingOps(make_cpu_ops()) {}
  void adam_update(const std::vector<AdamParam>& params, const AdamHyper& h, int64_t t0, int64_t t_per_step) override {
    inner().adam_update(params, h, t0 + 1, t_per_step);
  }
};

// A planted replay bug: the device step counter never advances, so every step draws the first
// step's noise, labels and dropout masks and Adam's bias corrections stay those of t = 1 — what a
// captured CUDA graph that missed advance_step would do. The first step is exact.
class FrozenStepCounterOps final : public ForwardingOps {
 public:
  FrozenStepCounterOps() : ForwardingOps(make_cpu_ops()) {}
  void advance_step() override {}
};

class TrainParity : public ::testing::Test {
 protected:
  // The CPU reference run, made once for every test here.
  static const parity::Run& ref() {
    static const parity::Run r = [] {
      auto cpu = make_cpu_ops();
      return parity::run(*cpu, parity::config(), parity::dataset());
    }();
    return r;
  }
  static parity::Result check(Ops& ops, const parity::Tolerances& tol, const char* what) {
    const parity::Result r = parity::compare(ref(), parity::run(ops, parity::config(), parity::dataset()), tol);
    std::printf("parity margins, %s:\n%s", what, r.report(4).c_str());
    return r;
  }
};

// Noise a correct backend may add: a fraction of op outputs moved by one ulp, plus noise of a
// fraction of their rms on every sum. Each case passes its limits.
struct NoiseCase {
  const char* name;
  double ulp_fraction, sum_noise;
  uint64_t seed;
  bool tf32;  // the TF32 limits (else FP32's)
  const char* what;
};

class TrainParityNoise : public TrainParity, public ::testing::WithParamInterface<NoiseCase> {};

TEST_P(TrainParityNoise, Passes) {
  const NoiseCase& c = GetParam();
  NoisyOps ops(c.ulp_fraction, c.sum_noise, c.seed);
  const parity::Result r = check(ops, c.tf32 ? parity::tf32() : parity::fp32(), c.what);
  EXPECT_TRUE(r.ok()) << r.report();
}

INSTANTIATE_TEST_SUITE_P(
    TrainParity, TrainParityNoise,
    ::testing::Values(NoiseCase{"OneUlpOnATenthOfAPercentOfOutputs", 1e-3, 0, 11, false, "0.1% of op outputs moved by one ulp"},
                      NoiseCase{"SummationNoiseOfAnFp32Sum", 1e-3, 1e-6, 12, false, "sums with noise 1e-6 of their rms, and the ulps"},
                      // 1e-4 of the rms: as large as tests/gpu/test_gpu_layers.cpp lets cuDNN's
                      // Winograd and FFT algorithms be (1e-4 of max|ref|).
                      NoiseCase{"SummationNoiseAsLargeAsTheLayerTestsAllow", 1e-3, 1e-4, 13, false,
                                "sums with noise 1e-4 of their rms, and the ulps"},
                      NoiseCase{"Tf32SizedNoiseWithTheTf32Limits", 1e-3, 5e-4, 14, true,
                                "sums with noise 5e-4 of their rms (TF32), TF32 limits"}),
    [](const ::testing::TestParamInfo<NoiseCase>& i) { return std::string(i.param.name); });

// A planted bug fails the FP32 limits, and the check `shown_in` already shows it at the first step.
struct PlantedCase {
  const char* name;
  std::function<std::unique_ptr<Ops>()> make;
  const char* what;
  const char* shown_in;
};

class TrainParityPlanted : public TrainParity, public ::testing::WithParamInterface<PlantedCase> {};

TEST_P(TrainParityPlanted, Fails) {
  const PlantedCase& c = GetParam();
  std::unique_ptr<Ops> ops = c.make();
  const parity::Result r = check(*ops, parity::fp32(), c.what);
  EXPECT_FALSE(r.ok());
  EXPECT_GT(r.worst(c.shown_in), 1.0) << "the first step must already show it";
}

INSTANTIATE_TEST_SUITE_P(
    TrainParity, TrainParityPlanted,
    ::testing::Values(
        PlantedCase{"OffByOneInOneOpsOutput", [] { return std::make_unique<ShiftedOutputOps>("concat_forward"); },
                    "planted bug: concat_forward's output shifted by one element", "step 1 at lr 0: BatchNorm statistics"},
        PlantedCase{"SwappedConvTransposeWeightLayout", [] { return std::make_unique<SwappedConvTransposeLayoutOps>(); },
                    "planted bug: conv_transpose2d weight read as [out,in,k,k]", "step 1 at lr 0: BatchNorm statistics"},
        PlantedCase{"AdamStepOffByOne", [] { return std::make_unique<AdamStepOffByOneOps>(); },
                    "planted bug: Adam's t one too high", "step 1: G parameter updates that differ"}),
    [](const ::testing::TestParamInfo<PlantedCase>& i) { return std::string(i.param.name); });

TEST_F(TrainParity, PlantedFrozenStepCounterFails) {
  FrozenStepCounterOps ops;
  const parity::Result r = check(ops, parity::fp32(), "planted bug: the step counter never advances");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.worst("step 1 at lr 0: BatchNorm statistics"), 0.0) << "the first step is exact";
  EXPECT_GT(r.worst("losses"), 1.0) << "the later steps must show it";
}

// bf16 (src/precision.h): the CPU backend emulates the GPU's rounding points, so the reference of
// a bf16 GPU run is a bf16 CPU run, and what remains between them is the order of the fp32 sums —
// which now decides some bf16 roundings. Noise of ±2e-3·rms on every matrix, reduction and loss
// output (about half a bf16 ulp everywhere: far more than the one-ulp flips a different fp32 sum
// order causes at a small fraction of the outputs) must pass the bf16 limits; a planted bug must
// still fail them.
class TrainParityBf16 : public ::testing::Test {
 protected:
  static TrainConfig config() {
    TrainConfig c = parity::config();
    c.precision = Precision::Bf16;
    return c;
  }
  static void SetUpTestSuite() {
    auto cpu = make_cpu_ops();
    ref_ = new parity::Run(parity::run(*cpu, config(), parity::dataset()));
  }
  static void TearDownTestSuite() {
    delete ref_;
    ref_ = nullptr;
  }
  static parity::Result check(Ops& ops, const char* what) {
    const parity::Result r = parity::compare(*ref_, parity::run(ops, config(), parity::dataset()), parity::bf16());
    std::printf("parity margins, bf16, %s:\n%s", what, r.report(4).c_str());
    return r;
  }
  static parity::Run* ref_;
};
parity::Run* TrainParityBf16::ref_ = nullptr;

TEST_F(TrainParityBf16, SummationOrderNoisePassesTheBf16Limits) {
  for (uint64_t seed : {15, 16, 17}) {
    NoisyOps ops(1e-3, 2e-3, seed);
    const parity::Result r = check(ops, "sums with noise 2e-3 of their rms, and the ulps");
    EXPECT_TRUE(r.ok()) << r.report();
  }
}

TEST_F(TrainParityBf16, AnFp32RunIsNotTakenForABf16One) {
  // The bf16 rounding points are real: the fp32 reference differs from the bf16 one measurably
  // (and within the bf16 limits, which are about bf16's own error).
  auto cpu = make_cpu_ops();
  const parity::Run fp = parity::run(*cpu, parity::config(), parity::dataset());
  const parity::Result r = parity::compare(*ref_, fp, parity::fp32());
  std::printf("parity margins, bf16 reference against an fp32 run, fp32 limits:\n%s", r.report(4).c_str());
  EXPECT_FALSE(r.ok());
}

TEST_F(TrainParityBf16, PlantedOffByOneFailsTheBf16Limits) {
  ShiftedOutputOps ops("concat_forward");
  const parity::Result r = check(ops, "planted bug: concat_forward's output shifted by one element");
  EXPECT_FALSE(r.ok());
  EXPECT_GT(r.worst("step 1 at lr 0: BatchNorm statistics"), 1.0) << "the first step must already show it";
}

}  // namespace
}  // namespace gan
