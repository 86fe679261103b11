// ~/.aws/credentials and ~/.aws/config (aws::parse_ini): sections, keys and values are trimmed,
// one line each.
#include "aws/credentials.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  aws::IniFile ini;
  if (!fuzz::accepts([&] { ini = aws::parse_ini(text); })) return 0;
  for (const auto& [section, kvs] : ini) {
    fuzz::check(section.find('\n') == std::string::npos, "a section name spans lines");
    for (const auto& [k, v] : kvs) fuzz::check(k.find('\n') == std::string::npos && v.find('\n') == std::string::npos, "a key or value spans lines");
  }
  return 0;
}
