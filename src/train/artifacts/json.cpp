// JSON value, writer and parser. Numbers go through std::to_chars / std::from_chars: they are
// locale-independent (a German locale must not turn 0.0002 into "0,0002") and to_chars gives the
// shortest text that reads back to the same float or double.
#include "train/artifacts/json.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace gan {
namespace {

const char* type_name(Json::Type t) {
  switch (t) {
    case Json::Type::Null: return "null";
    case Json::Type::Bool: return "a boolean";
    case Json::Type::Int:
    case Json::Type::Float:
    case Json::Type::Double: return "a number";
    case Json::Type::String: return "a string";
    case Json::Type::Array: return "an array";
    case Json::Type::Object: return "an object";
  }
  return "?";
}

[[noreturn]] void type_error(const char* want, Json::Type got) {
  throw std::runtime_error(std::string("JSON: expected ") + want + ", found " + type_name(got));
}

template <typename T>
void append_number(std::string& out, T v) {
  if (!std::isfinite(v)) {  // JSON has no NaN or infinity
    out += "null";
    return;
  }
  // Shortest round-trip digits, then laid out as JavaScript's Number#toString does: plain
  // decimals for 1e-6 <= |v| < 1e21 ("0.0002", not "2e-04"), exponent form outside that.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);  // "-1.2345e-04"
  std::string sign;
  if (sci[0] == '-') { sign = "-"; sci.erase(0, 1); }
  size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  if (digits.size() > 1) digits.erase(1, 1);  // drop the '.'
  int exp10 = std::stoi(sci.substr(e + 1));
  int k = (int)digits.size(), n = exp10 + 1;  // value = 0.digits × 10^n
  out += sign;
  if (digits == "0") {
    out += '0';
  } else if (k <= n && n <= 21) {
    out += digits;
    out.append((size_t)(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, (size_t)n) + '.' + digits.substr((size_t)n);
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append((size_t)-n, '0');
    out += digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) out += '.' + digits.substr(1);
    out += exp10 < 0 ? "e-" : "e+";
    out += std::to_string(exp10 < 0 ? -exp10 : exp10);
  }
}

void append_quoted(std::string& out, const std::string& s) {
  static const char hex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += (char)c;  // UTF-8 passes through unchanged
        }
    }
  }
  out += '"';
}

void newline(std::string& out, int indent, int depth) {
  if (indent < 0) return;
  out += '\n';
  out.append((size_t)(indent * depth), ' ');
}

void dump_to(const Json& j, std::string& out, int indent, int depth) {
  switch (j.type()) {
    case Json::Type::Null: out += "null"; break;
    case Json::Type::Bool: out += j.as_bool() ? "true" : "false"; break;
    case Json::Type::Int: out += std::to_string(j.as_int()); break;
    case Json::Type::Float: append_number(out, (float)j.as_double()); break;
    case Json::Type::Double: append_number(out, j.as_double()); break;
    case Json::Type::String: append_quoted(out, j.as_string()); break;
    case Json::Type::Array: {
      if (j.items().empty()) { out += "[]"; break; }
      out += '[';
      bool first = true;
      for (const Json& v : j.items()) {
        if (!first) out += ',';
        first = false;
        newline(out, indent, depth + 1);
        dump_to(v, out, indent, depth + 1);
      }
      newline(out, indent, depth);
      out += ']';
      break;
    }
    case Json::Type::Object: {
      if (j.members().empty()) { out += "{}"; break; }
      out += '{';
      bool first = true;
      for (const auto& kv : j.members()) {
        if (!first) out += ',';
        first = false;
        newline(out, indent, depth + 1);
        append_quoted(out, kv.first);
        out += indent < 0 ? ":" : ": ";
        dump_to(kv.second, out, indent, depth + 1);
      }
      newline(out, indent, depth);
      out += '}';
      break;
    }
  }
}

}  // namespace

// Recursive descent over the RFC 8259 grammar. Depth is capped so a hostile file of "[[[[..."
// fails with an error instead of overflowing the stack; object members are appended without a
// duplicate scan (so parsing stays linear) and find() looks from the back, so the last of
// duplicate keys wins, as with set().
class JsonParser {
 public:
  JsonParser(const std::string& text, const std::string& source) : t_(text), src_(source) {}

  Json document() {
    skip_ws();
    Json v = value(0);
    skip_ws();
    if (p_ != t_.size()) fail("unexpected text after the JSON value");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 256;
  const std::string& t_;
  const std::string& src_;
  size_t p_ = 0;

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(src_ + ": " + what + " at offset " + std::to_string(p_));
  }
  bool at_end() const { return p_ >= t_.size(); }
  // A byte as it can appear in a message: printable ASCII as itself, anything else as \xNN.
  static std::string shown(char c) {
    unsigned char u = (unsigned char)c;
    if (u >= 0x20 && u < 0x7f) return std::string(1, c);
    static const char hex[] = "0123456789abcdef";
    return std::string("\\x") + hex[u >> 4] + hex[u & 15];
  }
  char peek() const { return at_end() ? '\0' : t_[p_]; }
  void skip_ws() {
    while (!at_end() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r')) ++p_;
  }
  void expect(char c) {
    if (peek() != c || at_end()) fail(std::string("expected '") + c + "'");
    ++p_;
  }
  void literal(const char* word) {
    for (const char* w = word; *w; ++w, ++p_)
      if (at_end() || t_[p_] != *w) fail(std::string("invalid literal, expected ") + word);
  }

  Json value(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth));
    if (at_end()) fail("unexpected end of input");
    char c = t_[p_];
    switch (c) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return Json(string());
      case 't': literal("true"); return Json(true);
      case 'f': literal("false"); return Json(false);
      case 'n': literal("null"); return Json();
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        fail("unexpected character '" + shown(c) + "'");
    }
  }

  Json object(int depth) {
    expect('{');
    Json o = Json::object();
    skip_ws();
    if (peek() == '}' && !at_end()) { ++p_; return o; }
    for (;;) {
      skip_ws();
      if (peek() != '"' || at_end()) fail("expected a string key");
      std::string key = string();
      skip_ws();
      expect(':');
      skip_ws();
      o.obj_.emplace_back(std::move(key), value(depth + 1));
      skip_ws();
      if (peek() == ',' && !at_end()) { ++p_; continue; }
      if (peek() == '}' && !at_end()) { ++p_; return o; }
      fail("expected ',' or '}' in object");
    }
  }

  Json array(int depth) {
    expect('[');
    Json a = Json::array();
    skip_ws();
    if (peek() == ']' && !at_end()) { ++p_; return a; }
    for (;;) {
      skip_ws();
      a.push(value(depth + 1));
      skip_ws();
      if (peek() == ',' && !at_end()) { ++p_; continue; }
      if (peek() == ']' && !at_end()) { ++p_; return a; }
      fail("expected ',' or ']' in array");
    }
  }

  unsigned hex4() {
    if (p_ + 4 > t_.size()) fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = t_[p_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
      else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
      else { --p_; fail("invalid hex digit in \\u escape"); }
    }
    return v;
  }

  static void append_utf8(std::string& s, unsigned cp) {
    if (cp < 0x80) {
      s += (char)cp;
    } else if (cp < 0x800) {
      s += (char)(0xC0 | (cp >> 6));
      s += (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += (char)(0xE0 | (cp >> 12));
      s += (char)(0x80 | ((cp >> 6) & 0x3F));
      s += (char)(0x80 | (cp & 0x3F));
    } else {
      s += (char)(0xF0 | (cp >> 18));
      s += (char)(0x80 | ((cp >> 12) & 0x3F));
      s += (char)(0x80 | ((cp >> 6) & 0x3F));
      s += (char)(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    expect('"');
    std::string s;
    for (;;) {
      if (at_end()) fail("unterminated string");
      unsigned char c = (unsigned char)t_[p_];
      if (c == '"') { ++p_; return s; }
      if (c < 0x20) fail("control character in string (it must be escaped)");
      if (c != '\\') { s += (char)c; ++p_; continue; }
      ++p_;
      if (at_end()) fail("unterminated escape");
      char e = t_[p_++];
      switch (e) {
        case '"': s += '"'; break;
        case '\\': s += '\\'; break;
        case '/': s += '/'; break;
        case 'b': s += '\b'; break;
        case 'f': s += '\f'; break;
        case 'n': s += '\n'; break;
        case 'r': s += '\r'; break;
        case 't': s += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // high surrogate: a low one must follow
            if (p_ + 2 > t_.size() || t_[p_] != '\\' || t_[p_ + 1] != 'u')
              fail("unpaired UTF-16 surrogate in \\u escape");
            p_ += 2;
            unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("invalid UTF-16 low surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("unpaired UTF-16 surrogate in \\u escape");
          }
          append_utf8(s, cp);
          break;
        }
        default: --p_; fail("invalid escape '\\" + shown(e) + "'");
      }
    }
  }

  Json number() {
    size_t start = p_;
    bool integral = true;
    if (peek() == '-') ++p_;
    if (peek() == '0') {
      ++p_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (!at_end() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
    } else {
      fail("invalid number");
    }
    if (!at_end() && t_[p_] == '.') {
      integral = false;
      ++p_;
      if (at_end() || t_[p_] < '0' || t_[p_] > '9') fail("invalid number: digits must follow '.'");
      while (!at_end() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
    }
    if (!at_end() && (t_[p_] == 'e' || t_[p_] == 'E')) {
      integral = false;
      ++p_;
      if (!at_end() && (t_[p_] == '+' || t_[p_] == '-')) ++p_;
      if (at_end() || t_[p_] < '0' || t_[p_] > '9') fail("invalid number: digits must follow 'e'");
      while (!at_end() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
    }
    const char* b = t_.data() + start;
    const char* e = t_.data() + p_;
    if (integral) {
      long long v = 0;
      auto r = std::from_chars(b, e, v);
      if (r.ec == std::errc() && r.ptr == e) return Json(v);
      // Too large for int64: fall through to a double, as JavaScript would.
    }
    double d = 0;
    auto r = std::from_chars(b, e, d);
    if (r.ec == std::errc::result_out_of_range) {
      // from_chars leaves d alone on overflow/underflow; pick the value JSON readers agree on.
      bool neg = *b == '-';
      bool tiny = false;
      for (const char* q = b; q < e; ++q)
        if (*q == 'e' || *q == 'E') { tiny = q[1] == '-'; break; }
      d = tiny ? (neg ? -0.0 : 0.0) : (neg ? -HUGE_VAL : HUGE_VAL);
    } else if (r.ec != std::errc() || r.ptr != e) {
      p_ = start;
      fail("invalid number");
    }
    return Json(d);
  }
};

Json Json::array() { Json j; j.type_ = Type::Array; return j; }
Json Json::object() { Json j; j.type_ = Type::Object; return j; }

bool Json::as_bool() const {
  if (type_ != Type::Bool) type_error("a boolean", type_);
  return b_;
}

double Json::as_double() const {
  if (type_ == Type::Int) return (double)i_;
  if (type_ == Type::Float || type_ == Type::Double) return d_;
  type_error("a number", type_);
}

int64_t Json::as_int() const {
  if (type_ == Type::Int) return i_;
  if (type_ == Type::Float || type_ == Type::Double) {
    // 2^63 is exactly representable; anything at or past it cannot be an int64.
    if (std::isfinite(d_) && d_ == std::floor(d_) && d_ >= -9223372036854775808.0 &&
        d_ < 9223372036854775808.0)
      return (int64_t)d_;
    throw std::runtime_error("JSON: expected an integer, found " + std::to_string(d_));
  }
  type_error("an integer", type_);
}

const std::string& Json::as_string() const {
  if (type_ != Type::String) type_error("a string", type_);
  return s_;
}

Json& Json::push(Json v) {
  if (type_ == Type::Null) type_ = Type::Array;
  if (type_ != Type::Array) type_error("an array", type_);
  arr_.push_back(std::move(v));
  return arr_.back();
}

const std::vector<Json>& Json::items() const {
  if (type_ != Type::Array) type_error("an array", type_);
  return arr_;
}

size_t Json::size() const {
  if (type_ == Type::Array) return arr_.size();
  if (type_ == Type::Object) return obj_.size();
  return 0;
}

Json& Json::set(const std::string& key, Json v) {
  if (type_ == Type::Null) type_ = Type::Object;
  if (type_ != Type::Object) type_error("an object", type_);
  for (auto it = obj_.rbegin(); it != obj_.rend(); ++it)
    if (it->first == key) {
      it->second = std::move(v);
      return it->second;
    }
  obj_.emplace_back(key, std::move(v));
  return obj_.back().second;
}

const std::vector<std::pair<std::string, Json>>& Json::members() const {
  if (type_ != Type::Object) type_error("an object", type_);
  return obj_;
}

const Json* Json::find(const std::string& key) const {
  if (type_ != Type::Object) return nullptr;
  for (auto it = obj_.rbegin(); it != obj_.rend(); ++it)
    if (it->first == key) return &it->second;
  return nullptr;
}

const Json& Json::at(const std::string& key) const {
  const Json* v = find(key);
  if (!v) {
    if (type_ != Type::Object) type_error("an object", type_);
    throw std::runtime_error("JSON: missing key \"" + key + "\"");
  }
  return *v;
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(*this, out, indent, 0);
  return out;
}

Json Json::parse(const std::string& text, const std::string& source) {
  return JsonParser(text, source).document();
}

std::string json_quote(const std::string& s) {
  std::string out;
  append_quoted(out, s);
  return out;
}

}  // namespace gan
