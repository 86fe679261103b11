// Flat JSON field reader over RapidJSON's SAX reader; see json.h. The iterative parse keeps
// deeply nested input off the stack; numbers arrive as their text.
#include "cloud/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace cloud {

namespace {

// Records each top-level key's scalar value; nested objects and arrays count as "".
struct Fields : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Fields> {
  std::map<std::string, std::string> out;
  std::string key;
  int depth = 0;
  bool scalar(std::string text) {
    if (depth == 1) out[key] = std::move(text);
    return true;
  }
  bool Null() { return scalar("null"); }
  bool Bool(bool b) { return scalar(b ? "true" : "false"); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return scalar(std::string(s, n)); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return scalar(std::string(s, n)); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (depth == 1) key.assign(s, n);
    return true;
  }
  bool StartObject() { return open(); }
  bool StartArray() { return open(); }
  bool open() {
    if (depth++ == 1) out[key] = "";
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return --depth, true; }
  bool EndArray(rapidjson::SizeType) { return --depth, true; }
};

}  // namespace

std::map<std::string, std::string> json_fields(const std::string& json) {
  const size_t first = json.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || json[first] != '{') throw std::runtime_error("malformed JSON at byte 0: expected '{'");
  Fields f;
  rapidjson::Reader reader;
  rapidjson::MemoryStream bytes(json.data(), json.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(bytes);
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseStopWhenDoneFlag;
  rapidjson::ParseResult ok = reader.Parse<kFlags>(in, f);
  if (!ok)
    throw std::runtime_error("malformed JSON at byte " + std::to_string(ok.Offset()) + ": " +
                             rapidjson::GetParseError_En(ok.Code()));
  return std::move(f.out);
}

int64_t parse_iso8601(const std::string& text) {
  std::tm tm{};
  int y, mo, d, h, mi, s;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) return -1;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace cloud
