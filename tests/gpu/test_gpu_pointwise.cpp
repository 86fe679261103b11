// CUDA vs CPU reference: activations, dropout, concat, embedding, data movement, random numbers,
// the step counter and the image grid. Random ops must match bit for bit (randn within 1e-5:
// device logf/cosf may differ from the host's by an ulp).
#include <gtest/gtest.h>

#include "gpu_test_util.h"

namespace gan {
namespace {
using namespace gputest;

const Tol kExact{0.0, 0.0};

TEST(CudaActivation, ForwardBackwardMatchReferenceOverSizesAndAlignments) {
  GAN_REQUIRE_CUDA(ops);
  const Act acts[] = {Act::LeakyRelu, Act::Relu, Act::Tanh, Act::Sigmoid};
  const int64_t sizes[] = {1, 3, 4, 5, 1001, 64 * 128 * 7 * 7, 128 * 128 * 14 * 14 + 3};
  for (Act act : acts)
    for (int64_t n : sizes)
      for (int shift : {0, 1}) {  // shift 1: misaligned pointers take the scalar path
        SCOPED_TRACE("act " + std::to_string((int)act) + " n " + std::to_string(n) + " shift " + std::to_string(shift));
        const float alpha = 0.2f;
        auto x = randu(n + shift, 11 + (uint32_t)n, -4, 4), dy = randu(n + shift, 12 + (uint32_t)n);
        std::vector<float> y_ref(n), dx_ref(n);
        ref::activation_forward(act, y_ref.data(), x.data() + shift, n, alpha);
        ref::activation_backward(act, dx_ref.data(), dy.data() + shift, x.data() + shift, y_ref.data(), n, alpha);
        DevBuf<float> dx_in(*ops, x), ddy(*ops, dy), dyo(*ops, n + shift), ddx(*ops, n + shift);
        dyo.poison();
        ddx.poison();
        ops->activation_forward(act, dyo.ptr() + shift, dx_in.ptr() + shift, n, alpha);
        ops->activation_backward(act, ddx.ptr() + shift, ddy.ptr() + shift, dx_in.ptr() + shift, dyo.ptr() + shift, n, alpha);
        auto y = dyo.download(), dx = ddx.download();
        EXPECT_TRUE(dyo.guards_ok() && ddx.guards_ok());
        const Tol tol = (act == Act::Tanh || act == Act::Sigmoid) ? Tol{2e-6, 2e-6} : kExact;
        EXPECT_TRUE(close("out", std::vector<float>(y.begin() + shift, y.end()), y_ref, tol));
        EXPECT_TRUE(close("dinp", std::vector<float>(dx.begin() + shift, dx.end()), dx_ref, tol));
      }
}

TEST(CudaDropout, MasksAreBitIdenticalToReferenceForAnyCounterAlignment) {
  GAN_REQUIRE_CUDA(ops);
  const uint64_t seed = 0x1234567890abcdefULL;
  for (int64_t n : {1, 5, 4097, 128 * 128 * 14 * 14})
    for (uint64_t offset : {0ULL, 1ULL, 2ULL, 3ULL, 12345ULL, (1ULL << 39) + 7})
      for (uint64_t step : {0ULL, 7ULL}) {
        SCOPED_TRACE("n " + std::to_string(n) + " offset " + std::to_string(offset) + " step " + std::to_string(step));
        const float p = 0.4f;
        auto x = randu(n, 21 + (uint32_t)n), dy = randu(n, 22);
        std::vector<float> out_ref(n), mask_ref(n), dx_ref(n);
        ref::dropout_forward(out_ref.data(), mask_ref.data(), x.data(), n, p, seed, (step << 40) + offset);
        ref::dropout_backward(dx_ref.data(), dy.data(), mask_ref.data(), n);
        ops->set_step(step);
        DevBuf<float> dx_in(*ops, x), ddy(*ops, dy), dout(*ops, n), dmask(*ops, n), ddx(*ops, n);
        dout.poison();
        dmask.poison();
        ddx.poison();
        ops->dropout_forward(dout.ptr(), dmask.ptr(), dx_in.ptr(), n, p, seed, offset);
        ops->dropout_backward(ddx.ptr(), ddy.ptr(), dmask.ptr(), n);
        EXPECT_DEV_IDENTICAL(dmask, mask_ref);
        EXPECT_DEV_IDENTICAL(dout, out_ref);
        EXPECT_DEV_IDENTICAL(ddx, dx_ref);
      }
}

TEST(CudaRandom, RandnAndRandintMatchReference) {
  GAN_REQUIRE_CUDA(ops);
  for (int64_t n : {1, 7, 100 * 128, 1000003})
    for (uint64_t step : {0ULL, 3ULL}) {
      SCOPED_TRACE("n " + std::to_string(n) + " step " + std::to_string(step));
      const uint64_t seed = 99, offset = 1000;
      std::vector<float> z_ref(n);
      std::vector<int32_t> k_ref(n);
      ref::randn(z_ref.data(), n, 0.5f, 2.0f, seed, (step << 40) + offset);
      ref::randint(k_ref.data(), n, 10, seed, (step << 40) + offset);
      ops->set_step(step);
      DevBuf<float> dz(*ops, n);
      DevBuf<int32_t> dk(*ops, n);
      dz.poison();
      dk.poison();
      ops->randn(dz.ptr(), n, 0.5f, 2.0f, seed, offset);
      ops->randint(dk.ptr(), n, 10, seed, offset);
      EXPECT_DEV_CLOSE(dz, z_ref, (Tol{1e-5, 1e-5}));
      EXPECT_DEV_IDENTICAL(dk, k_ref);
    }
}

TEST(CudaData, GatherAxpyFillStoreRowMatchReference) {
  GAN_REQUIRE_CUDA(ops);
  for (int64_t row : {1, 3, 784, 3 * 64 * 64}) {
    const int rows_src = 37, n = 21;
    auto src = randu((size_t)rows_src * row, 31);
    auto idx = randi(n, 32, rows_src);
    auto labels = randi(rows_src, 33, 10);
    std::vector<float> out_ref((size_t)n * row);
    std::vector<int32_t> lab_ref(n);
    ref::gather_rows(out_ref.data(), src.data(), idx.data(), n, row);
    ref::gather_labels(lab_ref.data(), labels.data(), idx.data(), n);
    DevBuf<float> dsrc(*ops, src), dout(*ops, out_ref.size());
    DevBuf<int32_t> didx(*ops, idx), dlab(*ops, labels), dlab_out(*ops, n);
    dout.poison();
    dlab_out.poison();
    ops->gather_rows(dout.ptr(), dsrc.ptr(), didx.ptr(), n, row);
    ops->gather_labels(dlab_out.ptr(), dlab.ptr(), didx.ptr(), n);
    EXPECT_DEV_IDENTICAL(dout, out_ref);
    EXPECT_DEV_IDENTICAL(dlab_out, lab_ref);
  }
  for (int64_t n : {1, 6, 1 << 20})
    for (int shift : {0, 1}) {
      auto x = randu(n + shift, 41), y = randu(n + shift, 42);
      auto y_ref = y;
      ref::axpy(y_ref.data() + shift, x.data() + shift, n, -0.75f);
      DevBuf<float> dx(*ops, x), dy(*ops, y);
      ops->axpy(dy.ptr() + shift, dx.ptr() + shift, n, -0.75f);
      EXPECT_DEV_CLOSE(dy, y_ref, (Tol{1e-7, 1e-6}));  // fused multiply-add on the device
      DevBuf<float> df(*ops, n);
      df.poison();
      ops->fill(df.ptr(), n, 2.5f);
      EXPECT_DEV_IDENTICAL(df, std::vector<float>(n, 2.5f));
    }
  // store_row writes row step % capacity.
  const int count = 7, capacity = 5;
  auto vals = randu(count, 43);
  std::vector<float> slab_ref((size_t)count * capacity, 0.0f);
  DevBuf<float> dslab(*ops, slab_ref), dvals(*ops, vals);
  for (uint64_t step : {0ULL, 3ULL, 11ULL}) {
    ref::store_row(slab_ref.data(), vals.data(), count, capacity, step);
    ops->set_step(step);
    ops->store_row(dslab.ptr(), dvals.ptr(), count, capacity);
  }
  EXPECT_DEV_IDENTICAL(dslab, slab_ref);
}

TEST(CudaStepCounter, AdvanceStepMovesTheRandomStreams) {
  GAN_REQUIRE_CUDA(ops);
  const int64_t n = 1000;
  ops->set_step(5);
  ops->advance_step();
  ops->advance_step();
  ops->advance_step();  // step 8, on the device only
  std::vector<float> z_ref(n);
  ref::randn(z_ref.data(), n, 0.0f, 1.0f, 7, (8ULL << 40) + 17);
  DevBuf<float> dz(*ops, n);
  dz.poison();
  ops->randn(dz.ptr(), n, 0.0f, 1.0f, 7, 17);
  EXPECT_DEV_CLOSE(dz, z_ref, (Tol{1e-5, 1e-5}));
}

TEST(CudaConcat, ForwardBackwardMatchReference) {
  GAN_REQUIRE_CUDA(ops);
  struct S { int N, Ca, Cb, HW; };
  for (S s : {S{1, 1, 1, 1}, S{3, 2, 5, 7}, S{128, 1, 128, 49}, S{2, 0, 3, 4}}) {
    SCOPED_TRACE("N " + std::to_string(s.N) + " Ca " + std::to_string(s.Ca) + " Cb " + std::to_string(s.Cb));
    const size_t na = (size_t)s.N * s.Ca * s.HW, nb = (size_t)s.N * s.Cb * s.HW, no = na + nb;
    auto a = randu(na, 51), b = randu(nb, 52), dout = randu(no, 53);
    std::vector<float> out_ref(no), da_ref(na), db_ref(nb);
    ref::concat_forward(out_ref.data(), a.data(), b.data(), s.N, s.Ca, s.Cb, s.HW);
    ref::concat_backward(da_ref.data(), db_ref.data(), dout.data(), s.N, s.Ca, s.Cb, s.HW);
    DevBuf<float> dA(*ops, a), dB(*ops, b), dO(*ops, no), dDout(*ops, dout), dDa(*ops, na), dDb(*ops, nb);
    dO.poison();
    dDa.poison();
    dDb.poison();
    ops->concat_forward(dO.ptr(), dA.ptr(), dB.ptr(), s.N, s.Ca, s.Cb, s.HW);
    ops->concat_backward(dDa.ptr(), dDb.ptr(), dDout.ptr(), s.N, s.Ca, s.Cb, s.HW);
    EXPECT_DEV_IDENTICAL(dO, out_ref);
    EXPECT_DEV_IDENTICAL(dDa, da_ref);
    EXPECT_DEV_IDENTICAL(dDb, db_ref);
    // A null gradient is skipped, the other still written.
    dDb.poison();
    ops->concat_backward(nullptr, dDb.ptr(), dDout.ptr(), s.N, s.Ca, s.Cb, s.HW);
    EXPECT_DEV_IDENTICAL(dDb, db_ref);
  }
}

TEST(CudaEmbedding, ForwardAndAccumulatingBackwardMatchReference) {
  GAN_REQUIRE_CUDA(ops);
  struct S { int B, num, dim; };
  for (S s : {S{1, 10, 50}, S{128, 10, 50}, S{77, 3, 5}, S{64, 10, 50}}) {
    SCOPED_TRACE("B " + std::to_string(s.B) + " num " + std::to_string(s.num) + " dim " + std::to_string(s.dim));
    auto table = randu((size_t)s.num * s.dim, 61), dout = randu((size_t)s.B * s.dim, 62);
    auto dtable0 = randu(table.size(), 63);
    auto labels = randi(s.B, 64, s.num);
    std::vector<float> out_ref((size_t)s.B * s.dim), dtable_ref = dtable0;
    ref::embedding_forward(out_ref.data(), labels.data(), table.data(), s.B, s.num, s.dim);
    ref::embedding_backward(dtable_ref.data(), dout.data(), labels.data(), s.B, s.num, s.dim);
    DevBuf<float> dT(*ops, table), dO(*ops, out_ref.size()), dDo(*ops, dout), dDt(*ops, dtable0);
    DevBuf<int32_t> dL(*ops, labels);
    dO.poison();
    ops->embedding_forward(dO.ptr(), dL.ptr(), dT.ptr(), s.B, s.num, s.dim);
    ops->embedding_backward(dDt.ptr(), dDo.ptr(), dL.ptr(), s.B, s.num, s.dim);
    EXPECT_DEV_IDENTICAL(dO, out_ref);
    // Same batch order on both sides, but the device adds the batch sum to dtable once.
    EXPECT_DEV_CLOSE(dDt, dtable_ref, (Tol{1e-5, 1e-5}));
  }
}

TEST(CudaImageGrid, MatchesReferenceAndWritesEveryByte) {
  GAN_REQUIRE_CUDA(ops);
  struct S { int N, C, H, W, rows, cols, pad; };
  for (S s : {S{100, 1, 28, 28, 10, 10, 2}, S{7, 3, 5, 4, 3, 3, 1}, S{1, 1, 1, 1, 1, 1, 0}, S{12, 3, 64, 64, 2, 5, 3}}) {
    const size_t GH = (size_t)s.rows * s.H + (s.rows - 1) * s.pad, GW = (size_t)s.cols * s.W + (s.cols - 1) * s.pad;
    auto imgs = randu((size_t)s.N * s.C * s.H * s.W, 71, -1.2f, 1.2f);
    std::vector<uint8_t> ref_out(GH * GW * s.C);
    ref::image_grid(ref_out.data(), imgs.data(), s.N, s.C, s.H, s.W, s.rows, s.cols, s.pad);
    DevBuf<float> dI(*ops, imgs);
    DevBuf<uint8_t> dO(*ops, ref_out.size());
    for (uint8_t poison : {uint8_t(0x00), uint8_t(0xFF)}) {  // two poisons: a skipped byte shows in one
      dO.poison(poison);
      ops->image_grid(dO.ptr(), dI.ptr(), s.N, s.C, s.H, s.W, s.rows, s.cols, s.pad);
      EXPECT_DEV_IDENTICAL(dO, ref_out);
    }
  }
}

}  // namespace
}  // namespace gan
