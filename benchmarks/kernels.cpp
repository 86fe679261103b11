// Kernel benchmarks: the op registry's kPerf cases (tests/ops/cases.h: the models' sizes and
// ≥ 64 MiB ones), each run on the chosen backend. On CUDA each case is first checked against the
// CPU reference on the same inputs (compare_backends, as tests/gpu does), then timed: CUDA events
// around one call, 3 warm-up calls, the median of --iters repeats, with a write of a buffer of
// twice the L2 size between repeats so no input is served from L2. GB/s counts the fewest bytes
// the op must move (each input read once, each output written once), and %copy is that over the
// device-to-device copy bandwidth measured in the same run (read + write bytes). On CUDA, cuDNN's
// batchnorm and activations run on the same buffers beside ours. On the CPU (the reference
// itself) the rows are timed unchecked, and cases over kCpuMaxBytes are left out.
#include <algorithm>
#include <memory>
#include <string>

#include "bench.h"
#include "tests/ops/cases.h"
#ifdef GAN_HAVE_CUDA
#include <cudnn.h>

#include "kernels/check.h"
#include "kernels/cuda_ops.h"
#include "kernels/ops.h"
#endif

namespace gan::bench {
namespace {
using opcases::Bound;
using opcases::Case;

constexpr double kCpuMaxBytes = 600.0 * (1 << 20);

struct Ctx {
  Ops* ops = nullptr;
  std::unique_ptr<Ops> cpu;  // the reference, on CUDA
  std::unique_ptr<Buffer> flush;
  size_t flush_floats = 0;
  double copy_gbps = NAN;
  int iters = 50;
  Report* report = nullptr;
};

// Median ms of fn, the L2 flushed before each repeat (on CUDA).
double time_ms(Ctx& c, const std::function<void()>& fn) {
  float* flush = c.flush ? static_cast<float*>(c.flush->data()) : nullptr;
  int i = 0;
  return median_ms(*c.ops, fn, c.iters, 3, [&] {
    if (flush) c.ops->fill(flush, (int64_t)c.flush_floats, (float)(i++ & 0xff));
  });
}

Row row(Ctx& c, const std::string& name, const std::string& shape) {
  Row r;
  r.section = "kernels";
  r.device = c.ops->name();
  r.name = name;
  r.shape = shape;
  return r;
}

void copy_ceiling(Ctx& c) {
  const size_t n = c.ops->is_cuda() ? size_t(64) << 20 : size_t(16) << 20;  // 256 MiB of floats (64 on the CPU)
  auto a = c.ops->alloc(n * 4), b = c.ops->alloc(n * 4);
  c.ops->fill(static_cast<float*>(a->data()), (int64_t)n, 0.0f);
  const double ms = time_ms(c, [&] { c.ops->copy_device(b->data(), a->data(), n * 4); });
  c.copy_gbps = 2.0 * n * 4 / (ms * 1e-3) / 1e9;
  Row r = row(c, "copy D2D (ceiling)", opcases::mib(n));
  r.ms = ms;
  r.gbps = c.copy_gbps;
  r.copy_frac = 1.0;
  c.report->add(r);
}

void add(Ctx& c, const std::string& name, const Case& k, double bytes, bool valid, const std::string& why,
         const std::function<void()>& fn, const std::function<void()>& cudnn_fn) {
  Row r = row(c, name, k.shape);
  r.valid = valid;
  if (valid) {
    r.ms = time_ms(c, fn);
    r.gbps = bytes / (r.ms * 1e-3) / 1e9;
    r.copy_frac = r.gbps / c.copy_gbps;
    if (cudnn_fn) r.cudnn_ms = time_ms(c, cudnn_fn);
  } else {
    r.note = why;
  }
  c.report->add(r);
}

#ifdef GAN_HAVE_CUDA
// ---- cuDNN beside ours, on the case's own buffers (forward, backward) ----
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

class Cudnn {
 public:
  explicit Cudnn(Ops& ops) : cuda_(dynamic_cast<cuda::CudaOps*>(&ops)) {
    if (!cuda_) return;
    CUDNN_CHECK(cudnnCreate(&h_));
    CUDNN_CHECK(cudnnSetStream(h_, cuda_->stream()));
  }
  ~Cudnn() {
    if (h_) cudnnDestroy(h_);
  }
  // The cuDNN calls for a case (null where cuDNN has no such op): buffers by the registry's names.
  std::pair<std::function<void()>, std::function<void()>> calls(const Case& k, Bound& b) {
    if (!h_) return {};
    auto f = [&](const char* name) { return b.ptrs().f(index(k, name)); };
    const size_t n = k.bufs[index(k, "inp")].n;
    if (k.op == "activation relu" || k.op == "activation tanh" || k.op == "activation sigmoid") {
      const auto mode = k.op == "activation relu"   ? CUDNN_ACTIVATION_RELU
                        : k.op == "activation tanh" ? CUDNN_ACTIVATION_TANH
                                                    : CUDNN_ACTIVATION_SIGMOID;
      auto ad = std::make_shared<ActDesc>(mode);
      auto td = std::make_shared<Tensor4>(1, 1, 1, (int)n);
      auto y2 = cuda_->alloc(n * 4), dx2 = cuda_->alloc(n * 4);
      float *x = f("inp"), *y = f("out"), *dy = f("dout"), *py2 = (float*)y2->data(), *pdx2 = (float*)dx2->data();
      keep_.push_back(std::move(y2));
      keep_.push_back(std::move(dx2));
      return {[=] { CUDNN_CHECK(cudnnActivationForward(h_, ad->d, &kOne, td->d, x, &kZero, td->d, py2)); },
              [=] { CUDNN_CHECK(cudnnActivationBackward(h_, ad->d, &kOne, td->d, y, td->d, dy, td->d, x, &kZero, td->d, pdx2)); }};
    }
    if (k.op == "batchnorm" || k.op == "batchnorm eval") {
      int N = 0, C = (int)k.bufs[index(k, "gamma")].n, HW = 0;
      std::sscanf(k.shape.c_str(), "%dx%*dx%d", &N, &HW);
      auto td = std::make_shared<Tensor4>(N, C, 1, HW), bnd = std::make_shared<Tensor4>(1, C, 1, 1);
      std::vector<std::unique_ptr<Buffer>> own;
      for (size_t bytes : {n * 4, n * 4, C * 4ul, C * 4ul, C * 4ul, C * 4ul, C * 4ul, C * 4ul}) own.push_back(cuda_->alloc(bytes));
      float *y2 = (float*)own[0]->data(), *dx2 = (float*)own[1]->data(), *m2 = (float*)own[2]->data(),
            *i2 = (float*)own[3]->data(), *rm2 = (float*)own[4]->data(), *rv2 = (float*)own[5]->data(),
            *dg2 = (float*)own[6]->data(), *db2 = (float*)own[7]->data();
      cuda_->fill(rm2, C, 0.0f);
      cuda_->fill(rv2, C, 1.0f);
      for (auto& o : own) keep_.push_back(std::move(o));
      float *x = f("inp"), *g = f("gamma"), *be = f("beta");
      auto train = [=] {
        CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(h_, CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, td->d, x, td->d, y2,
                                                           bnd->d, g, be, 0.1, rm2, rv2, 1e-5, m2, i2));
      };
      if (k.op == "batchnorm eval")
        return {[=] {
                  CUDNN_CHECK(cudnnBatchNormalizationForwardInference(h_, CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, td->d, x,
                                                                      td->d, y2, bnd->d, g, be, rm2, rv2, 1e-5));
                },
                nullptr};
      train();  // saved statistics for cuDNN's backward
      float* dy = f("dout");
      return {train, [=] {
                CUDNN_CHECK(cudnnBatchNormalizationBackward(h_, CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, &kOne, &kOne, td->d, x,
                                                            td->d, dy, td->d, dx2, bnd->d, g, dg2, db2, 1e-5, m2, i2));
              }};
    }
    return {};
  }
  void release() { keep_.clear(); }

 private:
  static int index(const Case& k, const char* name) {
    for (size_t i = 0; i < k.bufs.size(); ++i)
      if (k.bufs[i].name == name) return (int)i;
    return -1;
  }
  static constexpr float kOne = 1.0f, kZero = 0.0f;
  cuda::CudaOps* cuda_ = nullptr;
  cudnnHandle_t h_ = nullptr;
  std::vector<std::unique_ptr<Buffer>> keep_;
};

// The bias helpers linear and conv share (bias.cu): kernels, but not ops of their own.
void bias_helpers(Ctx& c) {
  auto* cu = dynamic_cast<cuda::CudaOps*>(c.ops);
  if (!cu) return;
  const int N = 128, C = 128, HW = 784;
  const size_t m = (size_t)N * C * HW;
  const auto hd = opcases::randu(m, 15), hb = opcases::randu(C, 16);
  std::vector<double> sum(C, 0.0);
  for (size_t i = 0; i < m; ++i) sum[i / HW % C] += hd[i];
  const std::vector<float> want(sum.begin(), sum.end());
  auto d = cu->alloc(m * 4), db = cu->alloc(C * 4), b = cu->alloc(C * 4);
  float *pd = (float*)d->data(), *pdb = (float*)db->data(), *pb = (float*)b->data();
  cu->copy_to_device(pd, hd.data(), m * 4);
  cu->copy_to_device(pb, hb.data(), C * 4);
  cu->fill(pdb, C, 0.0f);
  cuda::channel_bias_grad(pdb, pd, N, C, HW, cu->stream());
  std::vector<float> got(C);
  cu->copy_to_host(got.data(), pdb, C * 4);
  const std::string why = opcases::mismatch("channel_bias_grad", got, want, opcases::Tol{0, 1e-4, 1e-5});
  Case k;
  k.shape = "128x128x784 " + opcases::mib(m);
  add(c, "channel_bias_grad", k, 1.0 * m * 4, why.empty(), why, [&] { cuda::channel_bias_grad(pdb, pd, N, C, HW, cu->stream()); }, nullptr);
  add(c, "channel_bias_add", k, 2.0 * m * 4, true, "", [&] { cuda::channel_bias_add(pd, pb, N, C, HW, cu->stream()); }, nullptr);
}
#else
class Cudnn {
 public:
  explicit Cudnn(Ops&) {}
  std::pair<std::function<void()>, std::function<void()>> calls(const Case&, Bound&) { return {}; }
  void release() {}
};
void bias_helpers(Ctx&) {}
#endif

void run_case(Ctx& c, Cudnn& dnn, const Case& k) {
  double bytes = 0;
  for (const opcases::Buf& b : k.bufs) bytes += (double)b.bytes();
  if (!c.ops->is_cuda() && bytes > kCpuMaxBytes) return;
  std::string why;
  if (c.cpu) {
    const auto fails = opcases::compare_backends(*c.ops, *c.cpu, k);
    for (const auto& f : fails) why += (why.empty() ? "" : "; ") + f;
  }
  Bound b(*c.ops, k);
  b.run_forward();
  b.run_backward();
  auto [dnn_forward, dnn_backward] = dnn.calls(k, b);
  const bool ok = why.empty();
  add(c, k.op + (k.backward ? " fwd" : ""), k, k.bytes_forward, ok, why, [&] { b.run_forward(); }, dnn_forward);
  if (k.backward) add(c, k.op + " bwd", k, k.bytes_backward, ok, why, [&] { b.run_backward(); }, dnn_backward);
  c.ops->synchronize();
  dnn.release();
}

}  // namespace

void bench_kernels(Ops& ops, const Options& o, Report& r) {
  Ctx c;
  c.ops = &ops;
  c.report = &r;
  c.iters = o.iters ? o.iters : ops.is_cuda() ? 50 : 3;
  if (ops.is_cuda()) {
    c.cpu = make_cpu_ops();
    c.cpu->set_precision(ops.precision());
    size_t l2 = 0;
#ifdef GAN_HAVE_CUDA
    int dev = 0;
    CUDA_CHECK(cudaGetDevice(&dev));
    cudaDeviceProp prop{};
    CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
    l2 = prop.l2CacheSize;
#endif
    const size_t flush_bytes = std::max<size_t>(2 * l2, size_t(64) << 20);
    c.flush_floats = flush_bytes / 4;
    c.flush = ops.alloc(flush_bytes);
    r.note("kernels: L2 flushed with a " + std::to_string(flush_bytes >> 20) + " MiB write between repeats (L2 " +
           std::to_string(l2 >> 20) + " MiB); GB/s counts the minimum bytes moved");
  } else {
    r.note("kernels: on the CPU reference (unchecked: it is the reference), cases over " +
           std::to_string((int)(kCpuMaxBytes / (1 << 20))) + " MiB left out");
  }
  copy_ceiling(c);
  Cudnn dnn(ops);
  opcases::for_each_case(opcases::kPerf, ops.precision(), [&](Case&& k) { run_case(c, dnn, k); });
  bias_helpers(c);
  ops.synchronize();
}

}  // namespace gan::bench
