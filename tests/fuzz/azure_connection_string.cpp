// Azure connection strings (azure::parse_connection_string): keys and values never hold ';'.
#include "azure/credentials.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> kv;
  if (!fuzz::accepts([&] { kv = azure::parse_connection_string(text); })) return 0;
  for (const auto& [k, v] : kv) fuzz::check(k.find(';') == std::string::npos && v.find(';') == std::string::npos, "a part holds ';'");
  (void)azure::connection_string_account(kv);
  return 0;
}
