// The op interface: every op the models need, forward and backward, on raw device pointers.
//
// Both backends implement this one interface: CpuOps (src/ref/, the reference) and CudaOps
// (kernels/). Layers in src/nn/ are written once against it, so a model runs unchanged on
// either device. Signatures are the same as the free functions in namespace `ref` (src/ref/ops.h)
// and the CUDA launchers in kernels/ (all three follow from src/op_list.h), which is what lets the
// op test cases (tests/ops/cases.h) compare them one to one.
//
// The ops themselves, with their conventions, are listed once in src/op_list.h.
// - Nothing here synchronises with the host except the explicit copy_* calls.
// - The training step counter lives on the device (set_step / advance_step), and everything that
//   changes from one mini-batch to the next is derived from it there: random counters
//   (step·2^40 + offset), Adam's t, the metrics row. So one mini-batch is a fixed sequence of
//   calls with fixed arguments, which the CUDA backend captures once as a graph and replays.
//   The ref:: functions are pure: CpuOps turns (step, offset) into the counter before calling them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "op_list.h"
#include "precision.h"

namespace gan {

struct ConvShape {
  int N = 1, C_in = 1, H = 1, W = 1;   // input
  int C_out = 1, KH = 1, KW = 1;       // filter
  int stride = 1, pad = 0;
  int H_out = 1, W_out = 1;            // output
  // Output size of Conv2d and ConvTranspose2d (PyTorch's formulas, dilation 1, no output_padding).
  static ConvShape conv(int N, int C_in, int H, int W, int C_out, int k, int stride, int pad);
  static ConvShape conv_transpose(int N, int C_in, int H, int W, int C_out, int k, int stride, int pad);
};

enum class Act { LeakyRelu, Relu, Tanh, Sigmoid };

// One parameter tensor as the optimiser sees it.
struct AdamParam {
  float* param;
  const float* grad;
  float* m;
  float* v;
  int64_t n;
};
struct AdamHyper {
  float lr = 2e-4f, beta1 = 0.5f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
};

// Device memory owned by a backend; freed by it.
class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual void* data() = 0;
  virtual size_t bytes() const = 0;
};

class Ops {
 public:
  virtual ~Ops() = default;
  virtual std::string name() const = 0;  // "cpu" or "cuda:<device name>"
  virtual bool is_cuda() const = 0;

  // ---- precision of the matrix work (src/precision.h says where each one rounds) ----
  // Applies to linear and conv calls made after it; fp32 until set. A backend that cannot honour
  // a precision throws naming it.
  virtual void set_precision(Precision p) { precision_ = p; }
  Precision precision() const { return precision_; }

  // ---- memory ----
  virtual std::unique_ptr<Buffer> alloc(size_t bytes) = 0;
  virtual void copy_to_device(void* dst, const void* src, size_t bytes) = 0;
  virtual void copy_to_host(void* dst, const void* src, size_t bytes) = 0;  // waits for the device
  virtual void copy_device(void* dst, const void* src, size_t bytes) = 0;
  virtual void fill(float* x, int64_t n, float value) = 0;
  virtual void synchronize() = 0;

  // ---- the device-side step counter (see the note at the top) ----
  virtual void set_step(uint64_t step) = 0;  // host → device; before training or after a resume
  virtual void advance_step() = 0;           // enqueued: step += 1

  // ---- the ops: one pure virtual per entry of src/op_list.h, where each one's contract is ----
#define GAN_OPS_VIRTUAL(name, kind, params, args) virtual void name params = 0;
  GAN_OPS(GAN_OPS_VIRTUAL)
#undef GAN_OPS_VIRTUAL

 protected:
  Precision precision_ = Precision::Fp32;
};

// The reference backend (multithreaded CPU). Always available.
std::unique_ptr<Ops> make_cpu_ops();
// The CUDA backend; throws with the reason when none is usable (no driver, no device, CPU-only build).
std::unique_ptr<Ops> make_cuda_ops(int device = 0);
// True when the binary has CUDA support and a device is present; `why` says what was found.
bool cuda_available(std::string* why);

}  // namespace gan
