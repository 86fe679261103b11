// aws::json_fields and parse_iso8601 (aws/json_fields.cpp): the flat JSON of credential, token
// and metadata responses (IMDS, Azure managed identity, GCE metadata, ECS).
#include "aws/json_fields.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::accepts([&] {
    auto f = aws::json_fields(text);
    for (const auto& [k, v] : f) (void)k, (void)v;
  });
  fuzz::accepts([&] { (void)aws::parse_iso8601(text); });
  return 0;
}
