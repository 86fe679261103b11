// CpuOps: the Ops interface over the CPU reference (src/ref/). Host memory, no streams.
#include <cstdlib>
#include <cstring>
#include <new>

#include "../ops.h"
#include "ops.h"

namespace gan {
namespace {

class HostBuffer final : public Buffer {
 public:
  explicit HostBuffer(size_t bytes) : bytes_(bytes) {
    // 64-byte alignment for the GEMM's vector loads.
    size_t rounded = (bytes + 63) / 64 * 64;
    p_ = std::aligned_alloc(64, rounded ? rounded : 64);
    if (!p_) throw std::bad_alloc();
  }
  ~HostBuffer() override { std::free(p_); }
  void* data() override { return p_; }
  size_t bytes() const override { return bytes_; }

 private:
  void* p_;
  size_t bytes_;
};

class CpuOps final : public Ops {
 public:
  std::string name() const override { return "cpu"; }
  bool is_cuda() const override { return false; }
  std::unique_ptr<Buffer> alloc(size_t bytes) override { return std::make_unique<HostBuffer>(bytes); }
  void copy_to_device(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy_to_host(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy_device(void* dst, const void* src, size_t bytes) override { std::memmove(dst, src, bytes); }
  void fill(float* x, int64_t n, float value) override {
    for (int64_t i = 0; i < n; ++i) x[i] = value;
  }
  void synchronize() override {}
  void set_step(uint64_t step) override { step_ = step; }
  void advance_step() override { ++step_; }

  // Every op of src/op_list.h but the CUSTOM ones: the reference function of the same name.
#define GAN_CPU_FORWARD(name, kind, params, args) GAN_CPU_FORWARD_##kind(name, params, args)
#define GAN_CPU_FORWARD_PLAIN(name, params, args) \
  void name params override { ref::name args; }
#define GAN_CPU_FORWARD_MATRIX(name, params, args) \
  void name params override { ref::name(precision_, GAN_OP_UNPAREN args); }
  // The reference is pure: it takes the whole counter step·2^40 + offset as its `offset`.
#define GAN_CPU_FORWARD_STEP(name, params, args) \
  void name params override {                    \
    const uint64_t relative = offset;            \
    {                                            \
      const uint64_t offset = counter(relative); \
      ref::name args;                            \
    }                                            \
  }
#define GAN_CPU_FORWARD_CUSTOM(name, params, args)
  GAN_OPS(GAN_CPU_FORWARD)

  void adam_update(const std::vector<AdamParam>& params, const AdamHyper& h, int64_t t0,
                   int64_t t_per_step) override {
    ref::adam_update(params, h, (int64_t)step_ * t_per_step + t0);
  }
  void store_row(float* slab, const float* values, int count, int capacity) override {
    ref::store_row(slab, values, count, capacity, step_);
  }

 private:
  uint64_t counter(uint64_t offset) const { return (step_ << 40) + offset; }
  uint64_t step_ = 0;
};

}  // namespace

std::unique_ptr<Ops> make_cpu_ops() { return std::make_unique<CpuOps>(); }

}  // namespace gan
