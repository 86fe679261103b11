// gan::Json (src/train/artifacts/json.cpp): summary.json, hyperparameters.json, safetensors
// headers, checkpoints' state. What parses dumps to text that parses again, and from there dumping
// and parsing is a fixed point (the first dump may normalise: -0.0 is written "-0", read back as
// the integer 0).
#include "fuzz_util.h"
#include "common/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
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
