// Flat JSON field reader over RapidJSON's SAX reader (iterative, numbers as their text); see json.h.
#include "cloud/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace cloud {

namespace {

// Records each top-level key's scalar value (numbers as text, via String); nested objects and arrays count as "".
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
  rapidjson::MemoryStream in(json.data(), json.size());  // UTF-8 bytes, NULs included
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseStopWhenDoneFlag;
  rapidjson::ParseResult ok = reader.Parse<kFlags>(in, f);
  if (!ok)
    throw std::runtime_error("malformed JSON at byte " + std::to_string(ok.Offset()) + ": " +
                             rapidjson::GetParseError_En(ok.Code()));
  return std::move(f.out);
}

int64_t parse_iso8601(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, end = 0;
  const int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &end);
  // After the seconds only a fraction, then Z or nothing: an offset ("+01:00") would be misread as UTC.
  const size_t zone = text.find_first_not_of("0123456789", end + (text[end] == '.' ? 1 : 0));
  const bool date_alone = n == 3 && text.size() == 10;  // a SAS's se= may be one: its midnight, UTC
  if (!date_alone && !(n == 6 && (zone == std::string::npos || text[zone] == 'Z'))) return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return -1;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace cloud
