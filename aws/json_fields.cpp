// Flat JSON field reader; see json_fields.h.
#include "aws/json_fields.h"

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace aws {

namespace {

struct Reader {
  const std::string& s;
  size_t i = 0;
  [[noreturn]] void fail(const char* why) const {
    throw std::runtime_error(std::string("malformed JSON at byte ") + std::to_string(i) + ": " + why);
  }
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) i++;
  }
  std::string str() {
    if (s[i] != '"') fail("expected a string");
    i++;
    std::string out;
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= s.size()) fail("unterminated escape");
      char e = s[i++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (i + 4 > s.size()) fail("short \\u escape");
          unsigned cp = 0;
          for (int k = 0; k < 4; k++, i++) {
            const char h = s[i];
            cp <<= 4;
            if (h >= '0' && h <= '9') cp |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f') cp |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') cp |= static_cast<unsigned>(h - 'A' + 10);
            else fail("bad hex digit in a \\u escape");
          }
          if (cp < 0x80) out += static_cast<char>(cp);
          else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
          else { out += static_cast<char>(0xE0 | (cp >> 12)); out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
          break;
        }
        default: out += e;
      }
    }
    if (i >= s.size()) fail("unterminated string");
    i++;
    return out;
  }
  // Skips any value, returning the text of a scalar.
  std::string value() {
    ws();
    if (i >= s.size()) fail("expected a value");
    if (s[i] == '"') return str();
    if (s[i] == '{' || s[i] == '[') {
      int depth = 0;
      do {
        if (s[i] == '"') { str(); continue; }
        if (s[i] == '{' || s[i] == '[') depth++;
        if (s[i] == '}' || s[i] == ']') depth--;
        i++;
      } while (depth > 0 && i < s.size());
      if (depth) fail("unterminated object or array");
      return "";
    }
    size_t b = i;
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ' ' && s[i] != '\n' && s[i] != '\r') i++;
    return s.substr(b, i - b);
  }
};

}  // namespace

std::map<std::string, std::string> json_fields(const std::string& json) {
  Reader r{json};
  std::map<std::string, std::string> out;
  r.ws();
  if (r.i >= json.size() || json[r.i] != '{') r.fail("expected '{'");
  r.i++;
  r.ws();
  if (r.i < json.size() && json[r.i] == '}') return out;
  for (;;) {
    r.ws();
    std::string k = r.str();
    r.ws();
    if (r.i >= json.size() || json[r.i] != ':') r.fail("expected ':'");
    r.i++;
    out[k] = r.value();
    r.ws();
    if (r.i < json.size() && json[r.i] == ',') { r.i++; continue; }
    if (r.i < json.size() && json[r.i] == '}') return out;
    r.fail("expected ',' or '}'");
  }
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

}  // namespace aws
