// cloud::json_fields and parse_iso8601 (cloud/json.cpp): the flat JSON of credential, token
// and metadata responses (IMDS, Azure managed identity, GCE metadata, ECS).
#include "cloud/json.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::accepts([&] {
    auto f = cloud::json_fields(text);
    for (const auto& [k, v] : f) (void)k, (void)v;
  });
  fuzz::accepts([&] { (void)cloud::parse_iso8601(text); });
  return 0;
}
