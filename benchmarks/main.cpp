// ./bench: kernel, layer and end-to-end benchmarks of the training system.
//
//   ./bench [--only kernels|layers|e2e|profile] [--iters N] [--steps N] [--device auto|cuda|cpu] [--json FILE]
//           [--models acgan28,dcgan64] [--save-generator FILE] [--precision fp32|tf32|bf16]
//           [--profile] [--profile-steps N]
//
// kernels: the op registry's benchmark cases (tests/ops/cases.h), on CUDA checked against the CPU
//          reference, then timed (CUDA events, warm-up, median, L2 flushed) as GB/s and as a
//          fraction of the device-to-device copy bandwidth measured in the same run; cuDNN's
//          batchnorm and activations beside ours. On the CPU: the reference timed, unchecked.
// layers:  every conv and linear layer of acgan28 and dcgan64 at batch 128 (forward,
//          backward-data, backward-filter) in ms and TFLOP/s, on the chosen device.
// e2e:     training mini-batches/s and images/s for acgan28 and dcgan64 at batch 128, beside the
//          floor: the mini-batch's FLOPs at the GEMM ceiling.
// ceilings: measured first on the chosen device — the device-to-device copy bandwidth and a large
//          GEMM's FLOP/s at the chosen precision; layer, e2e and profile rows give their fraction.
// --profile: one mini-batch op by op, largest first (benchmarks/profile.h), with --only or alone
//          (--only profile runs only it).
// Without a GPU every section runs on the CPU (fewer repeats) and says so.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string>

#include "bench.h"
#include "profile.h"
#ifdef GAN_HAVE_CUDA
#include "kernels/math_mode.h"
#include "kernels/ops.h"
#endif

namespace gan::bench {

namespace {

[[noreturn]] void usage(const std::string& err) {
  std::fprintf(stderr,
               "%s%s"
               "usage: ./bench [--only kernels|layers|e2e|profile] [--iters N] [--steps N] "
               "[--device auto|cuda|cpu] [--json FILE] [--models acgan28,dcgan64] "
               "[--save-generator FILE] [--precision fp32|tf32|bf16] [--profile] [--profile-steps N]\n",
               err.c_str(), err.empty() ? "" : "\n");
  std::exit(err.empty() ? 0 : 2);
}

Options parse(int argc, char** argv) {
  Options o;
  if (const char* e = std::getenv("GAN_PRECISION")) {
    if (!gan::parse_precision(e, &o.precision))
      usage(std::string("bench: GAN_PRECISION takes fp32, tf32 or bf16, got '") + e + "'");
  } else if (const char* t = std::getenv("GAN_TF32")) {
    if (std::string(t) == "1") o.precision = gan::Precision::Tf32;
  }
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("bench: " + a + " needs a value");
      return argv[++i];
    };
    auto integer = [&](const std::string& v) {
      try {
        size_t pos = 0;
        const int n = std::stoi(v, &pos);
        if (pos != v.size() || n < 1) throw std::invalid_argument(v);
        return n;
      } catch (const std::exception&) {
        usage("bench: " + a + " takes a positive integer, got '" + v + "'");
      }
    };
    if (a == "--only") {
      o.only = value();
      if (o.only != "kernels" && o.only != "layers" && o.only != "e2e" && o.only != "profile")
        usage("bench: --only takes kernels, layers, e2e or profile, got '" + o.only + "'");
      if (o.only == "profile") o.profile = true;
    } else if (a == "--iters") {
      o.iters = integer(value());
    } else if (a == "--steps") {
      o.e2e_steps = integer(value());
    } else if (a == "--device") {
      o.device = value();
      if (o.device != "auto" && o.device != "cuda" && o.device != "cpu")
        usage("bench: --device takes auto, cuda or cpu, got '" + o.device + "'");
    } else if (a == "--models") {
      o.models = value();
      if (!o.wants("acgan28") && !o.wants("dcgan64"))
        usage("bench: --models takes a comma list of acgan28 and dcgan64, got '" + o.models + "'");
    } else if (a == "--profile") {
      o.profile = true;
    } else if (a == "--profile-steps") {
      o.profile_steps = integer(value());
      o.profile = true;
    } else if (a == "--precision") {
      const std::string v = value();
      if (!gan::parse_precision(v, &o.precision)) usage("bench: --precision takes fp32, tf32 or bf16, got '" + v + "'");
    } else if (a == "--save-generator") {
      o.save_generator = value();
    } else if (a == "--json") {
      o.json = value();
    } else if (a == "-h" || a == "--help") {
      usage("");
    } else {
      usage("bench: unknown argument '" + a + "'");
    }
  }
  return o;
}

}  // namespace
}  // namespace gan::bench

int main(int argc, char** argv) {
  using namespace gan::bench;
  const Options o = parse(argc, argv);
  Report report;
  try {
    std::string why;
    const bool have_cuda = gan::cuda_available(&why);
    if (o.device == "cuda" && !have_cuda) {
      std::fprintf(stderr, "bench: --device cuda, but %s\n", why.c_str());
      return 2;
    }
    const bool use_cuda = have_cuda && o.device != "cpu";
    std::unique_ptr<gan::Ops> ops = use_cuda ? gan::make_cuda_ops(0) : gan::make_cpu_ops();
    ops->set_precision(o.precision);
    std::printf("bench: device %s%s, precision %s\n", ops->name().c_str(),
                use_cuda ? "" : (" (" + why + ")").c_str(), gan::precision_name(o.precision));
    char date[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    report.set_meta("date", date);
    report.set_meta("device", ops->name());
    report.set_meta("cuda", why);
    report.set_meta("precision", gan::precision_name(o.precision));
    if (const char* c = std::getenv("GAN_COMMIT")) report.set_meta("commit", c);
#ifdef GAN_HAVE_CUDA
    report.set_meta("tf32", o.precision == gan::Precision::Tf32 ? "on" : "off");
    const std::string override_note = gan::cuda::tf32_override_note(o.precision == gan::Precision::Tf32);
    if (!override_note.empty()) report.note(override_note);
#endif
    if (o.only.empty() || o.only == "kernels") bench_kernels(*ops, o, report);
    // The ceilings every layer, e2e and profile figure is set beside (kernel rows use the copy
    // bandwidth their own section measures).
    const bool need_ceilings = o.profile || o.only.empty() || o.only == "layers" || o.only == "e2e";
    Ceilings ceilings;
    if (need_ceilings) ceilings = measure_ceilings(*ops, o, report);
    if (o.only.empty() || o.only == "layers") bench_layers(*ops, o, report);
    if (o.only.empty() || o.only == "e2e") bench_e2e(*ops, o, report);
    if (o.profile) bench_profile(*ops, o, ceilings, report);
    if (need_ceilings) apply_ceilings(report, ceilings);
  } catch (const std::exception& e) {
    report.print_table();
    std::fprintf(stderr, "bench: %s\n", e.what());
    return 1;
  }
  report.print_table();
  if (!o.json.empty()) {
    report.write_json(o.json);
    std::printf("bench: wrote %s\n", o.json.c_str());
  }
  if (!report.all_valid()) {
    std::fprintf(stderr, "bench: some results failed their check against the CPU reference\n");
    return 1;
  }
  return 0;
}
