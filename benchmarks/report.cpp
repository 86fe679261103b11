// The bench's table and JSON (no JSON library: the core must build with only a compiler and CUDA).
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "bench.h"

namespace gan::bench {
namespace {

std::string num(double v, const char* fmt = "%.4g") {
  if (std::isnan(v)) return "-";
  char b[64];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
}

std::string jnum(double v) {
  if (std::isnan(v) || std::isinf(v)) return "null";
  char b[64];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

std::string jstr(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') { o += '\\'; o += c; }
    else if ((unsigned char)c < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); o += b; }
    else o += c;
  }
  return o + "\"";
}

}  // namespace

bool Report::all_valid() const {
  for (const Row& r : rows_)
    if (!r.valid) return false;
  return true;
}

void Report::print_table() const {
  std::string section;
  for (const Row& r : rows_) {
    if (r.section != section) {
      section = r.section;
      std::printf("\n== %s (%s)\n", section.c_str(), r.device.c_str());
      if (section == "e2e")
        std::printf("%-22s %-26s %10s %12s %12s %11s %10s %7s\n", "model", "shape", "ms/step", "steps/s", "images/s",
                    "GFLOP/step", "floor ms", "%floor");
      else if (section == "profile")
        // Largest first: each op's share of the summed op time, and its figure beside its ceiling
        // (%peak: FLOP/s over the GEMM ceiling; %copy: bytes it must move over the copy bandwidth).
        std::printf("%-44s %-26s %5s %10s %6s %9s %7s %9s %7s\n", "op", "shape", "calls", "ms/step", "share",
                    "TFLOP/s", "%peak", "GB/s", "%copy");
      else
        std::printf("%-30s %-26s %9s %9s %7s %9s %7s %9s  %s\n", "op", "shape", "ms", "GB/s", "%copy", "TFLOP/s",
                    "%peak", "cuDNN ms", "check");
    }
    const std::string note = r.note.empty() ? "" : "  " + r.note;
    if (section == "e2e")
      std::printf("%-22s %-26s %10s %12s %12s %11s %10s %7s%s\n", r.name.c_str(), r.shape.c_str(), num(r.ms).c_str(),
                  num(r.per_s, "%.4g").c_str(), num(r.images_per_s, "%.4g").c_str(), num(r.gflop, "%.4g").c_str(),
                  num(r.floor_ms, "%.4g").c_str(), num(100 * r.peak_frac, "%.1f%%").c_str(), note.c_str());
    else if (section == "profile")
      std::printf("%-44s %-26s %5lld %10s %6s %9s %7s %9s %7s%s\n", r.name.c_str(), r.shape.c_str(), (long long)r.calls,
                  num(r.ms, "%.4f").c_str(), num(100 * r.share, "%.1f%%").c_str(), num(r.tflops, "%.3g").c_str(),
                  num(100 * r.peak_frac, "%.1f%%").c_str(), num(r.gbps, "%.1f").c_str(),
                  num(100 * r.copy_frac, "%.0f%%").c_str(), note.c_str());
    else
      std::printf("%-30s %-26s %9s %9s %7s %9s %7s %9s  %s%s\n", r.name.c_str(), r.shape.c_str(), num(r.ms).c_str(),
                  num(r.gbps, "%.1f").c_str(), num(100 * r.copy_frac, "%.0f%%").c_str(), num(r.tflops, "%.3g").c_str(),
                  num(100 * r.peak_frac, "%.1f%%").c_str(), num(r.cudnn_ms).c_str(), r.valid ? "ok" : "FAILED",
                  note.c_str());
  }
  for (const std::string& n : notes_) std::printf("note: %s\n", n.c_str());
}

void Report::write_json(const std::string& path) const {
  std::ofstream f(path);
  if (!f) throw std::runtime_error("bench: cannot write " + path + " (check the folder exists)");
  f << "{\n  \"meta\": {";
  for (size_t i = 0; i < meta_.size(); ++i)
    f << (i ? ", " : "") << jstr(meta_[i].first) << ": " << jstr(meta_[i].second);
  f << "},\n  \"notes\": [";
  for (size_t i = 0; i < notes_.size(); ++i) f << (i ? ", " : "") << jstr(notes_[i]);
  f << "],\n  \"rows\": [\n";
  for (size_t i = 0; i < rows_.size(); ++i) {
    const Row& r = rows_[i];
    f << "    {\"section\": " << jstr(r.section) << ", \"name\": " << jstr(r.name)
      << ", \"shape\": " << jstr(r.shape) << ", \"device\": " << jstr(r.device)
      << ", \"ms\": " << jnum(r.ms) << ", \"gbps\": " << jnum(r.gbps)
      << ", \"copy_fraction\": " << jnum(r.copy_frac) << ", \"tflops\": " << jnum(r.tflops)
      << ", \"cudnn_ms\": " << jnum(r.cudnn_ms) << ", \"steps_per_s\": " << jnum(r.per_s)
      << ", \"images_per_s\": " << jnum(r.images_per_s) << ", \"peak_fraction\": " << jnum(r.peak_frac)
      << ", \"floor_ms\": " << jnum(r.floor_ms) << ", \"gflop\": " << jnum(r.gflop)
      << ", \"calls\": " << r.calls << ", \"share\": " << jnum(r.share) << ", \"valid\": " << (r.valid ? "true" : "false")
      << ", \"note\": " << jstr(r.note) << "}" << (i + 1 < rows_.size() ? "," : "") << "\n";
  }
  f << "  ]\n}\n";
  if (!f) throw std::runtime_error("bench: failed writing " + path);
}

}  // namespace gan::bench
