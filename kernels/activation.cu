// Pointwise activations, forward and backward.
//
// Bandwidth-bound: each kernel is one pass, float4 loads and stores over the 16-byte-aligned body
// (the first threads take the < 4 leftover elements), the activation a template parameter so the
// inner loop has no branch on it. Backward reads only what its kind needs: the input for
// (leaky) ReLU, the output for tanh and sigmoid, as the CPU reference does.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "common.cuh"
#include "ops.h"

namespace gan::cuda {
namespace {

template <Act A>
__device__ __forceinline__ float act_fwd(float x, float alpha) {
  if (A == Act::LeakyRelu) return x > 0.0f ? x : alpha * x;
  if (A == Act::Relu) return x > 0.0f ? x : 0.0f;
  if (A == Act::Tanh) return tanhf(x);
  // Sigmoid: exp of a non-positive argument only, as the CPU reference does.
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

// `v` is the input for (leaky) ReLU and the output for tanh/sigmoid.
template <Act A>
__device__ __forceinline__ float act_bwd(float dy, float v, float alpha) {
  if (A == Act::LeakyRelu) return v > 0.0f ? dy : alpha * dy;
  if (A == Act::Relu) return v > 0.0f ? dy : 0.0f;
  if (A == Act::Tanh) return dy * (1.0f - v * v);
  return dy * v * (1.0f - v);  // Sigmoid
}

template <Act A>
__global__ void activation_forward_kernel(float* __restrict__ out, const float* __restrict__ inp,
                                          int64_t n, float alpha, bool vec) {
  grid_stride_vec4(
      n, vec,
      [&](int64_t i) {
        const float4 x = reinterpret_cast<const float4*>(inp)[i];
        reinterpret_cast<float4*>(out)[i] = make_float4(act_fwd<A>(x.x, alpha), act_fwd<A>(x.y, alpha),
                                                        act_fwd<A>(x.z, alpha), act_fwd<A>(x.w, alpha));
      },
      [&](int64_t i) { out[i] = act_fwd<A>(inp[i], alpha); });
}

template <Act A>
__global__ void activation_backward_kernel(float* __restrict__ dinp, const float* __restrict__ dout,
                                           const float* __restrict__ v, int64_t n, float alpha,
                                           bool vec) {
  grid_stride_vec4(
      n, vec,
      [&](int64_t i) {
        const float4 d = reinterpret_cast<const float4*>(dout)[i];
        const float4 x = reinterpret_cast<const float4*>(v)[i];
        reinterpret_cast<float4*>(dinp)[i] = make_float4(act_bwd<A>(d.x, x.x, alpha), act_bwd<A>(d.y, x.y, alpha),
                                                         act_bwd<A>(d.z, x.z, alpha), act_bwd<A>(d.w, x.w, alpha));
      },
      [&](int64_t i) { dinp[i] = act_bwd<A>(dout[i], v[i], alpha); });
}

constexpr int kThreads = 256;

unsigned grid_pointwise(int64_t n, bool vec) {
  // Enough blocks to fill the GPU many times over; the grid-stride loop takes the rest.
  return grid_for(vec ? (n + 3) / 4 : n, kThreads, 8192);
}

template <Act A>
void launch_forward(float* out, const float* inp, int64_t n, float alpha, cudaStream_t stream) {
  const bool vec = aligned16(out) && aligned16(inp);
  activation_forward_kernel<A><<<grid_pointwise(n, vec), kThreads, 0, stream>>>(out, inp, n, alpha, vec);
  CUDA_LAUNCH_CHECK();
}

template <Act A>
void launch_backward(float* dinp, const float* dout, const float* v, int64_t n, float alpha,
                     cudaStream_t stream) {
  const bool vec = aligned16(dinp) && aligned16(dout) && aligned16(v);
  activation_backward_kernel<A><<<grid_pointwise(n, vec), kThreads, 0, stream>>>(dinp, dout, v, n, alpha, vec);
  CUDA_LAUNCH_CHECK();
}

}  // namespace

void activation_forward(Act act, float* out, const float* inp, int64_t n, float alpha,
                        cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("activation_forward: negative size");
  if (n == 0) return;
  if (!out || !inp) throw std::invalid_argument("activation_forward: null out or inp");
  switch (act) {
    case Act::LeakyRelu: return launch_forward<Act::LeakyRelu>(out, inp, n, alpha, stream);
    case Act::Relu: return launch_forward<Act::Relu>(out, inp, n, alpha, stream);
    case Act::Tanh: return launch_forward<Act::Tanh>(out, inp, n, alpha, stream);
    case Act::Sigmoid: return launch_forward<Act::Sigmoid>(out, inp, n, alpha, stream);
  }
  throw std::invalid_argument("activation_forward: unknown activation " + std::to_string((int)act));
}

void activation_backward(Act act, float* dinp, const float* dout, const float* inp,
                         const float* out, int64_t n, float alpha, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("activation_backward: negative size");
  if (n == 0 || !dinp) return;
  const bool uses_inp = act == Act::LeakyRelu || act == Act::Relu;
  const float* v = uses_inp ? inp : out;
  if (!dout || !v)
    throw std::invalid_argument(std::string("activation_backward: null dout or ") +
                                (uses_inp ? "inp" : "out") + " (this activation needs it)");
  switch (act) {
    case Act::LeakyRelu: return launch_backward<Act::LeakyRelu>(dinp, dout, v, n, alpha, stream);
    case Act::Relu: return launch_backward<Act::Relu>(dinp, dout, v, n, alpha, stream);
    case Act::Tanh: return launch_backward<Act::Tanh>(dinp, dout, v, n, alpha, stream);
    case Act::Sigmoid: return launch_backward<Act::Sigmoid>(dinp, dout, v, n, alpha, stream);
  }
  throw std::invalid_argument("activation_backward: unknown activation " + std::to_string((int)act));
}

}  // namespace gan::cuda
