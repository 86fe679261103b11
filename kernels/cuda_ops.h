// CudaOps: the Ops interface (src/ops.h) on one CUDA device and one stream.
//
// Everything is enqueued on a single non-blocking stream; only copy_to_host and synchronize wait.
// Memory comes from a caching pool (exact-size free lists), so per-step temporaries cost no
// cudaMalloc after the first step. Reuse is safe without events because every user of a block is
// on the one stream, in order. Blocks freed while a CUDA graph is being captured are not returned
// to the pool but kept for the life of the graphs, since replays keep writing them.
// The step counter is a device uint64 (src/ops.h), so a captured mini-batch replays with fresh
// random numbers and Adam's t. Graphs: see kernels/graph.h for the API the trainer uses.
#pragma once
#include <cuda_runtime.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "../src/ops.h"
#include "ops.h"

namespace gan::cuda {

class MemoryPool;

class CudaOps final : public Ops {
 public:
  explicit CudaOps(int device);
  ~CudaOps() override;

  std::string name() const override { return name_; }
  bool is_cuda() const override { return true; }
  // The cuBLAS/cuDNN wrappers read the process-wide cuda::precision(): this sets it.
  void set_precision(Precision p) override;
  cudaStream_t stream() const { return stream_; }
  int device() const { return device_; }
  const uint64_t* device_step() const { return d_step_; }

  std::unique_ptr<Buffer> alloc(size_t bytes) override;
  void copy_to_device(void* dst, const void* src, size_t bytes) override;
  void copy_to_host(void* dst, const void* src, size_t bytes) override;
  void copy_device(void* dst, const void* src, size_t bytes) override;
  void fill(float* x, int64_t n, float value) override;
  void synchronize() override;

  void set_step(uint64_t step) override;
  void advance_step() override;

  // Every op of src/op_list.h but the CUSTOM ones: the launcher of the same name on this stream.
#define GAN_CUDA_FORWARD(name, kind, params, args) GAN_CUDA_FORWARD_##kind(name, params, args)
#define GAN_CUDA_FORWARD_PLAIN(name, params, args) \
  void name params override { cuda::name(GAN_OP_UNPAREN args, stream_); }
#define GAN_CUDA_FORWARD_MATRIX(name, params, args) GAN_CUDA_FORWARD_PLAIN(name, params, args)
#define GAN_CUDA_FORWARD_STEP(name, params, args) \
  void name params override { cuda::name(GAN_OP_UNPAREN args, d_step_, stream_); }
#define GAN_CUDA_FORWARD_CUSTOM(name, params, args)
  GAN_OPS(GAN_CUDA_FORWARD)

  // The CUSTOM ops (cuda_ops.cpp).
  void store_row(float* slab, const float* values, int count, int capacity) override;
  void adam_update(const std::vector<AdamParam>& params, const AdamHyper& h, int64_t t0,
                   int64_t t_per_step) override;

  // ---- CUDA graphs (used through kernels/graph.h) ----
  bool capturing() const { return capturing_; }
  bool has_graph(const std::string& key) const { return graphs_.count(key) != 0; }
  // Keys whose step has run once eagerly (the warm-up before capture).
  bool warmed(const std::string& key) const { return warmed_.count(key) != 0; }
  void mark_warmed(const std::string& key) { warmed_.insert(key); }
  void begin_capture();
  // Ends the capture, instantiates it under `key` (replacing one of that name) and launches it.
  void end_capture_and_launch(const std::string& key);
  // Ends a capture that failed, discarding what was recorded.
  void abort_capture();
  void replay(const std::string& key);
  void reset_graphs();
  // A buffer that existed when a graph was captured has been freed since: replaying is unsafe.
  bool graphs_stale() const;

 private:
  int device_ = 0;
  std::string name_;
  cudaStream_t stream_ = nullptr;
  uint64_t* d_step_ = nullptr;
  uint64_t host_step_ = 0;  // staging for set_step
  std::shared_ptr<MemoryPool> pool_;
  std::vector<std::unique_ptr<AdamPlan>> adam_plans_;
  bool capturing_ = false;
  std::map<std::string, cudaGraphExec_t> graphs_;
  std::set<std::string> warmed_;
};

}  // namespace gan::cuda
