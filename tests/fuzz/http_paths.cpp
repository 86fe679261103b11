// The monitor's URL path helpers (http/paths.cpp): every segment split_safe_path accepts is safe.
#include "fuzz_util.h"
#include "http/paths.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string s(reinterpret_cast<const char*>(data), size);
  if (auto segs = gan::http::split_safe_path(s)) {
    for (const std::string& seg : *segs) {
      fuzz::check(gan::http::is_safe_segment(seg), "split_safe_path let through an unsafe segment");
      fuzz::check(seg != "." && seg != ".." && !seg.empty() && seg.find('/') == std::string::npos &&
                      seg.find('\\') == std::string::npos && seg.find('%') == std::string::npos,
                  "split_safe_path let through '" + seg + "'");
    }
  }
  (void)gan::http::content_type_for(s);
  (void)gan::http::is_download(s);
  const int e = gan::http::parse_epoch(s);
  fuzz::check(e >= -1, "parse_epoch returned a negative epoch");
  return 0;
}
