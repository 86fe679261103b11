// gan's JSON (src/common/json.cpp, RapidJSON's reader under gan::Json): summary.json,
// hyperparameters.json, safetensors headers, checkpoints' state. What parses dumps to text that
// parses again, and from there dumping and parsing is a fixed point (the first dump may normalise:
// -0.0 is written "-0", read back as the integer 0). The same bytes as an epoch's summary.json in
// storage go through the monitor's depth-limited RapidJSON embedding (http/api.cpp, api_epoch),
// whose answer must be valid JSON whatever the file holds.
#include <map>
#include <optional>

#include <rapidjson/document.h>

#include "common/json.h"
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
  const std::string text(reinterpret_cast<const char*>(data), size);

  MemoryStorage storage;
  storage.objects["run/epoch/1/summary.json"] = text;
  gan::http::RunCatalog cat(storage, nullptr);
  std::string answer;
  fuzz::check(fuzz::accepts([&] { answer = gan::http::api_epoch(cat, "run", 1); }), "api_epoch threw on a bad summary.json");
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(answer.c_str(), answer.size());
  fuzz::check(!doc.HasParseError(), "api_epoch answered invalid JSON: " + answer.substr(0, 200));

  gan::Json j;
  if (!fuzz::accepts([&] { j = gan::Json::parse(text, "fuzz.json"); })) return 0;
  const std::string once = j.dump(0);
  gan::Json k, l;
  fuzz::check(fuzz::accepts([&] { k = gan::Json::parse(once, "dumped.json"); }), "dumped JSON does not parse: " + once.substr(0, 200));
  const std::string twice = k.dump(0);
  fuzz::check(fuzz::accepts([&] { l = gan::Json::parse(twice, "dumped.json"); }), "dumped JSON does not parse: " + twice.substr(0, 200));
  fuzz::check(l.dump(0) == twice, "dump(parse(x)) != x for x = dump(parse(dump(j))): " + twice.substr(0, 200));
  return 0;
}
