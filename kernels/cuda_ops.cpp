// CudaOps (see cuda_ops.h), make_cuda_ops and cuda_available.
#include "cuda_ops.h"

#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "check.h"

namespace gan::cuda {

// Exact-size free lists of device blocks (sizes rounded up to 256 bytes). A block that a captured
// graph may reference (live when a capture began, or handed out during one) is never recycled
// while graphs exist: freeing it parks it until the graphs are destroyed, since replays still
// write it. Other blocks recycle as usual, so eager work between replays does not leak. Freeing
// such a block outside a capture also marks every graph stale (its owner is gone, and a new owner
// at the same address must not replay the old graph): run_graph_step then starts over.
class MemoryPool {
 public:
  ~MemoryPool() {
    for (auto& kv : free_)
      for (void* p : kv.second) CUDA_LOG_CHECK(cudaFree(p));
    for (void* p : parked_) CUDA_LOG_CHECK(cudaFree(p));
  }

  void* get(size_t bytes) {
    const size_t size = round(bytes);
    std::lock_guard<std::mutex> lock(mu_);
    void* p = nullptr;
    auto it = free_.find(size);
    if (it != free_.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
    } else {
      cudaError_t e = cudaMalloc(&p, size);
      if (e == cudaErrorMemoryAllocation && !capturing_) {
        (void)cudaGetLastError();
        release_cached_locked();  // give cached blocks back to the driver and retry once
        e = cudaMalloc(&p, size);
      }
      if (e != cudaSuccess) {
        (void)cudaGetLastError();
        throw std::runtime_error("CUDA: cannot allocate " + std::to_string(size) +
                                 " bytes of device memory (" + cudaGetErrorString(e) +
                                 "); use a smaller batch or --device cpu");
      }
    }
    live_.insert(p);
    if (capturing_) graph_blocks_.insert(p);
    return p;
  }

  void put(void* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    live_.erase(p);
    if (graph_blocks_.count(p)) {
      parked_.push_back(p);
      // Outside a capture this is a buffer a graph may use dying: the graphs are stale.
      if (!capturing_) graph_block_released_ = true;
    } else {
      free_[round(bytes)].push_back(p);
    }
  }

  void set_capturing(bool on) {
    std::lock_guard<std::mutex> lock(mu_);
    capturing_ = on;
    if (on) graph_blocks_.insert(live_.begin(), live_.end());
  }

  // Every graph is gone: parked blocks may be reused.
  void graphs_destroyed() {
    std::lock_guard<std::mutex> lock(mu_);
    graph_blocks_.clear();
    graph_block_released_ = false;
    for (void* p : parked_) CUDA_LOG_CHECK(cudaFree(p));
    parked_.clear();
  }

 private:
  static size_t round(size_t b) { return b == 0 ? 256 : (b + 255) / 256 * 256; }
  void release_cached_locked() {
    for (auto& kv : free_)
      for (void* p : kv.second) CUDA_LOG_CHECK(cudaFree(p));
    free_.clear();
  }

  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  std::unordered_set<void*> live_, graph_blocks_;
  std::vector<void*> parked_;
  bool capturing_ = false;
  bool graph_block_released_ = false;

 public:
  bool graph_block_released() {
    std::lock_guard<std::mutex> lock(mu_);
    return graph_block_released_;
  }
};

namespace {

class DeviceBuffer final : public Buffer {
 public:
  DeviceBuffer(std::shared_ptr<MemoryPool> pool, size_t bytes)
      : pool_(std::move(pool)), p_(pool_->get(bytes)), bytes_(bytes) {}
  ~DeviceBuffer() override { pool_->put(p_, bytes_); }
  void* data() override { return p_; }
  size_t bytes() const override { return bytes_; }

 private:
  std::shared_ptr<MemoryPool> pool_;  // outlives CudaOps if a tensor does
  void* p_;
  size_t bytes_;
};

}  // namespace

CudaOps::CudaOps(int device) : device_(device) {
  CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  name_ = std::string("cuda:") + prop.name;
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  CUDA_CHECK(cudaMalloc(&d_step_, sizeof(uint64_t)));
  CUDA_CHECK(cudaMemsetAsync(d_step_, 0, sizeof(uint64_t), stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
  pool_ = std::make_shared<MemoryPool>();
  precision_ = cuda::precision();
}

void CudaOps::set_precision(Precision p) {
  Ops::set_precision(p);
  cuda::set_precision(p);
}

CudaOps::~CudaOps() {
  if (capturing_) abort_capture();
  for (auto& kv : graphs_) CUDA_LOG_CHECK(cudaGraphExecDestroy(kv.second));
  graphs_.clear();
  CUDA_LOG_CHECK(cudaStreamSynchronize(stream_));
  pool_->graphs_destroyed();
  adam_plans_.clear();
  CUDA_LOG_CHECK(cudaFree(d_step_));
  CUDA_LOG_CHECK(cudaStreamDestroy(stream_));
}

std::unique_ptr<Buffer> CudaOps::alloc(size_t bytes) {
  return std::make_unique<DeviceBuffer>(pool_, bytes);
}

void CudaOps::copy_to_device(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_));
  // From pageable memory the call returns once `src` is staged; from pinned memory it does not,
  // so wait then: the interface promises `src` may be reused on return.
  cudaPointerAttributes attr{};
  if (cudaPointerGetAttributes(&attr, src) == cudaSuccess && attr.type == cudaMemoryTypeHost)
    CUDA_CHECK(cudaStreamSynchronize(stream_));
  (void)cudaGetLastError();
}

void CudaOps::copy_to_host(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void CudaOps::copy_device(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_));
}

void CudaOps::fill(float* x, int64_t n, float value) { cuda::fill(x, n, value, stream_); }
void CudaOps::synchronize() { CUDA_CHECK(cudaStreamSynchronize(stream_)); }

void CudaOps::set_step(uint64_t step) {
  if (capturing_) throw std::logic_error("set_step inside a CUDA graph capture: call it before the step");
  host_step_ = step;
  CUDA_CHECK(cudaMemcpyAsync(d_step_, &host_step_, sizeof(uint64_t), cudaMemcpyHostToDevice, stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}
void CudaOps::advance_step() { cuda::advance_step(d_step_, stream_); }
void CudaOps::store_row(float* slab, const float* values, int count, int capacity) {
  cuda::store_row(slab, values, count, capacity, d_step_, stream_);
}

void CudaOps::adam_update(const std::vector<AdamParam>& params, const AdamHyper& h, int64_t t0,
                          int64_t t_per_step) {
  const AdamPlan* plan = nullptr;
  for (const auto& p : adam_plans_)
    if (p->matches(params)) { plan = p.get(); break; }
  if (!plan) {
    if (capturing_)
      throw std::logic_error("adam_update: a new parameter list inside a CUDA graph capture; "
                             "run the step once before capturing it");
    adam_plans_.push_back(std::make_unique<AdamPlan>(params, stream_));
    plan = adam_plans_.back().get();
  }
  cuda::adam_update(*plan, h, t0, t_per_step, d_step_, stream_);
}

// ---- graphs ----
void CudaOps::begin_capture() {
  if (capturing_) throw std::logic_error("begin_capture: already capturing");
  // Relaxed: the pool may still cudaMalloc a block the step needs for the first time.
  CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed));
  capturing_ = true;
  pool_->set_capturing(true);
}

void CudaOps::end_capture_and_launch(const std::string& key) {
  if (!capturing_) throw std::logic_error("end_capture_and_launch: not capturing");
  cudaGraph_t graph = nullptr;
  capturing_ = false;
  pool_->set_capturing(false);
  CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
  cudaGraphExec_t exec = nullptr;
  const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
  CUDA_LOG_CHECK(cudaGraphDestroy(graph));
  CUDA_CHECK(e);
  auto it = graphs_.find(key);
  if (it != graphs_.end()) {
    CUDA_CHECK(cudaStreamSynchronize(stream_));
    CUDA_LOG_CHECK(cudaGraphExecDestroy(it->second));
    it->second = exec;
  } else {
    graphs_[key] = exec;
  }
  replay(key);
}

void CudaOps::abort_capture() {
  if (!capturing_) return;
  capturing_ = false;
  pool_->set_capturing(false);
  cudaGraph_t graph = nullptr;
  (void)cudaStreamEndCapture(stream_, &graph);
  if (graph) (void)cudaGraphDestroy(graph);
  (void)cudaGetLastError();
}

bool CudaOps::graphs_stale() const { return pool_->graph_block_released(); }

void CudaOps::replay(const std::string& key) {
  auto it = graphs_.find(key);
  if (it == graphs_.end()) throw std::logic_error("replay: no CUDA graph captured under '" + key + "'");
  CUDA_CHECK(cudaGraphLaunch(it->second, stream_));
}

void CudaOps::reset_graphs() {
  CUDA_CHECK(cudaStreamSynchronize(stream_));
  for (auto& kv : graphs_) CUDA_LOG_CHECK(cudaGraphExecDestroy(kv.second));
  graphs_.clear();
  warmed_.clear();
  pool_->graphs_destroyed();
}

}  // namespace gan::cuda

namespace gan {

bool cuda_available(std::string* why) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    if (why) *why = std::string("no usable CUDA device: ") + cudaGetErrorString(e);
    return false;
  }
  if (n == 0) {
    if (why) *why = "no CUDA device found";
    return false;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
    (void)cudaGetLastError();
    if (why) *why = "CUDA device 0 cannot be queried";
    return false;
  }
  if (prop.major < 8) {
    if (why)
      *why = std::string("CUDA device 0 (") + prop.name + ", sm_" + std::to_string(prop.major) +
             std::to_string(prop.minor) + ") is older than this build's sm_80/sm_90 kernels";
    return false;
  }
  if (why)
    *why = std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) +
           ", " + std::to_string(prop.totalGlobalMem >> 30) + " GiB), " + std::to_string(n) +
           " device(s)";
  return true;
}

std::unique_ptr<Ops> make_cuda_ops(int device) {
  std::string why;
  if (!cuda_available(&why)) throw std::runtime_error("cannot use CUDA: " + why + "; use --device cpu");
  int n = 0;
  CUDA_CHECK(cudaGetDeviceCount(&n));
  if (device < 0 || device >= n)
    throw std::invalid_argument("CUDA device " + std::to_string(device) + " does not exist (" +
                                std::to_string(n) + " found)");
  return std::make_unique<cuda::CudaOps>(device);
}

}  // namespace gan
