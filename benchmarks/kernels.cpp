// Kernel benchmarks (CUDA builds only): each hand-written kernel is first checked against the CPU
// reference on the same inputs, then timed: CUDA events around one launch, 3 warm-up launches,
// the median of --iters repeats, with a write of a buffer of twice the L2 size between repeats so
// no input is served from L2. GB/s counts the fewest bytes the op must move (each input read once,
// each output written once), and %copy is that over the device-to-device cudaMemcpy bandwidth
// measured at 256 MiB in the same run (read + write bytes). Sizes include the models' own and
// ≥ 64 MiB ones. cuDNN's batchnorm and activations run on the same data beside ours.
#ifdef GAN_HAVE_CUDA
#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench.h"
#include "kernels/check.h"
#include "kernels/ops.h"
#include "src/ref/ops.h"

namespace gan::bench {
namespace {

// A device array whose copies are ordered on the benchmark's stream. (cudaMemcpy would run on the
// legacy default stream, which does not wait for, and is not waited for by, the non-blocking
// stream the kernels run on: from pageable memory it may return before the data has landed, and a
// kernel could read the buffer first.) Uploads wait, so the host vector may go right after.
template <class T>
class DevArray {
 public:
  DevArray(size_t n, cudaStream_t stream) : n_(n), stream_(stream) {
    CUDA_CHECK(cudaMalloc(&p_, std::max<size_t>(n, 1) * sizeof(T)));
  }
  DevArray(const std::vector<T>& h, cudaStream_t stream) : DevArray(h.size(), stream) { upload(h); }
  ~DevArray() { CUDA_LOG_CHECK(cudaFree(p_)); }
  DevArray(const DevArray&) = delete;
  DevArray& operator=(const DevArray&) = delete;
  T* p() const { return p_; }
  void upload(const std::vector<T>& h) {
    if (h.size() != n_) throw std::logic_error("DevArray::upload: size mismatch");
    CUDA_CHECK(cudaMemcpyAsync(p_, h.data(), n_ * sizeof(T), cudaMemcpyHostToDevice, stream_));
    CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  std::vector<T> download() const {
    std::vector<T> h(n_);
    CUDA_CHECK(cudaMemcpyAsync(h.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost, stream_));
    CUDA_CHECK(cudaStreamSynchronize(stream_));
    return h;
  }

 private:
  T* p_ = nullptr;
  size_t n_;
  cudaStream_t stream_;
};

std::vector<float> randu(size_t n, uint32_t seed, float lo = -1, float hi = 1) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

// |got − ref| ≤ atol + rtol·|ref|, atol a fraction of max|ref|.
bool agree(const std::vector<float>& got, const std::vector<float>& ref, double frac, double rtol,
           std::string* why) {
  double m = 0;
  for (float x : ref) m = std::max(m, (double)std::fabs(x));
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = std::fabs((double)got[i] - ref[i]);
    if (!(d <= frac * m + rtol * std::fabs(ref[i]))) {
      *why = "element " + std::to_string(i) + ": " + std::to_string(got[i]) + " vs reference " + std::to_string(ref[i]);
      return false;
    }
  }
  return true;
}

struct Ctx {
  cudaStream_t stream = nullptr;
  cudnnHandle_t dnn = nullptr;
  DevArray<uint8_t>* flush = nullptr;
  size_t flush_bytes = 0;
  double copy_gbps = NAN;
  int iters = 50;
  std::string device;
  Report* report = nullptr;
  uint64_t* d_step = nullptr;
};

double time_ms(Ctx& c, const std::function<void()>& fn) {
  for (int i = 0; i < 3; ++i) fn();
  CUDA_CHECK(cudaStreamSynchronize(c.stream));
  cudaEvent_t a, b;
  CUDA_CHECK(cudaEventCreate(&a));
  CUDA_CHECK(cudaEventCreate(&b));
  std::vector<double> ms(c.iters);
  for (int i = 0; i < c.iters; ++i) {
    CUDA_CHECK(cudaMemsetAsync(c.flush->p(), i & 0xff, c.flush_bytes, c.stream));  // evict L2
    CUDA_CHECK(cudaEventRecord(a, c.stream));
    fn();
    CUDA_CHECK(cudaEventRecord(b, c.stream));
    CUDA_CHECK(cudaEventSynchronize(b));
    float t = 0;
    CUDA_CHECK(cudaEventElapsedTime(&t, a, b));
    ms[i] = t;
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(ms.begin(), ms.end());
  return ms[c.iters / 2];
}

void add(Ctx& c, const std::string& name, const std::string& shape, double bytes, bool valid,
         const std::string& why, const std::function<void()>& fn,
         const std::function<void()>& cudnn_fn = nullptr) {
  Row row;
  row.section = "kernels";
  row.device = c.device;
  row.name = name;
  row.shape = shape;
  row.valid = valid;
  if (valid) {
    row.ms = time_ms(c, fn);
    row.gbps = bytes / (row.ms * 1e-3) / 1e9;
    row.copy_frac = row.gbps / c.copy_gbps;
    if (cudnn_fn) row.cudnn_ms = time_ms(c, cudnn_fn);
  } else {
    row.note = why;
  }
  c.report->add(row);
}

std::string mib(size_t floats) { return std::to_string(floats * 4 >> 20) + " MiB"; }

// ---- cuDNN descriptors for the side-by-side rows ----
struct Tensor4 {
  cudnnTensorDescriptor_t d = nullptr;
  Tensor4(int n, int c, int h, int w) {
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&d));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w));
  }
  ~Tensor4() { cudnnDestroyTensorDescriptor(d); }
};
struct ActDesc {
  cudnnActivationDescriptor_t d = nullptr;
  explicit ActDesc(cudnnActivationMode_t m) {
    CUDNN_CHECK(cudnnCreateActivationDescriptor(&d));
    CUDNN_CHECK(cudnnSetActivationDescriptor(d, m, CUDNN_NOT_PROPAGATE_NAN, 0.0));
  }
  ~ActDesc() { cudnnDestroyActivationDescriptor(d); }
};

void copy_ceiling(Ctx& c) {
  const size_t n = size_t(64) << 20;  // 256 MiB of floats
  DevArray<float> a(n, c.stream), b(n, c.stream);
  CUDA_CHECK(cudaMemsetAsync(a.p(), 0, n * 4, c.stream));
  auto fn = [&] { CUDA_CHECK(cudaMemcpyAsync(b.p(), a.p(), n * 4, cudaMemcpyDeviceToDevice, c.stream)); };
  c.copy_gbps = 1.0;  // placeholder so add() can divide; replaced below
  const double ms = time_ms(c, fn);
  c.copy_gbps = 2.0 * n * 4 / (ms * 1e-3) / 1e9;
  Row row;
  row.section = "kernels";
  row.device = c.device;
  row.name = "copy D2D (ceiling)";
  row.shape = mib(n);
  row.ms = ms;
  row.gbps = c.copy_gbps;
  row.copy_frac = 1.0;
  c.report->add(row);
}

void activations(Ctx& c) {
  const size_t model = 128ull * 128 * 28 * 28, big = size_t(16) << 20, huge = size_t(64) << 20;
  struct A { Act act; const char* name; int cudnn_mode; };
  const A acts[] = {{Act::LeakyRelu, "leaky_relu", -1},
                    {Act::Relu, "relu", CUDNN_ACTIVATION_RELU},
                    {Act::Tanh, "tanh", CUDNN_ACTIVATION_TANH},
                    {Act::Sigmoid, "sigmoid", CUDNN_ACTIVATION_SIGMOID}};
  for (const A& a : acts)
    for (size_t n : {model, big, huge}) {
      if (a.act != Act::LeakyRelu && n != big) continue;  // the others once, at 64 MiB
      auto hx = randu(n, 1, -3, 3), hdy = randu(n, 2);
      std::vector<float> ry(n), rdx(n);
      ref::activation_forward(a.act, ry.data(), hx.data(), n, 0.2f);
      ref::activation_backward(a.act, rdx.data(), hdy.data(), hx.data(), ry.data(), n, 0.2f);
      DevArray<float> x(hx, c.stream), dy(hdy, c.stream), y(n, c.stream), dx(n, c.stream), y2(n, c.stream), dx2(n, c.stream);
      cuda::activation_forward(a.act, y.p(), x.p(), n, 0.2f, c.stream);
      cuda::activation_backward(a.act, dx.p(), dy.p(), x.p(), y.p(), n, 0.2f, c.stream);
      std::string why;
      // tanh/sigmoid: device and host differ by an ulp, which 1 − y² and y·(1 − y) amplify near
      // saturation, hence an absolute term.
      const bool ok = agree(y.download(), ry, 1e-6, 2e-6, &why) && agree(dx.download(), rdx, 1e-6, 2e-6, &why);
      std::function<void()> dnn_f, dnn_b;
      std::unique_ptr<ActDesc> ad;
      std::unique_ptr<Tensor4> td;
      const float one = 1, zero = 0;
      if (a.cudnn_mode >= 0) {
        ad = std::make_unique<ActDesc>((cudnnActivationMode_t)a.cudnn_mode);
        td = std::make_unique<Tensor4>(1, 1, 1, (int)n);
        CUDNN_CHECK(cudnnSetStream(c.dnn, c.stream));
        dnn_f = [&] { CUDNN_CHECK(cudnnActivationForward(c.dnn, ad->d, &one, td->d, x.p(), &zero, td->d, y2.p())); };
        dnn_b = [&] { CUDNN_CHECK(cudnnActivationBackward(c.dnn, ad->d, &one, td->d, y.p(), td->d, dy.p(), td->d, x.p(), &zero, td->d, dx2.p())); };
      }
      const bool uses_inp = a.act == Act::LeakyRelu || a.act == Act::Relu;
      add(c, std::string(a.name) + " fwd", mib(n), 2.0 * n * 4, ok, why,
          [&] { cuda::activation_forward(a.act, y.p(), x.p(), n, 0.2f, c.stream); }, dnn_f);
      add(c, std::string(a.name) + " bwd", mib(n), 3.0 * n * 4, ok, why,
          [&] { cuda::activation_backward(a.act, dx.p(), dy.p(), uses_inp ? x.p() : nullptr, uses_inp ? nullptr : y.p(), n, 0.2f, c.stream); },
          dnn_b);
    }
}

void dropout(Ctx& c) {
  for (size_t n : {size_t(128) * 128 * 14 * 14, size_t(16) << 20, size_t(64) << 20}) {
    auto hx = randu(n, 3), hdy = randu(n, 4);
    std::vector<float> rout(n), rmask(n), rdx(n);
    ref::dropout_forward(rout.data(), rmask.data(), hx.data(), n, 0.4f, 42, 5);
    ref::dropout_backward(rdx.data(), hdy.data(), rmask.data(), n);
    DevArray<float> x(hx, c.stream), dy(hdy, c.stream), out(n, c.stream), mask(n, c.stream), dx(n, c.stream);
    cuda::dropout_forward(out.p(), mask.p(), x.p(), n, 0.4f, 42, 5, c.d_step, c.stream);
    cuda::dropout_backward(dx.p(), dy.p(), mask.p(), n, c.stream);
    std::string why;
    const bool ok = agree(mask.download(), rmask, 0, 0, &why) && agree(out.download(), rout, 0, 0, &why) &&
                    agree(dx.download(), rdx, 0, 0, &why);
    add(c, "dropout fwd", mib(n), 3.0 * n * 4, ok, why,
        [&] { cuda::dropout_forward(out.p(), mask.p(), x.p(), n, 0.4f, 42, 5, c.d_step, c.stream); });
    add(c, "dropout bwd", mib(n), 3.0 * n * 4, ok, why,
        [&] { cuda::dropout_backward(dx.p(), dy.p(), mask.p(), n, c.stream); });
  }
}

void batchnorm(Ctx& c) {
  struct S { int N, C, HW; };
  for (S s : {S{128, 128, 196}, S{128, 128, 784}, S{256, 128, 784}}) {
    const size_t n = (size_t)s.N * s.C * s.HW;
    const std::string shape = std::to_string(s.N) + "x" + std::to_string(s.C) + "x" + std::to_string(s.HW) + " " + mib(n);
    auto hx = randu(n, 5, -2, 3), hdy = randu(n, 6), hg = randu(s.C, 7, 0.5f, 1.5f), hb = randu(s.C, 8);
    std::vector<float> ry(n), rmean(s.C), rinv(s.C), rrm(s.C, 0.0f), rrv(s.C, 1.0f), rye(n), rdx(n), rdg(s.C, 0.0f), rdb(s.C, 0.0f);
    ref::batchnorm_forward_train(ry.data(), rmean.data(), rinv.data(), rrm.data(), rrv.data(), hx.data(), hg.data(), hb.data(), s.N, s.C, s.HW, 0.1f, 1e-5f);
    ref::batchnorm_forward_eval(rye.data(), hx.data(), hg.data(), hb.data(), rrm.data(), rrv.data(), s.N, s.C, s.HW, 1e-5f);
    ref::batchnorm_backward(rdx.data(), rdg.data(), rdb.data(), hdy.data(), hx.data(), hg.data(), rmean.data(), rinv.data(), s.N, s.C, s.HW);
    DevArray<float> x(hx, c.stream), dy(hdy, c.stream), g(hg, c.stream), b(hb, c.stream), y(n, c.stream), mean(s.C, c.stream), inv(s.C, c.stream), rm(std::vector<float>(s.C, 0.0f), c.stream),
        rv(std::vector<float>(s.C, 1.0f), c.stream), ye(n, c.stream), dx(n, c.stream), dg(std::vector<float>(s.C, 0.0f), c.stream), db(std::vector<float>(s.C, 0.0f), c.stream);
    cuda::batchnorm_forward_train(y.p(), mean.p(), inv.p(), rm.p(), rv.p(), x.p(), g.p(), b.p(), s.N, s.C, s.HW, 0.1f, 1e-5f, c.stream);
    cuda::batchnorm_forward_eval(ye.p(), x.p(), g.p(), b.p(), rm.p(), rv.p(), s.N, s.C, s.HW, 1e-5f, c.stream);
    cuda::batchnorm_backward(dx.p(), dg.p(), db.p(), dy.p(), x.p(), g.p(), mean.p(), inv.p(), s.N, s.C, s.HW, c.stream);
    std::string why;
    const bool ok = agree(y.download(), ry, 1e-5, 1e-5, &why) && agree(ye.download(), rye, 1e-5, 1e-5, &why) &&
                    agree(dx.download(), rdx, 1e-5, 1e-4, &why) && agree(dg.download(), rdg, 1e-5, 1e-4, &why) &&
                    agree(db.download(), rdb, 1e-5, 1e-4, &why);
    // cuDNN on the same tensors (spatial batchnorm = per channel over N, H, W).
    Tensor4 td(s.N, s.C, 1, s.HW), bnd(1, s.C, 1, 1);
    DevArray<float> y2(n, c.stream), m2(s.C, c.stream), i2(s.C, c.stream), rm2(std::vector<float>(s.C, 0.0f), c.stream), rv2(std::vector<float>(s.C, 1.0f), c.stream), dx2(n, c.stream),
        dg2(std::vector<float>(s.C, 0.0f), c.stream), db2(std::vector<float>(s.C, 0.0f), c.stream);  // accumulated (beta 1)
    CUDNN_CHECK(cudnnSetStream(c.dnn, c.stream));
    const float one = 1, zero = 0;
    auto dnn_train = [&] {
      CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(c.dnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, td.d, x.p(), td.d, y2.p(), bnd.d,
                                                         g.p(), b.p(), 0.1, rm2.p(), rv2.p(), 1e-5, m2.p(), i2.p()));
    };
    auto dnn_eval = [&] {
      CUDNN_CHECK(cudnnBatchNormalizationForwardInference(c.dnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, td.d, x.p(), td.d, y2.p(), bnd.d,
                                                          g.p(), b.p(), rm2.p(), rv2.p(), 1e-5));
    };
    auto dnn_bwd = [&] {
      CUDNN_CHECK(cudnnBatchNormalizationBackward(c.dnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, &one, &one, td.d, x.p(), td.d, dy.p(),
                                                  td.d, dx2.p(), bnd.d, g.p(), dg2.p(), db2.p(), 1e-5, m2.p(), i2.p()));
    };
    dnn_train();  // saved statistics for cuDNN's backward
    add(c, "batchnorm fwd train", shape, 2.0 * n * 4, ok, why,
        [&] { cuda::batchnorm_forward_train(y.p(), mean.p(), inv.p(), rm.p(), rv.p(), x.p(), g.p(), b.p(), s.N, s.C, s.HW, 0.1f, 1e-5f, c.stream); },
        dnn_train);
    add(c, "batchnorm fwd eval", shape, 2.0 * n * 4, ok, why,
        [&] { cuda::batchnorm_forward_eval(ye.p(), x.p(), g.p(), b.p(), rm.p(), rv.p(), s.N, s.C, s.HW, 1e-5f, c.stream); }, dnn_eval);
    add(c, "batchnorm bwd", shape, 3.0 * n * 4, ok, why,
        [&] { cuda::batchnorm_backward(dx.p(), dg.p(), db.p(), dy.p(), x.p(), g.p(), mean.p(), inv.p(), s.N, s.C, s.HW, c.stream); },
        dnn_bwd);
  }
}

void data_movement(Ctx& c) {
  // concat: the generator's join (128 × [1 + 128] × 7×7) and a 100+ MiB one
  struct S { int N, Ca, Cb, HW; };
  for (S s : {S{128, 1, 128, 49}, S{256, 64, 64, 784}}) {
    const size_t na = (size_t)s.N * s.Ca * s.HW, nb = (size_t)s.N * s.Cb * s.HW, no = na + nb;
    auto ha = randu(na, 9), hb = randu(nb, 10);
    std::vector<float> ro(no), rda(na), rdb(nb);
    ref::concat_forward(ro.data(), ha.data(), hb.data(), s.N, s.Ca, s.Cb, s.HW);
    ref::concat_backward(rda.data(), rdb.data(), ro.data(), s.N, s.Ca, s.Cb, s.HW);
    DevArray<float> a(ha, c.stream), b(hb, c.stream), o(no, c.stream), da(na, c.stream), db(nb, c.stream);
    cuda::concat_forward(o.p(), a.p(), b.p(), s.N, s.Ca, s.Cb, s.HW, c.stream);
    cuda::concat_backward(da.p(), db.p(), o.p(), s.N, s.Ca, s.Cb, s.HW, c.stream);
    std::string why;
    const bool ok = agree(o.download(), ro, 0, 0, &why) && agree(da.download(), rda, 0, 0, &why) && agree(db.download(), rdb, 0, 0, &why);
    const std::string shape = std::to_string(s.N) + "x(" + std::to_string(s.Ca) + "+" + std::to_string(s.Cb) + ")x" + std::to_string(s.HW) + " " + mib(no);
    add(c, "concat fwd", shape, 2.0 * no * 4, ok, why, [&] { cuda::concat_forward(o.p(), a.p(), b.p(), s.N, s.Ca, s.Cb, s.HW, c.stream); });
    add(c, "concat bwd", shape, 2.0 * no * 4, ok, why, [&] { cuda::concat_backward(da.p(), db.p(), o.p(), s.N, s.Ca, s.Cb, s.HW, c.stream); });
  }
  // gather_rows: a half batch of 28×28 images from a 60000-image set, and 64 MiB of rows
  struct G { int rows, n; int64_t row; };
  for (G gg : {G{60000, 64, 784}, G{20000, 16384, 1024}}) {
    auto src = randu((size_t)gg.rows * gg.row, 11);
    std::vector<int32_t> idx(gg.n);
    std::mt19937 rng(12);
    for (auto& i : idx) i = (int32_t)(rng() % gg.rows);
    std::vector<float> ro((size_t)gg.n * gg.row);
    ref::gather_rows(ro.data(), src.data(), idx.data(), gg.n, gg.row);
    DevArray<float> s(src, c.stream), o(ro.size(), c.stream);
    DevArray<int32_t> di(idx, c.stream);
    cuda::gather_rows(o.p(), s.p(), di.p(), gg.n, gg.row, c.stream);
    std::string why;
    const bool ok = agree(o.download(), ro, 0, 0, &why);
    add(c, "gather_rows", std::to_string(gg.n) + "x" + std::to_string(gg.row) + " " + mib(ro.size()), 2.0 * ro.size() * 4, ok, why,
        [&] { cuda::gather_rows(o.p(), s.p(), di.p(), gg.n, gg.row, c.stream); });
  }
  // axpy, randn, randint at 64 MiB
  const size_t n = size_t(16) << 20;
  {
    auto hx = randu(n, 13), hy = randu(n, 14);
    auto ry = hy;
    ref::axpy(ry.data(), hx.data(), n, 0.5f);
    DevArray<float> x(hx, c.stream), y(hy, c.stream);
    cuda::axpy(y.p(), x.p(), n, 0.5f, c.stream);
    std::string why;
    const bool ok = agree(y.download(), ry, 1e-7, 1e-6, &why);
    add(c, "axpy", mib(n), 3.0 * n * 4, ok, why, [&] { cuda::axpy(y.p(), x.p(), n, 0.5f, c.stream); });
  }
  {
    std::vector<float> rz(n);
    std::vector<int32_t> rk(n);
    ref::randn(rz.data(), n, 0, 1, 3, 77);
    ref::randint(rk.data(), n, 10, 3, 77);
    DevArray<float> z(n, c.stream);
    DevArray<int32_t> k(n, c.stream);
    cuda::randn(z.p(), n, 0, 1, 3, 77, c.d_step, c.stream);
    cuda::randint(k.p(), n, 10, 3, 77, c.d_step, c.stream);
    std::string why;
    bool ok = agree(z.download(), rz, 2e-6, 1e-5, &why);  // logf/cosf: an ulp from the host's
    if (ok && k.download() != rk) { ok = false; why = "randint differs from the reference"; }
    add(c, "randn", mib(n), 1.0 * n * 4, ok, why, [&] { cuda::randn(z.p(), n, 0, 1, 3, 77, c.d_step, c.stream); });
    add(c, "randint", mib(n), 1.0 * n * 4, ok, why, [&] { cuda::randint(k.p(), n, 10, 3, 77, c.d_step, c.stream); });
  }
  // bias helpers used by conv and linear
  {
    const int N = 128, C = 128, HW = 784;
    const size_t m = (size_t)N * C * HW;
    auto hd = randu(m, 15), hb = randu(C, 16);
    std::vector<double> sum(C, 0.0);
    for (int nn = 0; nn < N; ++nn)
      for (int cc = 0; cc < C; ++cc)
        for (int i = 0; i < HW; ++i) sum[cc] += hd[((size_t)nn * C + cc) * HW + i];
    std::vector<float> rdb(sum.begin(), sum.end());
    DevArray<float> d(hd, c.stream), db(std::vector<float>(C, 0.0f), c.stream), b(hb, c.stream);
    cuda::channel_bias_grad(db.p(), d.p(), N, C, HW, c.stream);
    std::string why;
    const bool ok = agree(db.download(), rdb, 1e-5, 1e-4, &why);
    add(c, "channel_bias_grad", "128x128x784 " + mib(m), 1.0 * m * 4, ok, why, [&] { cuda::channel_bias_grad(db.p(), d.p(), N, C, HW, c.stream); });
    add(c, "channel_bias_add", "128x128x784 " + mib(m), 2.0 * m * 4, true, "", [&] { cuda::channel_bias_add(d.p(), b.p(), N, C, HW, c.stream); });
  }
}

void small_ops(Ctx& c) {
  // Latency-bound at the models' sizes: GB/s is reported but says little.
  {
    const int B = 128, num = 10, dim = 50;
    auto table = randu(num * dim, 17), dout = randu(B * dim, 18);
    std::vector<int32_t> labels(B);
    for (int b = 0; b < B; ++b) labels[b] = b % num;
    std::vector<float> ro(B * dim), rdt(num * dim, 0.0f);
    ref::embedding_forward(ro.data(), labels.data(), table.data(), B, num, dim);
    ref::embedding_backward(rdt.data(), dout.data(), labels.data(), B, num, dim);
    DevArray<float> t(table, c.stream), o(B * dim, c.stream), d(dout, c.stream), dt(std::vector<float>(num * dim, 0.0f), c.stream);
    DevArray<int32_t> l(labels, c.stream);
    cuda::embedding_forward(o.p(), l.p(), t.p(), B, num, dim, c.stream);
    cuda::embedding_backward(dt.p(), d.p(), l.p(), B, num, dim, c.stream);
    std::string why;
    const bool ok = agree(o.download(), ro, 0, 0, &why) && agree(dt.download(), rdt, 1e-6, 1e-5, &why);
    add(c, "embedding fwd", "128x10x50", 2.0 * B * dim * 4, ok, why, [&] { cuda::embedding_forward(o.p(), l.p(), t.p(), B, num, dim, c.stream); });
    add(c, "embedding bwd", "128x10x50", 1.0 * B * dim * 4, ok, why, [&] { cuda::embedding_backward(dt.p(), d.p(), l.p(), B, num, dim, c.stream); });
  }
  {
    const int B = 128, C = 10;
    auto x = randu(B * C, 19, -5, 5), xb = randu(B, 20, -5, 5);
    std::vector<float> t(B, 1.0f);
    std::vector<int32_t> y(B);
    for (int b = 0; b < B; ++b) y[b] = (b * 7) % C;
    float rl = 0, rc = 0, rl2 = 0, rc2 = 0;
    std::vector<float> rd(B * C), rdb(B);
    ref::softmax_xent(&rl, &rc, rd.data(), x.data(), y.data(), B, C, 1.0f);
    ref::bce_logits(&rl2, &rc2, rdb.data(), xb.data(), t.data(), B, 1.0f);
    DevArray<float> dx(x, c.stream), dxb(xb, c.stream), dt(t, c.stream), loss(1, c.stream), corr(1, c.stream), d(B * C, c.stream), db(B, c.stream), loss2(1, c.stream), corr2(1, c.stream);
    DevArray<int32_t> dy(y, c.stream);
    cuda::softmax_xent(loss.p(), corr.p(), d.p(), dx.p(), dy.p(), B, C, 1.0f, c.stream);
    cuda::bce_logits(loss2.p(), corr2.p(), db.p(), dxb.p(), dt.p(), B, 1.0f, c.stream);
    std::string why;
    const bool ok = agree(d.download(), rd, 1e-7, 1e-5, &why) && agree(loss.download(), {rl}, 0, 1e-5, &why) &&
                    agree(corr.download(), {rc}, 0, 0, &why) && agree(db.download(), rdb, 1e-7, 1e-5, &why) &&
                    agree(loss2.download(), {rl2}, 0, 1e-5, &why) && agree(corr2.download(), {rc2}, 0, 0, &why);
    add(c, "softmax_xent (fused)", "128x10", 2.0 * B * C * 4, ok, why,
        [&] { cuda::softmax_xent(loss.p(), corr.p(), d.p(), dx.p(), dy.p(), B, C, 1.0f, c.stream); });
    add(c, "bce_logits (fused)", "128", 3.0 * B * 4, ok, why,
        [&] { cuda::bce_logits(loss2.p(), corr2.p(), db.p(), dxb.p(), dt.p(), B, 1.0f, c.stream); });
  }
  {
    const int N = 100, C = 1, H = 28, W = 28, rows = 10, cols = 10, pad = 2;
    const int GH = rows * H + (rows - 1) * pad, GW = cols * W + (cols - 1) * pad;
    auto imgs = randu((size_t)N * C * H * W, 21);
    std::vector<uint8_t> ro((size_t)GH * GW * C);
    ref::image_grid(ro.data(), imgs.data(), N, C, H, W, rows, cols, pad);
    DevArray<float> di(imgs, c.stream);
    DevArray<uint8_t> o(ro.size(), c.stream);
    cuda::image_grid(o.p(), di.p(), N, C, H, W, rows, cols, pad, c.stream);
    const bool ok = o.download() == ro;
    add(c, "image_grid", "100x1x28x28 -> 10x10", 4.0 * imgs.size() + ro.size(), ok, ok ? "" : "grid differs from the reference",
        [&] { cuda::image_grid(o.p(), di.p(), N, C, H, W, rows, cols, pad, c.stream); });
  }
}

void adam(Ctx& c) {
  // acgan28's generator tensors, then 8 × 4M floats (128 MiB per state array).
  const std::vector<int64_t> acgan = {500, 2450, 49, 627200, 6272, 129 * 128 * 16, 128, 128, 128, 128 * 128 * 16, 128, 128, 128, 6272, 1};
  const std::vector<int64_t> big(8, int64_t(4) << 20);
  for (const auto* sizes : {&acgan, &big}) {
    int64_t total = 0;
    std::vector<std::vector<float>> hp, hg, hm, hv;
    std::vector<std::unique_ptr<DevArray<float>>> dp, dg, dm, dv;
    std::vector<AdamParam> host, dev;
    uint32_t seed = 30;
    for (int64_t n : *sizes) {
      total += n;
      hp.push_back(randu(n, seed++)); hg.push_back(randu(n, seed++));
      hm.push_back(std::vector<float>(n, 0.0f)); hv.push_back(std::vector<float>(n, 0.0f));
      dp.push_back(std::make_unique<DevArray<float>>(hp.back(), c.stream)); dg.push_back(std::make_unique<DevArray<float>>(hg.back(), c.stream));
      dm.push_back(std::make_unique<DevArray<float>>(hm.back(), c.stream)); dv.push_back(std::make_unique<DevArray<float>>(hv.back(), c.stream));
    }
    for (size_t i = 0; i < sizes->size(); ++i) {
      host.push_back({hp[i].data(), hg[i].data(), hm[i].data(), hv[i].data(), (*sizes)[i]});
      dev.push_back({dp[i]->p(), dg[i]->p(), dm[i]->p(), dv[i]->p(), (*sizes)[i]});
    }
    AdamHyper h;
    cuda::AdamPlan plan(dev, c.stream);
    ref::adam_update(host, h, 1);
    cuda::adam_update(plan, h, 1, 0, c.d_step, c.stream);  // step 0 → t = 1
    std::string why;
    bool ok = true;
    for (size_t i = 0; i < hp.size() && ok; ++i) ok = agree(dp[i]->download(), hp[i], 1e-7, 1e-6, &why);
    add(c, "adam (multi-tensor)", std::to_string(sizes->size()) + " tensors " + mib(total), 7.0 * total * 4, ok, why,
        [&] { cuda::adam_update(plan, h, 1, 0, c.d_step, c.stream); });
  }
}

}  // namespace

void bench_kernels(const Options& o, Report& r) {
  Ctx c;
  c.report = &r;
  c.iters = o.iters ? o.iters : 50;
  int dev = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  c.device = std::string("cuda:") + prop.name;
  CUDA_CHECK(cudaStreamCreateWithFlags(&c.stream, cudaStreamNonBlocking));
  CUDNN_CHECK(cudnnCreate(&c.dnn));
  c.flush_bytes = std::max<size_t>(2 * (size_t)prop.l2CacheSize, size_t(64) << 20);
  DevArray<uint8_t> flush(c.flush_bytes, c.stream);
  c.flush = &flush;
  DevArray<uint64_t> step(std::vector<uint64_t>{0}, c.stream);
  c.d_step = step.p();
  r.note("kernels: L2 flushed with a " + std::to_string(c.flush_bytes >> 20) + " MiB write between repeats (L2 " +
         std::to_string(prop.l2CacheSize >> 20) + " MiB); GB/s counts the minimum bytes moved");
  copy_ceiling(c);
  activations(c);
  dropout(c);
  batchnorm(c);
  data_movement(c);
  small_ops(c);
  adam(c);
  CUDA_CHECK(cudaStreamSynchronize(c.stream));
  cudnnDestroy(c.dnn);
  CUDA_CHECK(cudaStreamDestroy(c.stream));
}

}  // namespace gan::bench
#endif  // GAN_HAVE_CUDA
