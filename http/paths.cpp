#include "http/paths.h"

#include <cstdint>
#include <initializer_list>

namespace gan::http {

bool is_safe_segment(const std::string& s) {
  if (s.empty() || s == "." || s == ".." || s.size() > 255) return false;
  for (unsigned char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-' || c == '+' || c == '=';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::vector<std::string>> split_safe_path(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    std::string seg = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!is_safe_segment(seg)) return std::nullopt;
    out.push_back(seg);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

bool is_served_artifact(const std::vector<std::string>& segs) {
  auto in = [](const std::string& name, std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (name == n) return true;
    return false;
  };
  if (segs.empty() || !is_safe_segment(segs[0]) || segs[0][0] == '.') return false;
  if (segs.size() == 2) return in(segs[1], {"hyperparameters.json", "target.png", "best.json", "evaluator.json"});
  if (segs.size() == 3) return segs[1] == "checkpoint" && segs[2] == "state.safetensors";
  if (segs.size() == 4 && segs[1] == "epoch" && parse_epoch(segs[2]) >= 0)
    return in(segs[3], {"generated.png", "metrics.csv", "summary.json", "loss_accuracy.svg", "generator.safetensors",
                        // the reference system's
                        "loss_accuracy.png", "model.h5"});
  return false;
}

static bool ends_with(const std::string& s, const char* suffix) {
  std::string t(suffix);
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

std::string content_type_for(const std::string& name) {
  if (ends_with(name, ".png")) return "image/png";
  if (ends_with(name, ".svg")) return "image/svg+xml";
  if (ends_with(name, ".jpg") || ends_with(name, ".jpeg")) return "image/jpeg";
  if (ends_with(name, ".json")) return "application/json";
  if (ends_with(name, ".csv")) return "text/csv; charset=utf-8";
  if (ends_with(name, ".txt") || ends_with(name, ".log")) return "text/plain; charset=utf-8";
  if (ends_with(name, ".html")) return "text/plain; charset=utf-8";  // never render stored HTML
  return "application/octet-stream";  // .safetensors, .h5, checkpoints
}

bool is_download(const std::string& name) {
  return content_type_for(name) == "application/octet-stream" || ends_with(name, ".csv");
}

int parse_epoch(const std::string& s) {
  if (s.empty() || s.size() > 9) return -1;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace gan::http
