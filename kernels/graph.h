// CUDA graphs for the training step, behind an API that also works on the CPU backend.
//
// A mini-batch is a fixed sequence of Ops calls with fixed arguments (src/ops.h: everything that
// changes per step comes from the device step counter), so the CUDA backend records it once and
// replays it: one launch per mini-batch instead of ~150, and no CPU launch overhead.
//
//   gan::run_graph_step(ops, "train", [&] { ...the ops calls of one mini-batch... });
//
// Per key: the 1st call runs the step eagerly (the warm-up: cuDNN algorithm choice, workspace
// growth, Adam's descriptor table and every buffer the step allocates happen here, none of which
// may happen inside a capture); the 2nd call captures the step into a graph and launches it;
// later calls only replay the graph (the lambda is not called). On CPU ops, in a CPU-only build,
// or with GAN_CUDA_GRAPHS=0 in the environment, every call just runs step().
// Returns true when the step ran as (or was captured into) a graph.
//
// Rules for `step`: no host reads (copy_to_host) and no host→device copies inside it (upload the
// step's inputs, e.g. batch indices, to a device buffer before calling); the same device buffers
// on every call; host-side values baked into arguments must not change between calls.
// `key` names one set of buffers: two live owners (two trainers on one Ops) need two keys, e.g.
// "train@" + the owner's address. When any buffer that was alive at a capture is freed, every
// graph of the Ops is dropped at the next call (so a new owner, even at a recycled address, never
// replays a dead one's graph); reset_graphs(ops) drops them explicitly.
#pragma once
#include <functional>
#include <string>

#include "../src/ops.h"

namespace gan {

#ifdef GAN_HAVE_CUDA
bool run_graph_step(Ops& ops, const std::string& key, const std::function<void()>& step);
void reset_graphs(Ops& ops);
#else
inline bool run_graph_step(Ops&, const std::string&, const std::function<void()>& step) {
  step();
  return false;
}
inline void reset_graphs(Ops&) {}
#endif

}  // namespace gan
