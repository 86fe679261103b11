// The monitor's RapidJSON path (http/api.cpp: an iterative, depth-limited SAX parse that embeds
// summary.json in /api/epoch answers), through api_epoch over an in-memory storage holding the
// input as an epoch's summary.json. The answer must be valid JSON whatever the file holds.
#include <map>
#include <optional>

#include <rapidjson/document.h>

#include "fuzz_util.h"
#include "http/api.h"
#include "http/run_catalog.h"
#include "storage/storage.h"

namespace {
class MemoryStorage : public gan::Storage {
 public:
  std::map<std::string, std::string> objects;
  std::string url() const override { return "memory://"; }
  void put(const std::string& key, const std::string& bytes) override { objects[key] = bytes; }
  void put_file(const std::string& key, const std::string&) override { objects[key] = ""; }
  std::optional<std::string> get(const std::string& key) override {
    auto it = objects.find(key);
    if (it == objects.end()) return std::nullopt;
    return it->second;
  }
  std::optional<gan::ObjectInfo> stat(const std::string& key) override {
    auto it = objects.find(key);
    if (it == objects.end()) return std::nullopt;
    return gan::ObjectInfo{key, (int64_t)it->second.size(), 1};
  }
  std::vector<gan::ObjectInfo> list(const std::string& prefix) override {
    std::vector<gan::ObjectInfo> out;
    for (const auto& [k, v] : objects)
      if (k.compare(0, prefix.size(), prefix) == 0) out.push_back({k, (int64_t)v.size(), 1});
    return out;
  }
  std::vector<std::string> list_dirs(const std::string&) override { return {}; }
  void remove(const std::string& key) override { objects.erase(key); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MemoryStorage storage;
  storage.objects["run/epoch/1/summary.json"] = std::string(reinterpret_cast<const char*>(data), size);
  gan::http::RunCatalog cat(storage, nullptr);
  std::string answer;
  fuzz::check(fuzz::accepts([&] { answer = gan::http::api_epoch(cat, "run", 1); }), "api_epoch threw on a bad summary.json");
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(answer.c_str(), answer.size());
  fuzz::check(!doc.HasParseError(), "api_epoch answered invalid JSON: " + answer.substr(0, 200));
  return 0;
}
