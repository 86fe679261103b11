// safetensors reader (src/train/artifacts/safetensors.cpp): parse arbitrary bytes; what it
// accepts must serialize and parse back to the same file.
#include "fuzz_util.h"
#include "train/artifacts/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  gan::safetensors::File f;
  if (!fuzz::accepts([&] { f = gan::safetensors::parse(bytes, "fuzz.safetensors"); })) return 0;
  const std::string once = gan::safetensors::serialize(f);
  gan::safetensors::File g;
  fuzz::check(fuzz::accepts([&] { g = gan::safetensors::parse(once, "reserialized.safetensors"); }),
              "a parsed file, serialized again, does not parse");
  fuzz::check(gan::safetensors::serialize(g) == once, "serialize(parse(serialize(f))) != serialize(f)");
  return 0;
}
