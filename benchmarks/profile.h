// ./bench --profile: where one training mini-batch's time goes, op by op, largest first.
//
// ProfilingOps wraps a backend and times every Ops call: on CUDA with a pair of CUDA events on
// the backend's stream around the call (resolved after the step; no CUPTI), on the CPU with the
// wall clock. Each call is also charged the work it must do — FLOPs for linear and conv, the
// fewest bytes it must move for everything else — so each row stands beside its ceiling (the GEMM
// peak or the device-to-device copy bandwidth measured in the same run). Wrapped, the CUDA backend
// runs the step eagerly (kernels/graph.h replays graphs only on CudaOps itself), so the profile
// shows every kernel; the e2e section times the graph.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench.h"

namespace gan::bench {

// One op class (op + shape), summed over the recorded steps.
struct OpStat {
  std::string op, shape;
  int64_t calls = 0;
  double ms = 0;      // total over the recorded calls
  double flops = 0;   // total
  double bytes = 0;   // total, the fewest the op must move
};

class ProfilingOps;
// A backend wrapped for profiling (the wrapper forwards to `inner`, which must outlive it).
std::unique_ptr<ProfilingOps> make_profiling_ops(Ops& inner);
// Starts/stops recording (calls made while off are forwarded untimed); collect() waits for the
// device and returns the stats recorded so far, largest total first.
void profiling_record(ProfilingOps& p, bool on);
std::vector<OpStat> profiling_collect(ProfilingOps& p);
Ops& profiling_as_ops(ProfilingOps& p);

// The FLOPs of one matrix op, as counted everywhere in ./bench (2 per multiply-add).
double linear_flops(int B, int C_in, int C_out);
double conv_flops(const ConvShape& s, bool transposed);

// The section: for each model, a few steps on the wrapped backend after a warm-up.
void bench_profile(Ops& ops, const Options& o, const Ceilings& c, Report& r);
// FLOPs of one training mini-batch of `arch` at batch 128, counted through ProfilingOps.
double step_flops(Ops& ops, const std::string& arch, Precision p);

}  // namespace gan::bench
