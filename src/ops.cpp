#include "ops.h"

#include <stdexcept>

namespace gan {

ConvShape ConvShape::conv(int N, int C_in, int H, int W, int C_out, int k, int stride, int pad) {
  ConvShape s;
  s.N = N; s.C_in = C_in; s.H = H; s.W = W; s.C_out = C_out; s.KH = k; s.KW = k;
  s.stride = stride; s.pad = pad;
  s.H_out = (H + 2 * pad - k) / stride + 1;
  s.W_out = (W + 2 * pad - k) / stride + 1;
  if (s.H_out <= 0 || s.W_out <= 0)
    throw std::invalid_argument("conv2d: kernel " + std::to_string(k) + " does not fit input " +
                                std::to_string(H) + "x" + std::to_string(W));
  return s;
}

ConvShape ConvShape::conv_transpose(int N, int C_in, int H, int W, int C_out, int k, int stride, int pad) {
  ConvShape s;
  s.N = N; s.C_in = C_in; s.H = H; s.W = W; s.C_out = C_out; s.KH = k; s.KW = k;
  s.stride = stride; s.pad = pad;
  s.H_out = (H - 1) * stride - 2 * pad + k;
  s.W_out = (W - 1) * stride - 2 * pad + k;
  if (s.H_out <= 0 || s.W_out <= 0)
    throw std::invalid_argument("conv_transpose2d: output would be empty for input " +
                                std::to_string(H) + "x" + std::to_string(W));
  return s;
}

#ifndef GAN_HAVE_CUDA
std::unique_ptr<Ops> make_cuda_ops(int) {
  throw std::runtime_error("this ./gan was built without CUDA (nvcc was not found at build time); "
                           "install the CUDA toolkit and run `make` again, or use --device cpu");
}
bool cuda_available(std::string* why) {
  if (why) *why = "built without CUDA (nvcc not found at build time)";
  return false;
}
#endif

}  // namespace gan
