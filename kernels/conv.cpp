// conv2d and conv_transpose2d on cuDNN (legacy convolution API, still shipped in cuDNN 9).
//
// Both ops are one cuDNN convolution seen from either side. For a convolution mapping X → Y with
// filter [K = Y channels, C = X channels, kh, kw]:
//   conv2d:           X = inp, Y = out; forward = Forward, dinp = BackwardData, dW = BackwardFilter(inp, dout)
//   conv_transpose2d: X = out, Y = inp; forward = BackwardData, dinp = Forward, dW = BackwardFilter(dout, inp)
// and PyTorch's ConvTranspose2d weight [in, out, kh, kw] is exactly that filter ([K=in, C=out]).
// Per shape, the descriptors and the three algorithms are chosen once (cudnnFind*, keeping only
// deterministic algorithms so a run is repeatable, and in FP32 only FMA math: kernels/math_mode.h
// says how, and why a missing FMA algorithm is an error rather than a silent TF32 one) and
// cached; one workspace per device serves every convolution and only grows, outside graph capture
// (inside a capture an unseen shape falls back to the heuristics, restricted to what fits); a
// replaced workspace is kept, not freed, since captured graphs hold its address.
// Weight gradients accumulate through cuDNN's beta = 1; biases go through kernels/bias.cu.
// --precision bf16 runs every convolution on bf16 copies in the bf16 scratch (kernels/bf16.cu)
// with fp32 sums; the results come back widened to fp32 (src/precision.h: the rounding points).
// Everything assumes one stream at a time per device (CudaOps has one), since the workspace is shared.
#include <cudnn.h>
#include <cuda_runtime.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "check.h"
#include "math_mode.h"
#include "ops.h"

namespace gan::cuda {
namespace {

// A cuDNN descriptor owned for its scope: made by Create, released by Destroy.
template <class T, cudnnStatus_t (*Create)(T*), cudnnStatus_t (*Destroy)(T)>
struct Desc {
  T d = nullptr;
  Desc() { CUDNN_CHECK(Create(&d)); }
  ~Desc() { Destroy(d); }
  Desc(const Desc&) = delete;
  Desc& operator=(const Desc&) = delete;
};
using TensorDesc = Desc<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDesc = Desc<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvDesc = Desc<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor, cudnnDestroyConvolutionDescriptor>;

// One convolution X → Y, in the X/Y naming of the note above.
struct Geometry {
  int N, xc, xh, xw, yc, yh, yw, kh, kw, stride, pad;
  bool tf32;
  Precision prec;
  auto tie() const { return std::tie(N, xc, xh, xw, yc, yh, yw, kh, kw, stride, pad, tf32, prec); }
  int64_t x_elems() const { return (int64_t)N * xc * xh * xw; }
  int64_t y_elems() const { return (int64_t)N * yc * yh * yw; }
  int64_t w_elems() const { return (int64_t)yc * xc * kh * kw; }
  bool bf16() const { return prec == Precision::Bf16; }
  bool operator<(const Geometry& o) const { return tie() < o.tie(); }
};

struct Plan {
  TensorDesc x, y;
  FilterDesc w;
  ConvDesc fwd, bwd_data, bwd_filter;  // one each: the math type is per descriptor
  cudnnConvolutionFwdAlgo_t fwd_algo{};
  cudnnConvolutionBwdDataAlgo_t bwd_data_algo{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter_algo{};
  size_t fwd_ws = 0, bwd_data_ws = 0, bwd_filter_ws = 0;
};

struct Context {
  cudnnHandle_t handle = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
  std::map<Geometry, Plan*> plans;
  std::vector<void*> retired;  // earlier, smaller workspaces (see grow_workspace)
};

std::mutex g_mu;

// Per device, for the life of the process (see linear.cpp for why it is never freed).
Context& context_for_current_device() {
  static std::map<int, Context*> per_device;
  int dev = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  Context*& c = per_device[dev];
  if (!c) {
    auto* nc = new Context;
    CUDNN_CHECK(cudnnCreate(&nc->handle));
    c = nc;
  }
  return *c;
}

bool is_capturing(cudaStream_t stream) {
  cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
  CUDA_CHECK(cudaStreamIsCapturing(stream, &st));
  return st != cudaStreamCaptureStatusNone;
}

std::string describe(const Geometry& g) {
  return "conv N=" + std::to_string(g.N) + " X=" + std::to_string(g.xc) + "x" +
         std::to_string(g.xh) + "x" + std::to_string(g.xw) + " Y=" + std::to_string(g.yc) + "x" +
         std::to_string(g.yh) + "x" + std::to_string(g.yw) + " k=" + std::to_string(g.kh) +
         " s=" + std::to_string(g.stride) + " p=" + std::to_string(g.pad);
}

static_assert((int)ConvMath::Default == CUDNN_DEFAULT_MATH && (int)ConvMath::TensorOp == CUDNN_TENSOR_OP_MATH &&
                  (int)ConvMath::TensorOpAllowConversion == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION &&
                  (int)ConvMath::Fma == CUDNN_FMA_MATH,
              "kernels/math_mode.h mirrors cudnnMathType_t");

constexpr int kMaxAlgos = 16;
constexpr size_t kMaxWorkspace = size_t(1) << 30;  // FFT algorithms can ask for several GiB

// Takes pick_conv_algorithm's choice (kernels/math_mode.h) from one query's results into the plan
// and sets its math type on `conv`; throws naming the shape when nothing qualifies.
template <class Perf, class Algo>
void take(const Perf* perf, int count, size_t ws_limit, const Geometry& g, const char* what,
          cudnnConvolutionDescriptor_t conv, Algo& algo, size_t& ws) {
  std::vector<AlgoPerf> ranked;
  for (int i = 0; i < count; ++i)
    ranked.push_back({(int)perf[i].algo, perf[i].status == CUDNN_STATUS_SUCCESS,
                      perf[i].determinism == CUDNN_DETERMINISTIC, (ConvMath)perf[i].mathType, perf[i].memory});
  const int best = pick_conv_algorithm(ranked, g.prec, ws_limit);
  if (best < 0)
    throw std::runtime_error(no_conv_algorithm_message(what, describe(g) + (g.bf16() ? " in bf16" : ""),
                                                       g.tf32 || g.bf16(), ws_limit, ranked));
  algo = perf[best].algo;
  ws = perf[best].memory;
  CUDNN_CHECK(cudnnSetConvolutionMathType(conv, perf[best].mathType));
}

// cudnnFind* times every candidate; cudnnGet*_v7 only ranks them by heuristics and allocates
// nothing, so it is the one used inside a graph capture.
void select_algorithms(Context& ctx, const Geometry& g, Plan& p, bool capturing) {
  // Outside a capture any algorithm up to kMaxWorkspace may be chosen (the workspace then grows);
  // inside one, only what fits the workspace already there.
  const size_t limit = capturing ? ctx.workspace_bytes : kMaxWorkspace;
  cudnnHandle_t h = ctx.handle;
  int n = 0;
  {
    cudnnConvolutionFwdAlgoPerf_t perf[kMaxAlgos];
    CUDNN_CHECK(capturing ? cudnnGetConvolutionForwardAlgorithm_v7(h, p.x.d, p.w.d, p.fwd.d, p.y.d, kMaxAlgos, &n, perf)
                          : cudnnFindConvolutionForwardAlgorithm(h, p.x.d, p.w.d, p.fwd.d, p.y.d, kMaxAlgos, &n, perf));
    take(perf, n, limit, g, "forward", p.fwd.d, p.fwd_algo, p.fwd_ws);
  }
  {
    cudnnConvolutionBwdDataAlgoPerf_t perf[kMaxAlgos];
    CUDNN_CHECK(capturing ? cudnnGetConvolutionBackwardDataAlgorithm_v7(h, p.w.d, p.y.d, p.bwd_data.d, p.x.d, kMaxAlgos, &n, perf)
                          : cudnnFindConvolutionBackwardDataAlgorithm(h, p.w.d, p.y.d, p.bwd_data.d, p.x.d, kMaxAlgos, &n, perf));
    take(perf, n, limit, g, "backward-data", p.bwd_data.d, p.bwd_data_algo, p.bwd_data_ws);
  }
  {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[kMaxAlgos];
    CUDNN_CHECK(capturing ? cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, p.x.d, p.y.d, p.bwd_filter.d, p.w.d, kMaxAlgos, &n, perf)
                          : cudnnFindConvolutionBackwardFilterAlgorithm(h, p.x.d, p.y.d, p.bwd_filter.d, p.w.d, kMaxAlgos, &n, perf));
    take(perf, n, limit, g, "backward-filter", p.bwd_filter.d, p.bwd_filter_algo, p.bwd_filter_ws);
  }
}

void grow_workspace(Context& ctx, size_t bytes, bool capturing, const Geometry& g) {
  if (bytes <= ctx.workspace_bytes) return;
  if (capturing)
    throw std::runtime_error("conv workspace would have to grow inside a CUDA graph capture (" +
                             describe(g) + "); run the step once before capturing it");
  // The old block is retired, not freed: a captured CUDA graph may hold its address, and replays
  // would write freed memory. Growth happens a few times per process (each new largest shape).
  if (ctx.workspace) ctx.retired.push_back(ctx.workspace);
  ctx.workspace = nullptr;
  ctx.workspace_bytes = 0;
  CUDA_CHECK(cudaMalloc(&ctx.workspace, bytes));
  ctx.workspace_bytes = bytes;
}

Plan& plan_for(Context& ctx, const Geometry& g, cudaStream_t stream) {
  auto it = ctx.plans.find(g);
  if (it != ctx.plans.end()) return *it->second;
  const bool capturing = is_capturing(stream);
  auto* p = new Plan;
  try {
    // bf16: bf16 tensors and filter with an fp32 compute type (the descriptor's data type).
    const cudnnDataType_t data = g.bf16() ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->x.d, CUDNN_TENSOR_NCHW, data, g.N, g.xc, g.xh, g.xw));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->y.d, CUDNN_TENSOR_NCHW, data, g.N, g.yc, g.yh, g.yw));
    CUDNN_CHECK(cudnnSetFilter4dDescriptor(p->w.d, data, CUDNN_TENSOR_NCHW, g.yc, g.xc, g.kh, g.kw));
    const cudnnMathType_t math = (cudnnMathType_t)conv_descriptor_math(g.prec);
    for (ConvDesc* c : {&p->fwd, &p->bwd_data, &p->bwd_filter}) {
      CUDNN_CHECK(cudnnSetConvolution2dDescriptor(c->d, g.pad, g.pad, g.stride, g.stride, 1, 1,
                                                  CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
      CUDNN_CHECK(cudnnSetConvolutionMathType(c->d, math));
    }
    int n, c, h, w;
    CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(p->fwd.d, p->x.d, p->w.d, &n, &c, &h, &w));
    if (n != g.N || c != g.yc || h != g.yh || w != g.yw)
      throw std::invalid_argument("conv: shape mismatch for " + describe(g) + ": cuDNN computes " +
                                  std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w));
    CUDNN_CHECK(cudnnSetStream(ctx.handle, stream));
    select_algorithms(ctx, g, *p, capturing);
    size_t need = p->fwd_ws;
    if (p->bwd_data_ws > need) need = p->bwd_data_ws;
    if (p->bwd_filter_ws > need) need = p->bwd_filter_ws;
    grow_workspace(ctx, need, capturing, g);
  } catch (...) {
    delete p;
    throw;
  }
  ctx.plans[g] = p;
  return *p;
}

Geometry geometry(const ConvShape& s, bool transposed) {
  if (s.N <= 0 || s.C_in <= 0 || s.C_out <= 0 || s.H <= 0 || s.W <= 0 || s.KH <= 0 || s.KW <= 0 ||
      s.stride <= 0 || s.pad < 0 || s.H_out <= 0 || s.W_out <= 0)
    throw std::invalid_argument(std::string(transposed ? "conv_transpose2d" : "conv2d") +
                                ": bad shape (N, channels, sizes and stride must be positive)");
  Geometry g{};
  g.N = s.N;
  g.kh = s.KH;
  g.kw = s.KW;
  g.stride = s.stride;
  g.pad = s.pad;
  g.prec = precision();
  g.tf32 = g.prec == Precision::Tf32;
  if (!transposed) {
    g.xc = s.C_in; g.xh = s.H; g.xw = s.W;
    g.yc = s.C_out; g.yh = s.H_out; g.yw = s.W_out;
  } else {
    g.xc = s.C_out; g.xh = s.H_out; g.xw = s.W_out;
    g.yc = s.C_in; g.yh = s.H; g.yw = s.W;
  }
  return g;
}

// The three primitive calls, in X/Y terms. beta 0 writes, beta 1 accumulates.
void run_forward(const float* x, const float* w, float* y, const ConvShape& s, bool transposed,
                 cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(g_mu);
  Context& ctx = context_for_current_device();
  const Geometry g = geometry(s, transposed);
  Plan& p = plan_for(ctx, g, stream);
  CUDNN_CHECK(cudnnSetStream(ctx.handle, stream));
  const float one = 1.0f, zero = 0.0f;
  if (g.bf16()) {
    // bf16 copies in, a bf16 result widened back (src/precision.h: the rounding points).
    void* x16 = bf16_scratch(0, g.x_elems(), stream);
    void* w16 = bf16_scratch(1, g.w_elems(), stream);
    void* y16 = bf16_scratch(2, g.y_elems(), stream);
    to_bf16(x16, x, g.x_elems(), stream);
    to_bf16(w16, w, g.w_elems(), stream);
    CUDNN_CHECK(cudnnConvolutionForward(ctx.handle, &one, p.x.d, x16, p.w.d, w16, p.fwd.d, p.fwd_algo,
                                        ctx.workspace, p.fwd_ws, &zero, p.y.d, y16));
    from_bf16(y, y16, g.y_elems(), stream);
    return;
  }
  CUDNN_CHECK(cudnnConvolutionForward(ctx.handle, &one, p.x.d, x, p.w.d, w, p.fwd.d, p.fwd_algo,
                                      ctx.workspace, p.fwd_ws, &zero, p.y.d, y));
}

void run_backward_data(const float* w, const float* dy, float* dx, const ConvShape& s,
                       bool transposed, cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(g_mu);
  Context& ctx = context_for_current_device();
  const Geometry g = geometry(s, transposed);
  Plan& p = plan_for(ctx, g, stream);
  CUDNN_CHECK(cudnnSetStream(ctx.handle, stream));
  const float one = 1.0f, zero = 0.0f;
  if (g.bf16()) {
    void* w16 = bf16_scratch(1, g.w_elems(), stream);
    void* dy16 = bf16_scratch(0, g.y_elems(), stream);
    void* dx16 = bf16_scratch(2, g.x_elems(), stream);
    to_bf16(w16, w, g.w_elems(), stream);
    to_bf16(dy16, dy, g.y_elems(), stream);
    CUDNN_CHECK(cudnnConvolutionBackwardData(ctx.handle, &one, p.w.d, w16, p.y.d, dy16, p.bwd_data.d,
                                             p.bwd_data_algo, ctx.workspace, p.bwd_data_ws, &zero, p.x.d, dx16));
    from_bf16(dx, dx16, g.x_elems(), stream);
    return;
  }
  CUDNN_CHECK(cudnnConvolutionBackwardData(ctx.handle, &one, p.w.d, w, p.y.d, dy, p.bwd_data.d,
                                           p.bwd_data_algo, ctx.workspace, p.bwd_data_ws, &zero,
                                           p.x.d, dx));
}

void run_backward_filter(const float* x, const float* dy, float* dw, const ConvShape& s,
                         bool transposed, cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(g_mu);
  Context& ctx = context_for_current_device();
  const Geometry g = geometry(s, transposed);
  Plan& p = plan_for(ctx, g, stream);
  CUDNN_CHECK(cudnnSetStream(ctx.handle, stream));
  const float one = 1.0f;
  if (g.bf16()) {
    // The increment is a bf16 tensor (cuDNN writes dw in the filter's type), added to the fp32
    // gradient: the gradient itself never loses precision to bf16.
    const float zero = 0.0f;
    void* x16 = bf16_scratch(0, g.x_elems(), stream);
    void* dy16 = bf16_scratch(1, g.y_elems(), stream);
    void* dw16 = bf16_scratch(2, g.w_elems(), stream);
    to_bf16(x16, x, g.x_elems(), stream);
    to_bf16(dy16, dy, g.y_elems(), stream);
    CUDNN_CHECK(cudnnConvolutionBackwardFilter(ctx.handle, &one, p.x.d, x16, p.y.d, dy16, p.bwd_filter.d,
                                               p.bwd_filter_algo, ctx.workspace, p.bwd_filter_ws, &zero, p.w.d,
                                               dw16));
    add_bf16(dw, dw16, g.w_elems(), stream);
    return;
  }
  CUDNN_CHECK(cudnnConvolutionBackwardFilter(ctx.handle, &one, p.x.d, x, p.y.d, dy, p.bwd_filter.d,
                                             p.bwd_filter_algo, ctx.workspace, p.bwd_filter_ws,
                                             &one, p.w.d, dw));
}

}  // namespace

void conv_prepare(const ConvShape& s, bool transposed, cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(g_mu);
  Context& ctx = context_for_current_device();
  plan_for(ctx, geometry(s, transposed), stream);
}

void conv2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                    const ConvShape& s, cudaStream_t stream) {
  if (!out || !inp || !weight) throw std::invalid_argument("conv2d_forward: null out, inp or weight");
  run_forward(inp, weight, out, s, false, stream);
  if (bias) channel_bias_add(out, bias, s.N, s.C_out, s.H_out * s.W_out, stream);
}

void conv2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, const ConvShape& s, cudaStream_t stream) {
  if (!dout) throw std::invalid_argument("conv2d_backward: null dout");
  if (dinp) {
    if (!weight) throw std::invalid_argument("conv2d_backward: dinp needs weight");
    run_backward_data(weight, dout, dinp, s, false, stream);
  }
  if (dweight) {
    if (!inp) throw std::invalid_argument("conv2d_backward: dweight needs inp");
    run_backward_filter(inp, dout, dweight, s, false, stream);
  }
  if (dbias) channel_bias_grad(dbias, dout, s.N, s.C_out, s.H_out * s.W_out, stream);
}

void conv_transpose2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                              const ConvShape& s, cudaStream_t stream) {
  if (!out || !inp || !weight)
    throw std::invalid_argument("conv_transpose2d_forward: null out, inp or weight");
  run_backward_data(weight, inp, out, s, true, stream);
  if (bias) channel_bias_add(out, bias, s.N, s.C_out, s.H_out * s.W_out, stream);
}

void conv_transpose2d_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                               const float* inp, const float* weight, const ConvShape& s,
                               cudaStream_t stream) {
  if (!dout) throw std::invalid_argument("conv_transpose2d_backward: null dout");
  if (dinp) {
    if (!weight) throw std::invalid_argument("conv_transpose2d_backward: dinp needs weight");
    run_forward(dout, weight, dinp, s, true, stream);
  }
  if (dweight) {
    if (!inp) throw std::invalid_argument("conv_transpose2d_backward: dweight needs inp");
    run_backward_filter(dout, inp, dweight, s, true, stream);
  }
  if (dbias) channel_bias_grad(dbias, dout, s.N, s.C_out, s.H_out * s.W_out, stream);
}

}  // namespace gan::cuda
