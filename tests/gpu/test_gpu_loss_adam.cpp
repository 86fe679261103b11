// CUDA vs CPU reference: the fused losses (loss, correct count, gradient) and the multi-tensor
// Adam with t taken from the device step counter.
#include <gtest/gtest.h>

#include "gpu_test_util.h"

namespace gan {
namespace {
using namespace gputest;

TEST(CudaLoss, BceWithLogitsMatchesReference) {
  GAN_REQUIRE_CUDA(ops);
  for (int B : {1, 64, 128, 1000})
    for (float scale : {1.0f, 0.5f}) {
      SCOPED_TRACE("B " + std::to_string(B));
      auto x = randu(B, 401, -30, 30), t = randu(B, 402, 0, 1);
      for (auto& v : t) v = v > 0.5f ? 1.0f : 0.0f;
      t[0] = 0.9f;  // soft targets too
      float loss_ref = 0, correct_ref = 0;
      std::vector<float> dx_ref(B);
      ref::bce_logits(&loss_ref, &correct_ref, dx_ref.data(), x.data(), t.data(), B, scale);
      DevBuf<float> dX(*ops, x), dT(*ops, t), dL(*ops, 1), dC(*ops, 1), dDx(*ops, B);
      for (auto* p : {&dL, &dC, &dDx}) p->poison();
      ops->bce_logits(dL.ptr(), dC.ptr(), dDx.ptr(), dX.ptr(), dT.ptr(), B, scale);
      EXPECT_DEV_CLOSE(dL, std::vector<float>{loss_ref}, (Tol{1e-6, 1e-5}));
      EXPECT_DEV_IDENTICAL(dC, std::vector<float>{correct_ref});
      EXPECT_DEV_CLOSE(dDx, dx_ref, (Tol{1e-8, 1e-5}));
      // Without a gradient buffer the metrics are still produced.
      dL.poison();
      ops->bce_logits(dL.ptr(), dC.ptr(), nullptr, dX.ptr(), dT.ptr(), B, scale);
      EXPECT_DEV_CLOSE(dL, std::vector<float>{loss_ref}, (Tol{1e-6, 1e-5}));
    }
}

TEST(CudaLoss, SoftmaxCrossEntropyMatchesReference) {
  GAN_REQUIRE_CUDA(ops);
  struct S { int B, C; };
  for (S s : {S{1, 10}, S{64, 10}, S{128, 10}, S{77, 3}, S{5, 1}}) {
    SCOPED_TRACE("B " + std::to_string(s.B) + " C " + std::to_string(s.C));
    auto x = randu((size_t)s.B * s.C, 411, -8, 8);
    auto y = randi(s.B, 412, s.C);
    float loss_ref = 0, correct_ref = 0;
    std::vector<float> dx_ref(x.size());
    ref::softmax_xent(&loss_ref, &correct_ref, dx_ref.data(), x.data(), y.data(), s.B, s.C, 1.0f);
    DevBuf<float> dX(*ops, x), dL(*ops, 1), dC(*ops, 1), dDx(*ops, x.size());
    DevBuf<int32_t> dY(*ops, y);
    for (auto* p : {&dL, &dC, &dDx}) p->poison();
    ops->softmax_xent(dL.ptr(), dC.ptr(), dDx.ptr(), dX.ptr(), dY.ptr(), s.B, s.C, 1.0f);
    EXPECT_DEV_CLOSE(dL, std::vector<float>{loss_ref}, (Tol{1e-6, 1e-5}));
    EXPECT_DEV_IDENTICAL(dC, std::vector<float>{correct_ref});
    EXPECT_DEV_CLOSE(dDx, dx_ref, (Tol{1e-8, 1e-5}));
  }
}

TEST(CudaAdam, OneLaunchForAllTensorsMatchesReferenceWithDeviceStep) {
  GAN_REQUIRE_CUDA(ops);
  // Sizes straddle the kernel's 2048-element chunks; the last two are acgan28's biggest tensors.
  const int64_t sizes[] = {1, 5, 2048, 2049, 4095, 6272 * 100, 129 * 128 * 16};
  AdamHyper h;
  h.weight_decay = 0.01f;
  std::vector<std::vector<float>> p_ref, m_ref, v_ref, grads;
  std::vector<std::unique_ptr<DevBuf<float>>> dp, dg, dm, dv;
  std::vector<AdamParam> host_params, dev_params;
  uint32_t seed = 500;
  for (int64_t n : sizes) {
    p_ref.push_back(randu(n, seed++));
    grads.push_back(randu(n, seed++));
    m_ref.push_back(randu(n, seed++, -0.01f, 0.01f));
    v_ref.push_back(randu(n, seed++, 0.0f, 0.01f));
    dp.push_back(std::make_unique<DevBuf<float>>(*ops, p_ref.back()));
    dg.push_back(std::make_unique<DevBuf<float>>(*ops, grads.back()));
    dm.push_back(std::make_unique<DevBuf<float>>(*ops, m_ref.back()));
    dv.push_back(std::make_unique<DevBuf<float>>(*ops, v_ref.back()));
  }
  for (size_t i = 0; i < p_ref.size(); ++i) {
    host_params.push_back({p_ref[i].data(), grads[i].data(), m_ref[i].data(), v_ref[i].data(), sizes[i]});
    dev_params.push_back({dp[i]->ptr(), dg[i]->ptr(), dm[i]->ptr(), dv[i]->ptr(), sizes[i]});
  }
  // Two updates per step (t0 = 1 and 2, t_per_step = 2) at steps 0..2, as D is updated in training.
  for (uint64_t step = 0; step < 3; ++step) {
    ops->set_step(step);
    for (int64_t t0 : {1, 2}) {
      ref::adam_update(host_params, h, (int64_t)step * 2 + t0);
      ops->adam_update(dev_params, h, t0, 2);
    }
  }
  for (size_t i = 0; i < p_ref.size(); ++i) {
    SCOPED_TRACE("tensor " + std::to_string(i) + " n " + std::to_string(sizes[i]));
    EXPECT_DEV_CLOSE(*dp[i], p_ref[i], (Tol{1e-7, 1e-6}));
    EXPECT_DEV_CLOSE(*dm[i], m_ref[i], (Tol{1e-8, 1e-6}));
    EXPECT_DEV_CLOSE(*dv[i], v_ref[i], (Tol{1e-9, 1e-6}));
  }
}

}  // namespace
}  // namespace gan
