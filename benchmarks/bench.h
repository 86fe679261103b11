// ./bench: shared pieces of the benchmark sections (kernels, layers, end to end).
//
// Every row is validated against the CPU reference before it is timed (a row whose check fails
// is reported as invalid and not timed). Timing is the median of many repeats after a warm-up:
// CUDA events on the backend's stream on a GPU, the wall clock on the CPU.
#pragma once
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "src/ops.h"

namespace gan::bench {

struct Options {
  std::string only;        // "" (all) | kernels | layers | e2e
  std::string device = "auto";
  std::string json;        // write the rows here as JSON
  int iters = 0;           // repeats per measurement (0: 50 on a GPU, 3 on the CPU)
  int e2e_steps = 0;       // timed mini-batches (0: 200 on a GPU, 3 on the CPU)
  std::string models = "acgan28,dcgan64";  // layers and e2e: which models
  std::string save_generator;  // e2e: write acgan28's trained generator here (safetensors)
  // Matrix precision of the layer and e2e sections (--precision; else GAN_PRECISION, or tf32 for
  // GAN_TF32=1, else fp32).
  Precision precision = Precision::Fp32;
  bool profile = false;    // --profile: the op-by-op profile of one mini-batch per model
  int profile_steps = 0;   // recorded mini-batches (0: 20 on a GPU, 1 on the CPU)
  bool wants(const std::string& model) const { return ("," + models + ",").find("," + model + ",") != std::string::npos; }
};

struct Row {
  std::string section, name, shape, device;
  double ms = NAN;          // median
  double gbps = NAN;        // minimum bytes the op must move / ms
  double copy_frac = NAN;   // gbps / measured device-to-device copy bandwidth
  double tflops = NAN;
  double cudnn_ms = NAN;    // cuDNN's time for the same op, where it has one
  double per_s = NAN;       // e2e: mini-batches/s
  double images_per_s = NAN;
  double peak_frac = NAN;   // layers and e2e: achieved FLOP/s over the measured GEMM ceiling
  double floor_ms = NAN;    // e2e: the mini-batch's FLOPs at the GEMM ceiling
  double gflop = NAN;       // FLOPs of the row's work, in 1e9
  int64_t calls = 0;        // profile: calls per mini-batch
  double share = NAN;       // profile: fraction of the summed op time
  bool valid = true;        // passed its check against the CPU reference
  std::string note;
};

// Ceilings measured in the same run on the same backend: the device-to-device copy bandwidth
// (bytes read + written) and a large GEMM's FLOP/s at the run's precision. Every figure is shown
// as a fraction of one of them.
struct Ceilings {
  double copy_gbps = NAN, gemm_tflops = NAN;
  std::string gemm_shape;
};

class Report {
 public:
  void add(Row r) { rows_.push_back(std::move(r)); }
  void note(const std::string& s) { notes_.push_back(s); }
  void set_meta(const std::string& key, const std::string& value) { meta_.push_back({key, value}); }
  void print_table() const;
  void write_json(const std::string& path) const;
  bool all_valid() const;
  std::vector<Row>& rows() { return rows_; }

 private:
  std::vector<Row> rows_;
  std::vector<std::string> notes_;
  std::vector<std::pair<std::string, std::string>> meta_;
};

// Median milliseconds of fn() over `iters` repeats after `warmup` runs. On CUDA ops each repeat is
// bracketed by events on the ops' stream (no host sync inside the bracket); on the CPU by the clock.
// `between`, when given, runs before each repeat outside the bracket (./bench's L2 flush).
double median_ms(Ops& ops, const std::function<void()>& fn, int iters, int warmup = 3,
                 const std::function<void()>& between = nullptr);

// Sections, each on `ops`: the kernel section runs the op registry's kPerf cases (tests/ops/cases.h).
void bench_kernels(Ops& ops, const Options& o, Report& r);
void bench_layers(Ops& ops, const Options& o, Report& r);
void bench_e2e(Ops& ops, const Options& o, Report& r);
// The ceilings (adds a row for each, section "ceilings").
Ceilings measure_ceilings(Ops& ops, const Options& o, Report& r);
// Fills peak_frac of the layer rows and floor_ms/peak_frac of the e2e rows from the ceilings.
void apply_ceilings(Report& r, const Ceilings& c);

}  // namespace gan::bench
