// run_graph_step / reset_graphs over CudaOps (see graph.h for the contract).
#include "graph.h"

#include <cstdlib>

#include "cuda_ops.h"

namespace gan {

static bool graphs_disabled() {
  const char* e = std::getenv("GAN_CUDA_GRAPHS");
  return e && e[0] == '0';
}

bool run_graph_step(Ops& ops, const std::string& key, const std::function<void()>& step) {
  auto* cuda = dynamic_cast<cuda::CudaOps*>(&ops);
  if (!cuda || graphs_disabled()) {
    step();
    return false;
  }
  // Buffers of some captured graph have been freed (e.g. its trainer is gone): forget them all.
  if (cuda->graphs_stale()) cuda->reset_graphs();
  if (cuda->has_graph(key)) {
    cuda->replay(key);
    return true;
  }
  if (!cuda->warmed(key)) {
    step();
    cuda->mark_warmed(key);
    return false;
  }
  cuda->begin_capture();
  try {
    step();
  } catch (...) {
    cuda->abort_capture();
    throw;
  }
  cuda->end_capture_and_launch(key);
  return true;
}

void reset_graphs(Ops& ops) {
  if (auto* cuda = dynamic_cast<cuda::CudaOps*>(&ops)) cuda->reset_graphs();
}

}  // namespace gan
