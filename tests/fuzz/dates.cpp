// The dates cloud answers carry (src/common/dates.cpp): ISO 8601 in IMDS credentials, S3 listings
// and SAS links' se=, RFC 1123 in HTTP's Date and Last-Modified. Whatever a parser accepts (a time
// between 1970 and 9999) is written back by utc_time in the same form and must read back to the
// same second.
#include "common/dates.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  constexpr int64_t kYear10000 = 253402300800;
  const struct {
    int64_t (*parse)(const std::string&);
    const char* format;
  } forms[] = {{gan::parse_iso8601, "%Y-%m-%dT%H:%M:%SZ"}, {gan::parse_http_date, "%a, %d %b %Y %H:%M:%S GMT"}};
  for (const auto& f : forms) {
    const int64_t t = f.parse(text);
    if (t < 0 || t >= kYear10000) continue;
    const std::string again = gan::utc_time(t, f.format);
    fuzz::check(f.parse(again) == t, "'" + again + "' does not read back to " + std::to_string(t));
  }
  return 0;
}
