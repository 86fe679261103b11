// The bench's table and its JSON (written by gan::Json, the one JSON facility).
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "bench.h"
#include "common/json.h"

namespace gan::bench {
namespace {

std::string num(double v, const char* fmt = "%.4g") {
  if (std::isnan(v)) return "-";
  char b[64];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
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
  Json meta = Json::object(), notes = Json::array(), rows = Json::array();
  for (const auto& [key, value] : meta_) meta.set(key, value);
  for (const std::string& n : notes_) notes.push(n);
  for (const Row& r : rows_) {
    Json row = Json::object();
    for (const auto& [key, v] : {std::pair<const char*, const std::string&>{"section", r.section}, {"name", r.name},
                                 {"shape", r.shape}, {"device", r.device}})
      row.set(key, v);
    const std::pair<const char*, double> numbers[] = {
        {"ms", r.ms}, {"gbps", r.gbps}, {"copy_fraction", r.copy_frac}, {"tflops", r.tflops},
        {"cudnn_ms", r.cudnn_ms}, {"steps_per_s", r.per_s}, {"images_per_s", r.images_per_s},
        {"peak_fraction", r.peak_frac}, {"floor_ms", r.floor_ms}, {"gflop", r.gflop}};
    for (const auto& [key, v] : numbers) row.set(key, v);  // NaN (not measured) is written null
    row.set("calls", r.calls);
    row.set("share", r.share);
    row.set("valid", r.valid);
    row.set("note", r.note);
    rows.push(std::move(row));
  }
  Json doc = Json::object();
  doc.set("meta", std::move(meta));
  doc.set("notes", std::move(notes));
  doc.set("rows", std::move(rows));
  std::ofstream f(path);
  if (!f) throw std::runtime_error("bench: cannot write " + path + " (check the folder exists)");
  f << doc.dump(2) << "\n";
  if (!f) throw std::runtime_error("bench: failed writing " + path);
}

}  // namespace gan::bench
