// The fused bias + BatchNorm + LeakyReLU + dropout op on CUDA against the CPU reference
// (src/ref/fused.cpp): the dropout mask bit for bit (the same Philox counters), the outputs,
// statistics and gradients within BatchNorm's tolerance (the sums run in another order).
#include <gtest/gtest.h>

#include "gpu_test_util.h"

namespace gan {
namespace {
using namespace gputest;

TEST(CudaFused, BnActDropoutMatchesTheCpuReference) {
  GAN_REQUIRE_CUDA(gpu);
  auto cpu = make_cpu_ops();
  struct S {
    int N, C, HW;
    float p;
    bool bias;
  };
  for (const S s : {S{64, 128, 196, 0.4f, false}, S{64, 128, 49, 0.4f, true}, S{128, 256, 16, 0.0f, false},
                    S{7, 3, 5, 0.5f, true}}) {
    SCOPED_TRACE("N " + std::to_string(s.N) + " C " + std::to_string(s.C) + " HW " + std::to_string(s.HW));
    const size_t n = (size_t)s.N * s.C * s.HW;
    const auto x = randu(n, 1, -2.0f, 3.0f), g = randu(s.C, 2, 0.5f, 1.5f), b = randu(s.C, 3), bias = randu(s.C, 4),
               dout = randu(n, 5);
    const uint64_t seed = 42, offset = (17ULL << 32) | (2ULL << 28);
    gpu->set_step(3);
    cpu->set_step(3);
    // CPU reference through the same interface.
    std::vector<float> out(n), mask(n), sm(s.C), si(s.C), rm(s.C, 0.1f), rv(s.C, 0.9f), dx(n), dbias(s.C, 0.0f),
        dg(s.C, 0.0f), db(s.C, 0.0f), ev(n);
    cpu->bn_act_dropout_forward_train(out.data(), s.p > 0 ? mask.data() : nullptr, sm.data(), si.data(), rm.data(),
                                      rv.data(), x.data(), s.bias ? bias.data() : nullptr, g.data(), b.data(), s.N, s.C,
                                      s.HW, 0.1f, 1e-5f, 0.2f, s.p, seed, offset);
    cpu->bn_act_dropout_backward(dx.data(), s.bias ? dbias.data() : nullptr, dg.data(), db.data(), dout.data(),
                                 s.p > 0 ? mask.data() : nullptr, x.data(), s.bias ? bias.data() : nullptr, g.data(),
                                 b.data(), sm.data(), si.data(), s.N, s.C, s.HW, 0.2f);
    cpu->bn_act_forward_eval(ev.data(), x.data(), s.bias ? bias.data() : nullptr, g.data(), b.data(), rm.data(),
                             rv.data(), s.N, s.C, s.HW, 1e-5f, 0.2f);
    DevBuf<float> dX(*gpu, x), dG(*gpu, g), dB(*gpu, b), dBias(*gpu, bias), dOut(*gpu, dout), gOut(*gpu, n),
        gMask(*gpu, n), gSm(*gpu, s.C), gSi(*gpu, s.C), gRm(*gpu, std::vector<float>(s.C, 0.1f)),
        gRv(*gpu, std::vector<float>(s.C, 0.9f)), gDx(*gpu, n), gDbias(*gpu, std::vector<float>(s.C, 0.0f)),
        gDg(*gpu, std::vector<float>(s.C, 0.0f)), gDb(*gpu, std::vector<float>(s.C, 0.0f)), gEv(*gpu, n);
    gOut.poison();
    gMask.poison();
    gDx.poison();
    gEv.poison();
    gpu->bn_act_dropout_forward_train(gOut.ptr(), s.p > 0 ? gMask.ptr() : nullptr, gSm.ptr(), gSi.ptr(), gRm.ptr(),
                                      gRv.ptr(), dX.ptr(), s.bias ? dBias.ptr() : nullptr, dG.ptr(), dB.ptr(), s.N, s.C,
                                      s.HW, 0.1f, 1e-5f, 0.2f, s.p, seed, offset);
    gpu->bn_act_dropout_backward(gDx.ptr(), s.bias ? gDbias.ptr() : nullptr, gDg.ptr(), gDb.ptr(), dOut.ptr(),
                                 s.p > 0 ? gMask.ptr() : nullptr, dX.ptr(), s.bias ? dBias.ptr() : nullptr, dG.ptr(),
                                 dB.ptr(), gSm.ptr(), gSi.ptr(), s.N, s.C, s.HW, 0.2f);
    gpu->bn_act_forward_eval(gEv.ptr(), dX.ptr(), s.bias ? dBias.ptr() : nullptr, dG.ptr(), dB.ptr(), gRm.ptr(),
                             gRv.ptr(), s.N, s.C, s.HW, 1e-5f, 0.2f);
    if (s.p > 0) {
      const std::vector<float> m = gMask.download();
      EXPECT_EQ(m, mask) << "dropout masks differ";
    }
    const Tol t{1e-5, 1e-4};
    EXPECT_TRUE(close("out", gOut.download(), out, Tol{1e-4 * max_abs(out), 1e-4}));
    EXPECT_TRUE(close("save_mean", gSm.download(), sm, Tol{1e-5 * max_abs(sm) + 1e-6, 1e-4}));
    EXPECT_TRUE(close("save_invstd", gSi.download(), si, t));
    EXPECT_TRUE(close("running_mean", gRm.download(), rm, t));
    EXPECT_TRUE(close("running_var", gRv.download(), rv, t));
    EXPECT_TRUE(close("dinp", gDx.download(), dx, Tol{1e-4 * max_abs(dx), 1e-3}));
    EXPECT_TRUE(close("dgamma", gDg.download(), dg, Tol{1e-4 * max_abs(dg), 1e-3}));
    EXPECT_TRUE(close("dbeta", gDb.download(), db, Tol{1e-4 * max_abs(db), 1e-3}));
    if (s.bias) {
      // The bias gradient is rounding-sized on both sides (BatchNorm removes the mean): compare to
      // the scale of dinp's per-channel magnitude, not to the reference's own value.
      const double scale = max_abs(dx) * s.N * s.HW;
      EXPECT_TRUE(close("dbias", gDbias.download(), dbias, Tol{1e-5 * scale, 0}));
    }
    EXPECT_TRUE(close("eval out", gEv.download(), ev, Tol{1e-5 * max_abs(ev), 1e-4}));
    EXPECT_TRUE(gOut.guards_ok() && (s.p <= 0 || gMask.guards_ok()) && gDx.guards_ok() && gEv.guards_ok());
  }
}

}  // namespace
}  // namespace gan
