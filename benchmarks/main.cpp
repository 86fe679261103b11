// ./bench: kernel, layer and end-to-end benchmarks of the training system.
//
//   ./bench [--only kernels|layers|e2e] [--iters N] [--steps N] [--device auto|cuda|cpu] [--json FILE]
//           [--models acgan28,dcgan64] [--save-generator FILE]
//
// kernels: every hand-written CUDA kernel, checked against the CPU reference, then timed (CUDA
//          events, warm-up, median, L2 flushed) as GB/s and as a fraction of the device-to-device
//          copy bandwidth measured in the same run; cuDNN's batchnorm and activations beside ours.
//          Needs a GPU.
// layers:  every conv and linear layer of acgan28 and dcgan64 at batch 128 (forward,
//          backward-data, backward-filter) in ms and TFLOP/s, on the chosen device.
// e2e:     training mini-batches/s and images/s for acgan28 and dcgan64 at batch 128.
// Without a GPU the layer and end-to-end sections run on the CPU (fewer repeats) and say so.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string>

#include "bench.h"
#ifdef GAN_HAVE_CUDA
#include "kernels/math_mode.h"
#include "kernels/ops.h"
#endif

namespace gan::bench {

#ifndef GAN_HAVE_CUDA
void bench_kernels(const Options&, Report& r) {
  r.note("kernel benchmarks need a GPU: this ./bench was built without CUDA (nvcc not found)");
}
#endif

namespace {

[[noreturn]] void usage(const std::string& err) {
  std::fprintf(stderr,
               "%s%s"
               "usage: ./bench [--only kernels|layers|e2e] [--iters N] [--steps N] "
               "[--device auto|cuda|cpu] [--json FILE] [--models acgan28,dcgan64] "
               "[--save-generator FILE]\n",
               err.c_str(), err.empty() ? "" : "\n");
  std::exit(err.empty() ? 0 : 2);
}

Options parse(int argc, char** argv) {
  Options o;
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
      if (o.only != "kernels" && o.only != "layers" && o.only != "e2e")
        usage("bench: --only takes kernels, layers or e2e, got '" + o.only + "'");
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
    std::printf("bench: device %s%s\n", ops->name().c_str(),
                use_cuda ? "" : (" (" + why + ")").c_str());
    char date[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    report.set_meta("date", date);
    report.set_meta("device", ops->name());
    report.set_meta("cuda", why);
    if (const char* c = std::getenv("GAN_COMMIT")) report.set_meta("commit", c);
#ifdef GAN_HAVE_CUDA
    report.set_meta("tf32", gan::cuda::tf32_enabled() ? "on" : "off");
    const std::string override_note = gan::cuda::tf32_override_note(gan::cuda::tf32_enabled());
    if (!override_note.empty()) report.note(override_note);
#endif
    if (o.only.empty() || o.only == "kernels") {
      if (use_cuda) {
        bench_kernels(o, report);
      } else {
#ifdef GAN_HAVE_CUDA
        report.note("kernel benchmarks need a GPU: " + (o.device == "cpu" ? std::string("--device cpu") : why));
#else
        bench_kernels(o, report);
#endif
      }
    }
    if (o.only.empty() || o.only == "layers") bench_layers(*ops, o, report);
    if (o.only.empty() || o.only == "e2e") bench_e2e(*ops, o, report);
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
