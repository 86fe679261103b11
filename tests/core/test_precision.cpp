// --precision fp32|tf32|bf16 on the CPU backend: the rounding functions (src/precision.h) exactly,
// the matrix ops' rounding points (src/ref/precision.cpp), and the flag through the CLI and the
// run's configuration.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "src/cli.h"
#include "src/precision.h"
#include "src/ref/ops.h"
#include "tests/ops/op_case.h"
#include "src/train/config.h"

namespace gan {
namespace {

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// The nearest value with `sig` significant bits (ties to even), computed another way: in double,
// with frexp/ldexp and nearbyint (the default rounding mode is to nearest, ties to even). The
// quantum never goes below that of the format's subnormals (float's exponent range).
float nearest(float x, int sig) {
  if (std::isnan(x) || std::isinf(x) || x == 0.0f) return x;
  int e;
  std::frexp((double)x, &e);  // |x| = m·2^e, m in [0.5, 1)
  int q = e - sig;
  const int qmin = -126 - (sig - 1);
  if (q < qmin) q = qmin;
  const double r = std::ldexp(std::nearbyint(std::ldexp((double)x, -q)), q);
  if (std::fabs(r) > FLT_MAX) return x > 0 ? INFINITY : -INFINITY;
  return (float)r;
}

TEST(Precision, Bf16RoundsToNearestWithTiesToEven) {
  EXPECT_EQ(round_bf16(1.0f), 1.0f);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
  EXPECT_EQ(round_bf16(1.0f + std::ldexp(1.0f, -8)), 1.0f);
  // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even).
  EXPECT_EQ(round_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 1.0f + std::ldexp(1.0f, -6));
  // Just above a tie rounds up; just below rounds down.
  EXPECT_EQ(round_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)), 1.0f + std::ldexp(1.0f, -7));
  EXPECT_EQ(round_bf16(1.0f + std::ldexp(1.0f, -8) - std::ldexp(1.0f, -20)), 1.0f);
  EXPECT_EQ(round_bf16(-1.0f - 3 * std::ldexp(1.0f, -8)), -1.0f - std::ldexp(1.0f, -6));
  // The carry runs into the exponent: the largest mantissa below 2 rounds to 2.
  EXPECT_EQ(round_bf16(std::nextafter(2.0f, 0.0f)), 2.0f);
  // Signed zero and subnormals keep their sign and round on the same grid.
  EXPECT_EQ(bits(round_bf16(-0.0f)), bits(-0.0f));
  // bf16's smallest subnormal is 2^-133: 2^-130 is one; half of 2^-133 ties to even (0), and
  // 1.5·2^-133 ties to the even 2^-132; the smallest float subnormal rounds to 0.
  EXPECT_EQ(round_bf16(std::ldexp(1.0f, -130)), std::ldexp(1.0f, -130));
  EXPECT_EQ(round_bf16(std::ldexp(1.0f, -134)), 0.0f);
  EXPECT_EQ(round_bf16(3 * std::ldexp(1.0f, -134)), std::ldexp(1.0f, -132));
  EXPECT_EQ(round_bf16(from_bits(0x00000001u)), 0.0f);
}

TEST(Precision, Bf16KeepsInfinityAndNaNAndOverflowsToInfinity) {
  EXPECT_EQ(round_bf16(INFINITY), INFINITY);
  EXPECT_EQ(round_bf16(-INFINITY), -INFINITY);
  EXPECT_TRUE(std::isnan(round_bf16(std::numeric_limits<float>::quiet_NaN())));
  // A NaN whose payload is only in the bits that are dropped must not become infinity.
  EXPECT_TRUE(std::isnan(round_bf16(from_bits(0x7f800001u))));
  EXPECT_TRUE(std::isnan(round_bf16(from_bits(0xff800001u))));
  EXPECT_TRUE(std::isnan(round_tf32(from_bits(0x7f800001u))));
  // FLT_MAX is past the largest bf16 plus half its ulp: it rounds to infinity, as
  // __float2bfloat16_rn does; the largest bf16 itself stays.
  EXPECT_EQ(round_bf16(FLT_MAX), INFINITY);
  EXPECT_EQ(round_bf16(-FLT_MAX), -INFINITY);
  const float bf16_max = from_bits(0x7f7f0000u);
  EXPECT_EQ(round_bf16(bf16_max), bf16_max);
}

// Every result against the double-precision reference above, over a million random bit
// patterns (every exponent, subnormals included) and every tie pattern near 1.
TEST(Precision, RoundingAgreesWithADoublePrecisionReference) {
  std::mt19937 g(7);
  for (int i = 0; i < 1000000; ++i) {
    const float x = from_bits(g());
    if (std::isnan(x)) continue;
    ASSERT_EQ(bits(round_bf16(x)), bits(nearest(x, 8))) << "bf16 of " << x << " (bits " << std::hex << bits(x) << ")";
    ASSERT_EQ(bits(round_tf32(x)), bits(nearest(x, 11))) << "tf32 of " << x << " (bits " << std::hex << bits(x) << ")";
  }
  for (uint32_t low = 0; low < (1u << 16); ++low) {
    const float x = from_bits(0x3f800000u | low);  // [1, 2): every pattern of the dropped bits
    ASSERT_EQ(bits(round_bf16(x)), bits(nearest(x, 8))) << x;
  }
  EXPECT_EQ(round_to(Precision::Fp32, 1.0f + FLT_EPSILON), 1.0f + FLT_EPSILON);
  EXPECT_EQ(round_to(Precision::Tf32, 1.0f + FLT_EPSILON), 1.0f);
}


bool all_bf16(const std::vector<float>& v) {
  for (float x : v)
    if (round_bf16(x) != x) return false;
  return true;
}

double max_rel(const std::vector<float>& a, const std::vector<float>& ref) {
  double m = 0, s = 0;
  for (float r : ref) s = std::max(s, (double)std::fabs(r));
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs((double)a[i] - ref[i]) / s);
  return m;
}

// fp32 is the plain reference, bit for bit; bf16 rounds inputs and outputs (every output is a
// bf16 value) and stays within bf16's error of fp32; tf32 is fp32 arithmetic on tf32 inputs.
TEST(Precision, LinearRoundsWhereTheGpuRounds) {
  const int B = 16, I = 96, O = 24;
  const auto x = opcases::randu((size_t)B * I, 1), w = opcases::randu((size_t)O * I, 2), b = opcases::randu(O, 3),
             dy = opcases::randu((size_t)B * O, 4);
  std::vector<float> y32(B * O), y(B * O);
  ref::linear_forward(y32.data(), x.data(), w.data(), b.data(), B, I, O);
  ref::linear_forward(Precision::Fp32, y.data(), x.data(), w.data(), b.data(), B, I, O);
  EXPECT_EQ(y, y32);
  ref::linear_forward(Precision::Bf16, y.data(), x.data(), w.data(), b.data(), B, I, O);
  EXPECT_TRUE(all_bf16(y));
  EXPECT_NE(y, y32);
  EXPECT_LT(max_rel(y, y32), 3e-2);
  // tf32: exactly the fp32 reference on tf32-rounded inputs.
  std::vector<float> xt = x, wt = w, yt(B * O);
  for (auto& v : xt) v = round_tf32(v);
  for (auto& v : wt) v = round_tf32(v);
  ref::linear_forward(yt.data(), xt.data(), wt.data(), b.data(), B, I, O);
  ref::linear_forward(Precision::Tf32, y.data(), x.data(), w.data(), b.data(), B, I, O);
  EXPECT_EQ(y, yt);

  // Backward in bf16: dinp is bf16; dweight accumulates the fp32 sum of bf16 products; dbias the
  // fp32 incoming gradient, exactly as fp32.
  std::vector<float> dx(B * I), dw(O * I, 0.0f), db(O, 0.0f), dx32(B * I), dw32(O * I, 0.0f), db32(O, 0.0f);
  ref::linear_backward(dx32.data(), dw32.data(), db32.data(), dy.data(), x.data(), w.data(), B, I, O);
  ref::linear_backward(Precision::Bf16, dx.data(), dw.data(), db.data(), dy.data(), x.data(), w.data(), B, I, O);
  EXPECT_TRUE(all_bf16(dx));
  EXPECT_LT(max_rel(dx, dx32), 3e-2);
  EXPECT_LT(max_rel(dw, dw32), 3e-2);
  EXPECT_EQ(db, db32);
}

TEST(Precision, ConvRoundsWhereTheGpuRounds) {
  for (bool transposed : {false, true}) {
    SCOPED_TRACE(transposed ? "conv_transpose2d" : "conv2d");
    const ConvShape s = transposed ? ConvShape::conv_transpose(4, 6, 7, 7, 5, 4, 2, 1)
                                   : ConvShape::conv(4, 6, 14, 14, 5, 3, 2, 1);
    const size_t nin = (size_t)s.N * s.C_in * s.H * s.W, nout = (size_t)s.N * s.C_out * s.H_out * s.W_out,
                 nw = (size_t)s.C_in * s.C_out * s.KH * s.KW;
    const auto x = opcases::randu(nin, 5), w = opcases::randu(nw, 6), b = opcases::randu(s.C_out, 7), dy = opcases::randu(nout, 8);
    auto fwd = [&](Precision p, float* out, const float* bias) {
      if (transposed) ref::conv_transpose2d_forward(p, out, x.data(), w.data(), bias, s);
      else ref::conv2d_forward(p, out, x.data(), w.data(), bias, s);
    };
    auto bwd = [&](Precision p, float* dx, float* dw, float* db) {
      if (transposed) ref::conv_transpose2d_backward(p, dx, dw, db, dy.data(), x.data(), w.data(), s);
      else ref::conv2d_backward(p, dx, dw, db, dy.data(), x.data(), w.data(), s);
    };
    std::vector<float> y32(nout), y(nout);
    fwd(Precision::Fp32, y32.data(), nullptr);
    fwd(Precision::Bf16, y.data(), nullptr);
    EXPECT_TRUE(all_bf16(y));  // without a bias the stored output is cuDNN's bf16 result
    EXPECT_LT(max_rel(y, y32), 3e-2);
    // The bias is added in fp32 after the rounding.
    std::vector<float> yb(nout);
    fwd(Precision::Bf16, yb.data(), b.data());
    const int64_t hw = (int64_t)s.H_out * s.W_out;
    for (size_t i = 0; i < nout; ++i) ASSERT_EQ(yb[i], y[i] + b[(i / hw) % s.C_out]) << i;

    // The weight gradient's increment is rounded to bf16 before it is added: from zero, the
    // gradient holds bf16 values; added to 0.5 + something, it is that plus a bf16 value.
    std::vector<float> dx(nin), dw(nw, 0.0f), db(s.C_out, 0.0f), dx32(nin), dw32(nw, 0.0f), db32(s.C_out, 0.0f);
    bwd(Precision::Fp32, dx32.data(), dw32.data(), db32.data());
    bwd(Precision::Bf16, dx.data(), dw.data(), db.data());
    EXPECT_TRUE(all_bf16(dx));
    EXPECT_TRUE(all_bf16(dw));
    EXPECT_LT(max_rel(dx, dx32), 3e-2);
    EXPECT_LT(max_rel(dw, dw32), 3e-2);
    EXPECT_EQ(db, db32);
    std::vector<float> acc(nw, 0.1f);
    bwd(Precision::Bf16, nullptr, acc.data(), nullptr);
    for (size_t i = 0; i < nw; ++i) ASSERT_EQ(acc[i], 0.1f + dw[i]) << i;
  }
}

TEST(Precision, FlagReachesTheConfigurationAndHyperparameters) {
  unsetenv("GAN_TF32");
  EXPECT_EQ(parse_cli({"--train"}).cfg.precision, Precision::Fp32);
  EXPECT_EQ(parse_cli({"--train", "--precision", "bf16"}).cfg.precision, Precision::Bf16);
  EXPECT_EQ(parse_cli({"--train", "--precision=tf32"}).cfg.precision, Precision::Tf32);
  try {
    parse_cli({"--train", "--precision", "fp16"});
    FAIL() << "fp16 accepted";
  } catch (const CliError& e) {
    EXPECT_NE(std::string(e.what()).find("--precision"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bf16"), std::string::npos) << e.what();
  }
  CliOptions o = parse_cli({"--train", "--precision", "bf16"});
  const Json j = cli_hyperparameters(o);
  EXPECT_EQ(j.at("precision").as_string(), "bf16");
  EXPECT_EQ(train_config_from_json(j).precision, Precision::Bf16);
  // A run recorded before the key existed trained in fp32; a bad value is an error naming the key.
  Json old = train_config_json(TrainConfig());
  Json without = Json::object();
  for (const auto& [k, v] : old.members())
    if (k != "precision") without.set(k, v);
  EXPECT_EQ(train_config_from_json(without).precision, Precision::Fp32);
  old.set("precision", "fp8");
  EXPECT_THROW(train_config_from_json(old), std::invalid_argument);
}

TEST(Precision, GanTf32EnvironmentIsAnAliasForTf32) {
  setenv("GAN_TF32", "1", 1);
  EXPECT_EQ(parse_cli({"--train"}).cfg.precision, Precision::Tf32);
  EXPECT_EQ(parse_cli({"--train", "--precision", "bf16"}).cfg.precision, Precision::Bf16);  // the flag wins
  setenv("GAN_TF32", "yes", 1);
  EXPECT_THROW(parse_cli({"--train"}), CliError);
  setenv("GAN_TF32", "0", 1);
  EXPECT_EQ(parse_cli({"--train"}).cfg.precision, Precision::Fp32);
  unsetenv("GAN_TF32");
}

}  // namespace
}  // namespace gan
