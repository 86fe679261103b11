// The registry of op test cases (tests/ops/op_case.h says how each is run): every op of
// src/op_list.h at the shapes that matter — batch 1, odd sizes, misaligned pointers, counter
// alignments, and the models' own layers — for the tests (kTest: CPU against finite differences
// in tests/core/test_op_cases.cpp, CUDA against the CPU in tests/gpu/test_gpu_op_cases.cpp) and
// for ./bench's kernel section (kPerf: the models' sizes and ≥ 64 MiB ones).
//
// Adding an op: one function here that builds its cases, called from op_cases() (docs/ops.md).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "tests/ops/op_case.h"

namespace gan::opcases {

// Where a family's cases go: into a vector, or one at a time to a function (./bench runs each
// case as it is built, so the large ones never all sit in memory together).
class Sink {
 public:
  explicit Sink(std::function<void(Case&&)> f) : f_(std::move(f)) {}
  void push_back(Case&& c) { f_(std::move(c)); }

 private:
  std::function<void(Case&&)> f_;
};

inline std::string dims(std::initializer_list<long long> v, const char* sep = "x") {
  std::string s;
  for (long long x : v) s += (s.empty() ? "" : sep) + std::to_string(x);
  return s;
}
inline std::string mib(size_t floats) { return std::to_string(floats * 4 >> 20) + " MiB"; }

// Sums of products at a precision: the error of a K-term sum grows like √K·ε·|terms|, so the
// absolute term is a fraction of the largest reference value. cuDNN may pick transform-based
// convolutions (deterministic, FP32), hence a looser FP32 bound for conv.
inline Tol matmul_tol(Precision p, bool conv) {
  if (p == Precision::Bf16) return Tol{0, 8e-3, 5e-3};
  if (p == Precision::Tf32) return Tol{0, 3e-3, 3e-3};
  return conv ? Tol{0, 1e-3, 1e-4} : Tol{0, 1e-4, 2e-5};
}

// ---- linear ----
inline void linear_cases(Sink& v, Precision p, unsigned use) {
  if (!(use & kTest)) return;
  struct S { int B, I, O; };
  // finite-difference sizes, then odd sizes, batch 1 and the models' heads and input projections
  for (S s : {S{1, 1, 1}, S{1, 4, 3}, S{3, 5, 7}, S{4, 9, 2}, S{127, 33, 65}, S{1, 100, 6272}, S{64, 6272, 1},
              S{64, 6272, 10}, S{128, 6272, 1}, S{128, 6272, 10}, S{128, 100, 6272}, S{128, 50, 49}})
    for (bool bias : {true, false}) {
      Builder b("linear", dims({s.B, s.I}) + "->" + std::to_string(s.O) + (bias ? " bias" : ""));
      const Tol t = matmul_tol(p, false);
      const int x = b.in("inp", randu((size_t)s.B * s.I, 101)), w = b.in("weight", randu((size_t)s.O * s.I, 102, -0.5f, 0.5f));
      const int bb = bias ? b.in("bias", randu(s.O, 103)) : -1, r = b.in("dout", randu((size_t)s.B * s.O, 104));
      const int y = b.out("out", (size_t)s.B * s.O, t), dx = b.out("dinp", (size_t)s.B * s.I, t);
      const int dw = b.acc("dweight", randu((size_t)s.O * s.I, 105), t);
      const int db = bias ? b.acc("dbias", randu(s.O, 106), Tol{0, 1e-5, 1e-5}) : -1;
      Case& c = b.c();
      c.forward = [=](Ops& o, const Ptrs& q) { o.linear_forward(q.f(y), q.f(x), q.f(w), q.f(bb), s.B, s.I, s.O); };
      c.backward = [=](Ops& o, const Ptrs& q) {
        o.linear_backward(q.f(dx), q.f(dw), q.f(db), q.f(r), q.f(x), q.f(w), s.B, s.I, s.O);
      };
      c.loss = {{y, r}};
      c.grads = {{x, dx}, {w, dw}};
      if (bias) c.grads.push_back({bb, db});
      v.push_back(b.take());
    }
}

// ---- conv2d and conv_transpose2d ----
struct ConvArgs {
  int N, C_in, H, W, C_out, k, stride, pad;
};
inline void conv_case(Sink& v, Precision p, bool transposed, ConvArgs a, bool bias) {
  const ConvShape s = transposed ? ConvShape::conv_transpose(a.N, a.C_in, a.H, a.W, a.C_out, a.k, a.stride, a.pad)
                                 : ConvShape::conv(a.N, a.C_in, a.H, a.W, a.C_out, a.k, a.stride, a.pad);
  Builder b(transposed ? "conv_transpose2d" : "conv2d",
            "N" + std::to_string(s.N) + " " + dims({s.C_in, s.H, s.W}) + " -> " + dims({s.C_out, s.H_out, s.W_out}) +
                " k" + std::to_string(a.k) + " s" + std::to_string(a.stride) + " p" + std::to_string(a.pad) +
                (bias ? " bias" : ""));
  const size_t nx = (size_t)s.N * s.C_in * s.H * s.W, ny = (size_t)s.N * s.C_out * s.H_out * s.W_out;
  const size_t nw = (size_t)s.C_out * s.C_in * s.KH * s.KW;  // the same count in either layout
  const Tol t = matmul_tol(p, true);
  const int x = b.in("inp", randu(nx, 201)), w = b.in("weight", randu(nw, 202, -0.5f, 0.5f));
  const int bb = bias ? b.in("bias", randu(s.C_out, 203)) : -1, r = b.in("dout", randu(ny, 204));
  const int y = b.out("out", ny, t), dx = b.out("dinp", nx, t), dw = b.acc("dweight", randu(nw, 205), t);
  const int db = bias ? b.acc("dbias", randu(s.C_out, 206), Tol{0, 1e-5, 2e-5}) : -1;
  Case& c = b.c();
  if (!transposed) {
    c.forward = [=](Ops& o, const Ptrs& q) { o.conv2d_forward(q.f(y), q.f(x), q.f(w), q.f(bb), s); };
    c.backward = [=](Ops& o, const Ptrs& q) { o.conv2d_backward(q.f(dx), q.f(dw), q.f(db), q.f(r), q.f(x), q.f(w), s); };
  } else {
    c.forward = [=](Ops& o, const Ptrs& q) { o.conv_transpose2d_forward(q.f(y), q.f(x), q.f(w), q.f(bb), s); };
    c.backward = [=](Ops& o, const Ptrs& q) {
      o.conv_transpose2d_backward(q.f(dx), q.f(dw), q.f(db), q.f(r), q.f(x), q.f(w), s);
    };
  }
  c.loss = {{y, r}};
  c.grads = {{x, dx}, {w, dw}};
  if (bias) c.grads.push_back({bb, db});
  v.push_back(b.take());
}

inline void conv_cases(Sink& v, Precision p, unsigned use) {
  if (!(use & kTest)) return;
  // Small shapes (checked by finite differences too): batch 1, odd and non-square inputs, stride
  // 2, pad 0/1/3, kernels 1/3/4/7, and for conv2d both CPU paths (im2col + GEMM, and direct:
  // stride 1 with at most 4 output channels).
  const ConvArgs small[] = {
      {1, 1, 3, 5, 1, 3, 1, 1}, {1, 2, 3, 5, 3, 3, 2, 1}, {2, 3, 5, 4, 2, 4, 2, 1}, {1, 2, 3, 5, 2, 7, 1, 3},
      {2, 2, 6, 7, 3, 1, 1, 0}, {3, 1, 7, 7, 2, 3, 2, 0}, {2, 3, 8, 6, 4, 4, 2, 1}, {1, 3, 9, 9, 1, 7, 2, 3},
      {2, 2, 5, 6, 5, 3, 1, 1}, {1, 6, 5, 5, 6, 3, 1, 1}, {2, 3, 4, 4, 2, 4, 1, 0},  // DCGAN's last D layer: 4×4 → 1×1
      {1, 2, 7, 8, 3, 6, 1, 2}, {2, 2, 9, 5, 4, 2, 1, 1},
  };
  for (bool transposed : {false, true})
    for (const ConvArgs& a : small) conv_case(v, p, transposed, a, true);
  // ConvTranspose2d only (the conv of the same arguments has no output): DCGAN's first layer.
  for (ConvArgs a : {ConvArgs{2, 5, 1, 1, 3, 4, 1, 0}, ConvArgs{1, 2, 2, 3, 3, 4, 2, 1}}) conv_case(v, p, true, a, true);
  // The models' layers, with and without bias.
  const ConvArgs conv[] = {
      {1, 1, 5, 5, 1, 3, 1, 1}, {3, 5, 11, 9, 7, 3, 2, 1}, {2, 4, 8, 8, 6, 5, 1, 2}, {2, 3, 7, 7, 2, 1, 1, 0},
      // acgan28 discriminator (half batch 64): 28→14→14→7→7, 128 channels; the generator's output conv
      {64, 1, 28, 28, 128, 3, 2, 1}, {64, 128, 14, 14, 128, 3, 1, 1}, {64, 128, 14, 14, 128, 3, 2, 1},
      {64, 128, 7, 7, 128, 3, 1, 1}, {16, 128, 28, 28, 1, 7, 1, 3},
      // dcgan64 discriminator (ndf 64, nc 3)
      {16, 3, 64, 64, 64, 4, 2, 1}, {16, 64, 32, 32, 128, 4, 2, 1}, {16, 128, 16, 16, 256, 4, 2, 1},
      {16, 256, 8, 8, 512, 4, 2, 1}, {16, 512, 4, 4, 1, 4, 1, 0},
  };
  const ConvArgs convt[] = {
      {1, 2, 4, 4, 3, 4, 2, 1}, {3, 5, 5, 6, 7, 3, 2, 1}, {2, 3, 3, 3, 2, 5, 1, 2},
      // acgan28 generator (B 128): 7→14→28 from 129 then 128 channels
      {128, 129, 7, 7, 128, 4, 2, 1}, {128, 128, 14, 14, 128, 4, 2, 1},
      // dcgan64 generator (nz 100, ngf 64, nc 3)
      {16, 100, 1, 1, 512, 4, 1, 0}, {16, 512, 4, 4, 256, 4, 2, 1}, {16, 256, 8, 8, 128, 4, 2, 1},
      {16, 128, 16, 16, 64, 4, 2, 1}, {16, 64, 32, 32, 3, 4, 2, 1},
  };
  for (bool bias : {true, false}) {
    for (const ConvArgs& a : conv) conv_case(v, p, false, a, bias);
    for (const ConvArgs& a : convt) conv_case(v, p, true, a, bias);
  }
}

// ---- batchnorm: training forward with its backward, and eval ----
inline void batchnorm_cases(Sink& v, unsigned use) {
  struct S { int N, C, HW; unsigned use; };
  // finite-difference sizes; batch 1, HW 1 (BatchNorm1d), odd sizes, HW not a multiple of 4
  // (the scalar path), the models' shapes; ./bench's sizes
  for (S s : {S{1, 3, 7, kTest}, S{3, 2, 5, kTest}, S{4, 3, 1, kTest}, S{2, 1, 33, kTest}, S{1, 3, 5, kTest},
              S{2, 3, 1, kTest}, S{7, 5, 49, kTest}, S{3, 4, 12, kTest}, S{64, 128, 196, kTest},
              S{64, 128, 49, kTest}, S{128, 128, 196, kTest | kPerf}, S{128, 128, 784, kTest | kPerf},
              S{16, 512, 16, kTest}, S{256, 128, 784, kPerf}}) {
    if (!(s.use & use)) continue;
    const size_t n = (size_t)s.N * s.C * s.HW;
    const std::string shape = dims({s.N, s.C, s.HW}) + (s.use & kPerf ? " " + mib(n) : "");
    const Tol stat{1e-6, 1e-5}, grad{0, 1e-4, 1e-5};
    {
      Builder b("batchnorm", shape);
      const int x = b.in("inp", randu(n, 301, -2, 3)), g = b.in("gamma", randu(s.C, 303, 0.5f, 1.5f));
      const int be = b.in("beta", randu(s.C, 304)), r = b.in("dout", randu(n, 302));
      const int y = b.out("out", n, Tol{1e-5, 1e-5}), mean = b.out("save_mean", s.C, stat);
      const int inv = b.out("save_invstd", s.C, stat), rm = b.inout("running_mean", randu(s.C, 305), stat);
      const int rv = b.inout("running_var", randu(s.C, 306, 0.5f, 2.0f), stat), dx = b.out("dinp", n, grad);
      const int dg = b.acc("dgamma", randu(s.C, 307), grad), db = b.acc("dbeta", randu(s.C, 308), grad);
      Case& c = b.c();
      c.forward = [=](Ops& o, const Ptrs& q) {
        o.batchnorm_forward_train(q.f(y), q.f(mean), q.f(inv), q.f(rm), q.f(rv), q.f(x), q.f(g), q.f(be), s.N, s.C,
                                  s.HW, 0.1f, 1e-5f);
      };
      c.backward = [=](Ops& o, const Ptrs& q) {
        o.batchnorm_backward(q.f(dx), q.f(dg), q.f(db), q.f(r), q.f(x), q.f(g), q.f(mean), q.f(inv), s.N, s.C, s.HW);
      };
      c.loss = {{y, r}};
      c.grads = {{x, dx, kStepSmooth}, {g, dg}, {be, db}};
      c.use = s.use;
      c.bytes_forward = 2.0 * n * 4;
      c.bytes_backward = 3.0 * n * 4;
      v.push_back(b.take());
    }
    {
      Builder b("batchnorm eval", shape);
      const int x = b.in("inp", randu(n, 311, -2, 3)), g = b.in("gamma", randu(s.C, 312, 0.5f, 1.5f));
      const int be = b.in("beta", randu(s.C, 313)), rm = b.in("running_mean", randu(s.C, 314));
      const int rv = b.in("running_var", randu(s.C, 315, 0.2f, 3.0f)), y = b.out("out", n, Tol{1e-5, 1e-5});
      Case& c = b.c();
      c.forward = [=](Ops& o, const Ptrs& q) {
        o.batchnorm_forward_eval(q.f(y), q.f(x), q.f(g), q.f(be), q.f(rm), q.f(rv), s.N, s.C, s.HW, 1e-5f);
      };
      c.use = s.use;
      c.bytes_forward = 2.0 * n * 4;
      v.push_back(b.take());
    }
  }
}

// ---- bias + BatchNorm + LeakyReLU + dropout, fused ----
inline void fused_bn_act_cases(Sink& v, unsigned use) {
  struct S { int N, C, HW; float p; bool bias; };
  if (!(use & kTest)) return;
  for (S s : {S{5, 3, 7, 0.5f, true}, S{4, 2, 3, 0.0f, false}, S{64, 128, 196, 0.4f, false},
              S{64, 128, 49, 0.4f, true}, S{128, 256, 16, 0.0f, false}, S{7, 3, 5, 0.5f, true}}) {
    const size_t n = (size_t)s.N * s.C * s.HW;
    const std::string shape = dims({s.N, s.C, s.HW}) + " p " + std::to_string(s.p).substr(0, 3) + (s.bias ? " bias" : "");
    const uint64_t seed = 42, offset = (17ULL << 32) | (2ULL << 28);
    const Tol t{1e-5, 1e-4};
    {
      Builder b("bn_act_dropout", shape);
      const int x = b.in("inp", randu(n, 1, -2.0f, 3.0f)), g = b.in("gamma", randu(s.C, 2, 0.5f, 1.5f));
      const int be = b.in("beta", randu(s.C, 3)), bias = s.bias ? b.in("bias", randu(s.C, 4)) : -1;
      const int r = b.in("dout", randu(n, 5));
      const int y = b.out("out", n, Tol{0, 1e-4, 1e-4}), mask = s.p > 0 ? b.out("mask", n) : -1;
      const int sm = b.out("save_mean", s.C, Tol{1e-6, 1e-4, 1e-5}), si = b.out("save_invstd", s.C, t);
      const int rm = b.inout("running_mean", std::vector<float>(s.C, 0.1f), t);
      const int rv = b.inout("running_var", std::vector<float>(s.C, 0.9f), t);
      const int dx = b.out("dinp", n, Tol{0, 1e-3, 1e-4});
      // The bias gradient is rounding-sized on both sides (BatchNorm removes the mean): compared to
      // the scale of dinp's per-channel sums, not to its own value.
      const int dbias = s.bias ? b.acc("dbias", std::vector<float>(s.C, 0.0f), Tol{0, 0, 1e-5 * s.N * s.HW, dx}) : -1;
      const int dg = b.acc("dgamma", std::vector<float>(s.C, 0.0f), Tol{0, 1e-3, 1e-4});
      const int db = b.acc("dbeta", std::vector<float>(s.C, 0.0f), Tol{0, 1e-3, 1e-4});
      Case& c = b.c();
      c.step = 3;
      const float p = s.p;
      c.forward = [=](Ops& o, const Ptrs& q) {
        o.bn_act_dropout_forward_train(q.f(y), q.f(mask), q.f(sm), q.f(si), q.f(rm), q.f(rv), q.f(x), q.f(bias), q.f(g),
                                       q.f(be), s.N, s.C, s.HW, 0.1f, 1e-5f, 0.2f, p, seed, offset);
      };
      c.backward = [=](Ops& o, const Ptrs& q) {
        o.bn_act_dropout_backward(q.f(dx), q.f(dbias), q.f(dg), q.f(db), q.f(r), q.f(mask), q.f(x), q.f(bias), q.f(g),
                                  q.f(be), q.f(sm), q.f(si), s.N, s.C, s.HW, 0.2f);
      };
      c.loss = {{y, r}};
      c.grads = {{x, dx, kStepSmooth}, {g, dg, kStepSmooth}, {be, db, kStepSmooth}};
      v.push_back(b.take());
    }
    {
      Builder b("bn_act eval", shape);
      const int x = b.in("inp", randu(n, 11, -2.0f, 3.0f)), g = b.in("gamma", randu(s.C, 12, 0.5f, 1.5f));
      const int be = b.in("beta", randu(s.C, 13)), bias = s.bias ? b.in("bias", randu(s.C, 14)) : -1;
      const int rm = b.in("running_mean", randu(s.C, 15)), rv = b.in("running_var", randu(s.C, 16, 0.5f, 2.0f));
      const int y = b.out("out", n, Tol{0, 1e-4, 1e-5});
      Case& c = b.c();
      c.forward = [=](Ops& o, const Ptrs& q) {
        o.bn_act_forward_eval(q.f(y), q.f(x), q.f(bias), q.f(g), q.f(be), q.f(rm), q.f(rv), s.N, s.C, s.HW, 1e-5f, 0.2f);
      };
      v.push_back(b.take());
    }
  }
}

// ---- activations ----
inline void activation_cases(Sink& v, unsigned use) {
  struct A { Act act; const char* name; };
  const A acts[] = {{Act::LeakyRelu, "leaky_relu"}, {Act::Relu, "relu"}, {Act::Tanh, "tanh"}, {Act::Sigmoid, "sigmoid"}};
  const int64_t model = 128ll * 128 * 28 * 28, big = int64_t(16) << 20, huge = int64_t(64) << 20;
  struct S { int64_t n; int shift; unsigned use; };
  for (const A& a : acts)
    for (S s : {S{1, 0, kTest}, S{7, 0, kTest}, S{100, 0, kTest}, S{1, 1, kTest}, S{3, 0, kTest}, S{4, 1, kTest},
                S{5, 0, kTest}, S{1001, 1, kTest}, S{64 * 128 * 49, 0, kTest}, S{128 * 128 * 196 + 3, 1, kTest},
                S{model, 0, kPerf}, S{big, 0, kPerf}, S{huge, 0, kPerf}}) {
      if (!(s.use & use) || (s.use == kPerf && a.act != Act::LeakyRelu && s.n != big)) continue;  // the others once, at 64 MiB
      // shift 1: misaligned pointers take the kernels' scalar path
      Builder b("activation " + std::string(a.name), std::to_string(s.n) + (s.shift ? " +1" : "") +
                                                          (s.use == kPerf ? " " + mib(s.n) : ""));
      const bool smooth = a.act == Act::Tanh || a.act == Act::Sigmoid;
      // tanh/sigmoid: device and host differ by an ulp, which 1 − y² and y·(1 − y) amplify near saturation
      const Tol t = smooth ? Tol{2e-6, 2e-6} : kExact;
      std::vector<float> xs = away_from_zero(s.n + s.shift, 81);
      for (auto& e : xs) e *= 3.0f;
      const int x = b.in("inp", xs), r = b.in("dout", randu(s.n + s.shift, 82));
      const int y = b.out("out", s.n + s.shift, t), dx = b.out("dinp", s.n + s.shift, t);
      b.c().bufs[y].skip = b.c().bufs[dx].skip = s.shift;
      Case& c = b.c();
      const int k = s.shift;
      const int64_t n = s.n;
      const Act act = a.act;
      c.forward = [=](Ops& o, const Ptrs& q) { o.activation_forward(act, q.f(y) + k, q.f(x) + k, n, 0.2f); };
      c.backward = [=](Ops& o, const Ptrs& q) {
        o.activation_backward(act, q.f(dx) + k, q.f(r) + k, q.f(x) + k, q.f(y) + k, n, 0.2f);
      };
      c.loss = {{y, r}};
      c.grads = {{x, dx, kStepSmooth}};
      c.use = s.use;
      c.bytes_forward = 2.0 * n * 4;
      c.bytes_backward = 3.0 * n * 4;
      v.push_back(b.take());
    }
}

// ---- dropout ----
inline void dropout_cases(Sink& v, unsigned use) {
  auto one = [&](int64_t n, uint64_t offset, uint64_t step, float p, unsigned case_use) {
    if (!(case_use & use)) return;
    Builder b("dropout", std::to_string(n) + " p " + std::to_string(p).substr(0, 3) + " offset " +
                             std::to_string(offset) + " step " + std::to_string(step) +
                             (case_use == kPerf ? " " + mib(n) : ""));
    const uint64_t seed = 0x1234567890abcdefULL;
    const int x = b.in("inp", randu(n, 21 + (uint32_t)n)), r = b.in("dout", randu(n, 22));
    const int y = b.out("out", n), mask = b.out("mask", n), dx = b.out("dinp", n);
    Case& c = b.c();
    c.step = step;
    c.forward = [=](Ops& o, const Ptrs& q) { o.dropout_forward(q.f(y), q.f(mask), q.f(x), n, p, seed, offset); };
    c.backward = [=](Ops& o, const Ptrs& q) { o.dropout_backward(q.f(dx), q.f(r), q.f(mask), n); };
    c.loss = {{y, r}};
    c.grads = {{x, dx}};
    c.use = case_use;
    c.bytes_forward = 3.0 * n * 4;
    c.bytes_backward = 3.0 * n * 4;
    v.push_back(b.take());
  };
  one(33, 0, 0, 0.5f, kTest);
  one(33, 0, 0, 0.0f, kTest);
  // masks bit for bit for any counter alignment and step
  for (int64_t n : {1, 5, 4097, 128 * 128 * 14 * 14})
    for (uint64_t offset : {0ULL, 1ULL, 2ULL, 3ULL, 12345ULL, (1ULL << 39) + 7})
      for (uint64_t step : {0ULL, 7ULL}) one(n, offset, step, 0.4f, kTest);
  for (int64_t n : {int64_t(128) * 128 * 14 * 14, int64_t(16) << 20, int64_t(64) << 20}) one(n, 5, 0, 0.4f, kPerf);
}

// ---- concat along channels ----
inline void concat_cases(Sink& v, unsigned use) {
  struct S { int N, Ca, Cb, HW; unsigned use; bool null_da; };
  for (S s : {S{1, 1, 1, 1, kTest, false}, S{2, 3, 1, 5, kTest, false}, S{3, 2, 5, 7, kTest, false},
              S{2, 0, 3, 4, kTest, false}, S{128, 1, 128, 49, kTest | kPerf, false}, S{3, 128, 1, 49, kTest, false},
              S{3, 2, 5, 7, kTest, true}, S{128, 1, 128, 49, kTest, true}, S{256, 64, 64, 784, kPerf, false}}) {
    if (!(s.use & use)) continue;
    const size_t na = (size_t)s.N * s.Ca * s.HW, nb = (size_t)s.N * s.Cb * s.HW, no = na + nb;
    // null_da: a null gradient is skipped, the other still written
    Builder b("concat", std::to_string(s.N) + "x(" + std::to_string(s.Ca) + "+" + std::to_string(s.Cb) + ")x" +
                            std::to_string(s.HW) + (s.null_da ? " da null" : "") + (s.use & kPerf ? " " + mib(no) : ""));
    const int a = b.in("a", randu(na, 51)), bb = b.in("b", randu(nb, 52)), r = b.in("dout", randu(no, 53));
    const int y = b.out("out", no), da = s.null_da ? -1 : b.out("da", na), db = b.out("db", nb);
    Case& c = b.c();
    c.forward = [=](Ops& o, const Ptrs& q) { o.concat_forward(q.f(y), q.f(a), q.f(bb), s.N, s.Ca, s.Cb, s.HW); };
    c.backward = [=](Ops& o, const Ptrs& q) { o.concat_backward(q.f(da), q.f(db), q.f(r), s.N, s.Ca, s.Cb, s.HW); };
    c.loss = {{y, r}};
    if (!s.null_da) c.grads = {{a, da}};
    c.grads.push_back({bb, db});
    c.use = s.use;
    c.bytes_forward = c.bytes_backward = 2.0 * no * 4;
    v.push_back(b.take());
  }
}

// ---- embedding ----
inline void embedding_cases(Sink& v, unsigned use) {
  struct S { int B, num, dim; unsigned use; };
  for (S s : {S{6, 4, 5, kTest}, S{1, 10, 50, kTest}, S{128, 10, 50, kTest | kPerf}, S{77, 3, 5, kTest},
              S{64, 10, 50, kTest}}) {
    if (!(s.use & use)) continue;
    Builder b("embedding", dims({s.B, s.num, s.dim}));
    // repeated labels accumulate
    std::vector<int32_t> labels = s.B == 6 ? std::vector<int32_t>{2, 0, 2, 3, 2, 1} : randi(s.B, 64, s.num);
    const int t = b.in("table", randu((size_t)s.num * s.dim, 61)), l = b.in_i32("labels", labels);
    const int r = b.in("dout", randu((size_t)s.B * s.dim, 62)), y = b.out("out", (size_t)s.B * s.dim);
    // the device adds each batch sum to dtable once
    const int dt = b.acc("dtable", randu((size_t)s.num * s.dim, 63), Tol{1e-5, 1e-5});
    Case& c = b.c();
    c.forward = [=](Ops& o, const Ptrs& q) { o.embedding_forward(q.f(y), q.i(l), q.f(t), s.B, s.num, s.dim); };
    c.backward = [=](Ops& o, const Ptrs& q) { o.embedding_backward(q.f(dt), q.f(r), q.i(l), s.B, s.num, s.dim); };
    c.loss = {{y, r}};
    c.grads = {{t, dt}};
    c.use = s.use;
    c.bytes_forward = 2.0 * s.B * s.dim * 4;
    c.bytes_backward = 1.0 * s.B * s.dim * 4;
    v.push_back(b.take());
  }
}

// ---- losses ----
inline void loss_cases(Sink& v, unsigned use) {
  const Tol value{1e-6, 1e-5}, grad{1e-8, 1e-5};
  struct B { int B; float scale; bool dlogits; unsigned use; };
  std::vector<B> sizes = {B{9, 1.5f, true, kTest}, B{128, 0.5f, true, kPerf}};
  for (int n : {1, 64, 128, 1000})
    for (float scale : {1.0f, 0.5f})
      for (bool dlogits : {true, false}) sizes.push_back(B{n, scale, dlogits, kTest});
  for (B s : sizes) {
    if (!(s.use & use)) continue;
    // without a gradient buffer the metrics are still produced
    Builder b("bce_logits", std::to_string(s.B) + " scale " + std::to_string(s.scale).substr(0, 3) + (s.dlogits ? "" : " no dlogits"));
    std::vector<float> x = s.B == 9 ? away_from_zero(9, 121, 0.4f, 4.0f) : randu(s.B, 401, -30, 30);
    std::vector<float> t = randu(s.B, 402, 0, 1);
    for (auto& e : t) e = e > 0.5f ? 1.0f : 0.0f;
    t[0] = 0.3f;  // soft targets too
    const int xi = b.in("logits", x), ti = b.in("targets", t);
    const int loss = b.out("loss", 1, value), correct = b.out("correct", 1), dx = s.dlogits ? b.out("dlogits", s.B, grad) : -1;
    Case& c = b.c();
    c.forward = [=](Ops& o, const Ptrs& q) { o.bce_logits(q.f(loss), q.f(correct), q.f(dx), q.f(xi), q.f(ti), s.B, s.scale); };
    if (s.dlogits && s.B < 100) {
      c.loss = {{loss, -1, s.scale}};
      c.grads = {{xi, dx, kStepSmooth}};
    }
    c.use = s.use;
    c.bytes_forward = 3.0 * s.B * 4;
    v.push_back(b.take());
  }
  struct S { int B, C; unsigned use; };
  for (S s : {S{1, 1, kTest}, S{1, 10, kTest}, S{5, 10, kTest}, S{7, 3, kTest}, S{64, 10, kTest},
              S{128, 10, kTest | kPerf}, S{77, 3, kTest}, S{5, 1, kTest}}) {
    if (!(s.use & use)) continue;
    Builder b("softmax_xent", dims({s.B, s.C}));
    const float scale = s.B < 10 ? 0.7f : 1.0f;
    const int xi = b.in("logits", randu((size_t)s.B * s.C, 411, -3, 3)), yi = b.in_i32("labels", randi(s.B, 412, s.C));
    const int loss = b.out("loss", 1, value), correct = b.out("correct", 1), dx = b.out("dlogits", (size_t)s.B * s.C, grad);
    Case& c = b.c();
    c.forward = [=](Ops& o, const Ptrs& q) {
      o.softmax_xent(q.f(loss), q.f(correct), q.f(dx), q.f(xi), q.i(yi), s.B, s.C, scale);
    };
    if (s.B < 100) {
      c.loss = {{loss, -1, scale}};
      c.grads = {{xi, dx, kStepSmooth}};
    }
    c.use = s.use;
    c.bytes_forward = 2.0 * s.B * s.C * 4;
    v.push_back(b.take());
  }
}

// ---- Adam: one call for a model's tensors, t from the step counter ----
inline void adam_cases(Sink& v, unsigned use) {
  // Sizes straddle the kernel's 2048-element chunks; the last two are acgan28's biggest tensors.
  const std::vector<int64_t> test = {1, 5, 2048, 2049, 4095, 6272 * 100, 129 * 128 * 16};
  const std::vector<int64_t> acgan = {500, 2450, 49, 627200, 6272, 129 * 128 * 16, 128, 128, 128, 128 * 128 * 16,
                                      128, 128, 128, 6272, 1};
  const std::vector<int64_t> big(8, int64_t(4) << 20);
  struct S { const std::vector<int64_t>* sizes; unsigned use; };
  for (S s : {S{&test, kTest}, S{&acgan, kPerf}, S{&big, kPerf}}) {
    if (!(s.use & use)) continue;
    int64_t total = 0;
    for (int64_t n : *s.sizes) total += n;
    Builder b("adam", std::to_string(s.sizes->size()) + " tensors " + mib(total));
    std::vector<int> idx;
    uint32_t seed = 500;
    for (int64_t n : *s.sizes) {
      idx.push_back(b.inout("param", randu(n, seed++), Tol{1e-7, 1e-6}));
      idx.push_back(b.in("grad", randu(n, seed++)));
      idx.push_back(b.inout("m", randu(n, seed++, -0.01f, 0.01f), Tol{1e-8, 1e-6}));
      idx.push_back(b.inout("v", randu(n, seed++, 0.0f, 0.01f), Tol{1e-9, 1e-6}));
    }
    Case& c = b.c();
    const std::vector<int64_t> sizes = *s.sizes;
    const bool repeat = s.use == kTest;
    c.forward = [=](Ops& o, const Ptrs& q) {
      std::vector<AdamParam> params;
      for (size_t i = 0; i < sizes.size(); ++i)
        params.push_back({q.f(idx[4 * i]), q.f(idx[4 * i + 1]), q.f(idx[4 * i + 2]), q.f(idx[4 * i + 3]), sizes[i]});
      AdamHyper h;
      h.weight_decay = 0.01f;
      if (!repeat) return o.adam_update(params, h, 1, 0);
      // Two updates per step (t0 = 1 and 2, t_per_step = 2) at steps 0..2, as D is updated in training.
      for (uint64_t step = 0; step < 3; ++step) {
        o.set_step(step);
        for (int64_t t0 : {1, 2}) o.adam_update(params, h, t0, 2);
      }
    };
    c.use = s.use;
    c.bytes_forward = 7.0 * total * 4;
    v.push_back(b.take());
  }
}

// ---- data movement, random numbers, the metrics row ----
inline void data_cases(Sink& v, unsigned use) {
  struct G { int rows, n; int64_t row; unsigned use; };
  for (G g : {G{37, 21, 1, kTest}, G{37, 21, 3, kTest}, G{37, 21, 784, kTest}, G{37, 21, 3 * 64 * 64, kTest},
              G{60000, 64, 784, kPerf}, G{20000, 16384, 1024, kPerf}}) {
    if (!(g.use & use)) continue;
    Builder b("gather_rows", std::to_string(g.n) + " of " + std::to_string(g.rows) + " rows of " + std::to_string(g.row));
    const int src = b.in("src", randu((size_t)g.rows * g.row, 31)), idx = b.in_i32("idx", randi(g.n, 32, g.rows));
    const int lab = b.in_i32("labels", randi(g.rows, 33, 10));
    const int y = b.out("out", (size_t)g.n * g.row), ly = b.out("labels out", g.n, kExact, Type::I32);
    Case& c = b.c();
    c.forward = [=](Ops& o, const Ptrs& q) {
      o.gather_rows(q.f(y), q.f(src), q.i(idx), g.n, g.row);
      if (g.use == kTest) o.gather_labels(q.i(ly), q.i(lab), q.i(idx), g.n);
    };
    if (g.use == kPerf) c.bufs[ly].n = 0;
    c.use = g.use;
    c.bytes_forward = 2.0 * g.n * g.row * 4;
    v.push_back(b.take());
  }
  struct A { int64_t n; int shift; unsigned use; };
  for (A a : {A{1, 0, kTest}, A{1, 1, kTest}, A{6, 0, kTest}, A{6, 1, kTest}, A{1 << 20, 0, kTest},
              A{1 << 20, 1, kTest}, A{int64_t(16) << 20, 0, kPerf}}) {
    if (!(a.use & use)) continue;
    Builder b("axpy", std::to_string(a.n) + (a.shift ? " +1" : ""));
    const int x = b.in("x", randu(a.n + a.shift, 41));
    const int y = b.inout("y", randu(a.n + a.shift, 42), Tol{1e-7, 1e-6});  // fused multiply-add on the device
    Case& c = b.c();
    const int k = a.shift;
    c.forward = [=](Ops& o, const Ptrs& q) { o.axpy(q.f(y) + k, q.f(x) + k, a.n, -0.75f); };
    c.use = a.use;
    c.bytes_forward = 3.0 * a.n * 4;
    v.push_back(b.take());
  }
  struct R { int64_t n; uint64_t step; unsigned use; };
  for (R r : {R{1, 0, kTest}, R{7, 3, kTest}, R{100 * 128, 0, kTest}, R{1000003, 3, kTest}, R{int64_t(16) << 20, 0, kPerf}}) {
    if (!(r.use & use)) continue;
    for (bool ints : {false, true}) {
      Builder b(ints ? "randint" : "randn", std::to_string(r.n) + " step " + std::to_string(r.step));
      // randn within 1e-5: device logf/cosf may differ from the host's by an ulp
      const int y = ints ? b.out("out", r.n, kExact, Type::I32) : b.out("out", r.n, Tol{1e-5, 1e-5});
      Case& c = b.c();
      c.step = r.step;
      const int64_t n = r.n;
      if (ints) c.forward = [=](Ops& o, const Ptrs& q) { o.randint(q.i(y), n, 10, 99, 1000); };
      else c.forward = [=](Ops& o, const Ptrs& q) { o.randn(q.f(y), n, 0.5f, 2.0f, 99, 1000); };
      c.use = r.use;
      c.bytes_forward = 1.0 * n * 4;
      v.push_back(b.take());
    }
  }
  if (use & kTest) {
    // store_row writes row step % capacity
    Builder b("store_row", "7 values, capacity 5, step 11");
    const int vals = b.in("values", randu(7, 43)), slab = b.inout("slab", std::vector<float>(35, 0.0f));
    Case& c = b.c();
    c.step = 11;
    c.forward = [=](Ops& o, const Ptrs& q) { o.store_row(q.f(slab), q.f(vals), 7, 5); };
    v.push_back(b.take());
  }
}

// ---- image grid ----
inline void image_grid_cases(Sink& v, unsigned use) {
  struct S { int N, C, H, W, rows, cols, pad; unsigned use; };
  for (S s : {S{100, 1, 28, 28, 10, 10, 2, kTest | kPerf}, S{7, 3, 5, 4, 3, 3, 1, kTest}, S{1, 1, 1, 1, 1, 1, 0, kTest},
              S{12, 3, 64, 64, 2, 5, 3, kTest}}) {
    if (!(s.use & use)) continue;
    const size_t GH = (size_t)s.rows * s.H + (s.rows - 1) * s.pad, GW = (size_t)s.cols * s.W + (s.cols - 1) * s.pad;
    const size_t n = (size_t)s.N * s.C * s.H * s.W;
    Builder b("image_grid", dims({s.N, s.C, s.H, s.W}) + " -> " + dims({s.rows, s.cols}) + " pad " + std::to_string(s.pad));
    const int x = b.in("imgs", randu(n, 71, -1.2f, 1.2f)), y = b.out("grid", GH * GW * s.C, kExact, Type::U8);
    Case& c = b.c();
    c.forward = [=](Ops& o, const Ptrs& q) { o.image_grid(q.u8(y), q.f(x), s.N, s.C, s.H, s.W, s.rows, s.cols, s.pad); };
    c.use = s.use;
    c.bytes_forward = 4.0 * n + GH * GW * s.C;
    v.push_back(b.take());
  }
}

// The cases for the tests (use kTest) or ./bench (kPerf), built only when asked for. `p`: the matrix ops' precision (their
// tolerances against the CPU reference depend on it).
inline void for_each_case(unsigned use, Precision p, const std::function<void(Case&&)>& fn) {
  Sink v(fn);
  linear_cases(v, p, use);
  conv_cases(v, p, use);
  batchnorm_cases(v, use);
  fused_bn_act_cases(v, use);
  activation_cases(v, use);
  dropout_cases(v, use);
  concat_cases(v, use);
  embedding_cases(v, use);
  loss_cases(v, use);
  adam_cases(v, use);
  data_cases(v, use);
  image_grid_cases(v, use);
}
inline std::vector<Case> op_cases(unsigned use, Precision p = Precision::Fp32) {
  std::vector<Case> v;
  for_each_case(use, p, [&](Case&& c) { v.push_back(std::move(c)); });
  return v;
}

}  // namespace gan::opcases
