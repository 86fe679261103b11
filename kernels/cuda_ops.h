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
  void store_row(float* slab, const float* values, int count, int capacity) override;

  void gather_rows(float* out, const float* src, const int32_t* idx, int n, int64_t row_size) override;
  void gather_labels(int32_t* out, const int32_t* src, const int32_t* idx, int n) override;
  void randn(float* out, int64_t n, float mean, float std, uint64_t seed, uint64_t offset) override;
  void randint(int32_t* out, int64_t n, int high, uint64_t seed, uint64_t offset) override;
  void axpy(float* y, const float* x, int64_t n, float alpha) override;

  void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int B,
                      int C_in, int C_out) override;
  void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                       const float* inp, const float* weight, int B, int C_in, int C_out) override;
  void embedding_forward(float* out, const int32_t* labels, const float* table, int B, int num,
                         int dim) override;
  void embedding_backward(float* dtable, const float* dout, const int32_t* labels, int B, int num,
                          int dim) override;
  void conv2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                      const ConvShape& s) override;
  void conv2d_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                       const float* inp, const float* weight, const ConvShape& s) override;
  void conv_transpose2d_forward(float* out, const float* inp, const float* weight,
                                const float* bias, const ConvShape& s) override;
  void conv_transpose2d_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                                 const float* inp, const float* weight, const ConvShape& s) override;
  void batchnorm_forward_train(float* out, float* save_mean, float* save_invstd,
                               float* running_mean, float* running_var, const float* inp,
                               const float* gamma, const float* beta, int N, int C, int HW,
                               float momentum, float eps) override;
  void batchnorm_forward_eval(float* out, const float* inp, const float* gamma, const float* beta,
                              const float* running_mean, const float* running_var, int N, int C,
                              int HW, float eps) override;
  void batchnorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout,
                          const float* inp, const float* gamma, const float* save_mean,
                          const float* save_invstd, int N, int C, int HW) override;
  void activation_forward(Act act, float* out, const float* inp, int64_t n, float alpha) override;
  void activation_backward(Act act, float* dinp, const float* dout, const float* inp,
                           const float* out, int64_t n, float alpha) override;
  void bn_act_dropout_forward_train(float* out, float* mask, float* save_mean, float* save_invstd,
                                    float* running_mean, float* running_var, const float* inp, const float* bias,
                                    const float* gamma, const float* beta, int N, int C, int HW, float momentum,
                                    float eps, float alpha, float p, uint64_t seed, uint64_t offset) override;
  void bn_act_forward_eval(float* out, const float* inp, const float* bias, const float* gamma, const float* beta,
                           const float* running_mean, const float* running_var, int N, int C, int HW, float eps,
                           float alpha) override;
  void bn_act_dropout_backward(float* dinp, float* dbias, float* dgamma, float* dbeta, const float* dout,
                               const float* mask, const float* inp, const float* bias, const float* gamma,
                               const float* beta, const float* save_mean, const float* save_invstd, int N, int C,
                               int HW, float alpha) override;
  void dropout_forward(float* out, float* mask, const float* inp, int64_t n, float p, uint64_t seed,
                       uint64_t offset) override;
  void dropout_backward(float* dinp, const float* dout, const float* mask, int64_t n) override;
  void concat_forward(float* out, const float* a, const float* b, int N, int Ca, int Cb,
                      int HW) override;
  void concat_backward(float* da, float* db, const float* dout, int N, int Ca, int Cb,
                       int HW) override;
  void bce_logits(float* loss, float* correct, float* dlogits, const float* logits,
                  const float* targets, int B, float scale) override;
  void softmax_xent(float* loss, float* correct, float* dlogits, const float* logits,
                    const int32_t* labels, int B, int C, float scale) override;
  void adam_update(const std::vector<AdamParam>& params, const AdamHyper& h, int64_t t0,
                   int64_t t_per_step) override;
  void image_grid(uint8_t* out, const float* imgs, int N, int C, int H, int W, int rows, int cols,
                  int pad) override;

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
