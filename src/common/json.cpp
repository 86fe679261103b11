// JSON value, read by RapidJSON's SAX reader and laid out by its writers. Numbers and strings are
// written as raw values in gan's own text: numbers go through std::to_chars / std::from_chars
// (locale-independent, and the shortest text that reads back to the same float or double, laid out
// as JavaScript does, which RapidJSON's Grisu output is not), strings escape control characters
// with lowercase hex digits, as gan's files always have.
#include "common/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cmath>
#include <cstring>
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
  static const char kShort[] = "\b\f\n\r\t", kLetter[] = "bfnrt";  // controls with a one-letter escape
  out += '"';
  for (unsigned char c : s) {
    const char* shortened = c ? std::strchr(kShort, c) : nullptr;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += (char)c;
    } else if (c >= 0x20) {
      out += (char)c;  // UTF-8 passes through unchanged
    } else if (shortened) {
      out += '\\';
      out += kLetter[shortened - kShort];
    } else {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  out += '"';
}

// A byte as it can appear in a message: printable ASCII as itself, anything else as \xNN.
std::string shown(char c) {
  unsigned char u = (unsigned char)c;
  if (u >= 0x20 && u < 0x7f) return std::string(1, c);
  static const char hex[] = "0123456789abcdef";
  return std::string("\\x") + hex[u >> 4] + hex[u & 15];
}

// Writes `j` through a RapidJSON Writer or PrettyWriter (which place the commas, colons, line
// breaks and indentation); scalars go in as raw text made above.
template <typename Writer>
void write(Writer& w, const Json& j) {
  std::string text;
  switch (j.type()) {
    case Json::Type::Null: w.Null(); return;
    case Json::Type::Bool: w.Bool(j.as_bool()); return;
    case Json::Type::Int: w.Int64(j.as_int()); return;
    case Json::Type::Float: append_number(text, (float)j.as_double()); break;
    case Json::Type::Double: append_number(text, j.as_double()); break;
    case Json::Type::String:
      append_quoted(text, j.as_string());
      w.RawValue(text.data(), text.size(), rapidjson::kStringType);
      return;
    case Json::Type::Array:
      w.StartArray();
      for (const Json& v : j.items()) write(w, v);
      w.EndArray();
      return;
    case Json::Type::Object:
      w.StartObject();
      for (const auto& kv : j.members()) {
        text.clear();
        append_quoted(text, kv.first);
        w.RawValue(text.data(), text.size(), rapidjson::kStringType);  // the key
        write(w, kv.second);
      }
      w.EndObject();
      return;
  }
  w.RawValue(text.data(), text.size(), text == "null" ? rapidjson::kNullType : rapidjson::kNumberType);
}

// Numbers as JSON text (validated by the reader) to a value: an integer when it has no fraction or
// exponent and fits int64, else a double; beyond int64 a double, as JavaScript would.
Json number(const char* b, const char* e) {
  bool integral = true;
  for (const char* q = b; q < e; ++q) integral &= *q != '.' && *q != 'e' && *q != 'E';
  if (integral) {
    long long v = 0;
    auto r = std::from_chars(b, e, v);
    if (r.ec == std::errc() && r.ptr == e) return Json(v);
  }
  double d = 0;
  auto r = std::from_chars(b, e, d);
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars leaves d alone on underflow (the reader has refused overflow): a signed zero.
    d = *b == '-' ? -0.0 : 0.0;
  }
  return Json(d);
}

}  // namespace

// The SAX handler that builds a Json: an explicit stack of open arrays and objects (the reader is
// iterative, so a hostile "[[[[..." neither recurses here nor there), capped at kMaxDepth. Object
// members are appended without a duplicate scan (so parsing stays linear) and find() looks from
// the back, so the last of duplicate keys wins, as with set().
class JsonParser : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, JsonParser> {
 public:
  static constexpr int kMaxDepth = 256;
  Json root;
  bool too_deep = false;

  bool Null() { return add(Json()); }
  bool Bool(bool b) { return add(Json(b)); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return add(number(s, s + n)); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return add(Json(std::string(s, n))); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    keys_.emplace_back(s, n);
    return true;
  }
  bool StartObject() { return open(Json::object()); }
  bool StartArray() { return open(Json::array()); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool EndArray(rapidjson::SizeType) { return close(); }

 private:
  std::vector<Json> open_;         // the arrays and objects being filled, outermost first
  std::vector<std::string> keys_;  // the key of each object member being read

  bool add(Json v) {
    if (open_.empty()) {
      root = std::move(v);
    } else if (open_.back().is_array()) {
      open_.back().push(std::move(v));
    } else {
      open_.back().obj_.emplace_back(std::move(keys_.back()), std::move(v));
      keys_.pop_back();
    }
    return true;
  }
  bool open(Json container) {
    if ((int)open_.size() >= kMaxDepth) {
      too_deep = true;
      return false;
    }
    open_.push_back(std::move(container));
    return true;
  }
  bool close() {
    Json done = std::move(open_.back());
    open_.pop_back();
    return add(std::move(done));
  }
};

namespace {

// What went wrong, in the words of gan's errors ("unexpected character '}'").
std::string parse_problem(rapidjson::ParseErrorCode code, const std::string& t, size_t at, bool too_deep) {
  const bool end = at >= t.size();
  const bool control = !end && (unsigned char)t[at] < 0x20;
  switch (code) {
    case rapidjson::kParseErrorDocumentEmpty: return "unexpected end of input";
    case rapidjson::kParseErrorValueInvalid:
      return end ? "unexpected end of input" : "unexpected character '" + shown(t[at]) + "'";
    case rapidjson::kParseErrorObjectMissName: return "expected a string key";
    case rapidjson::kParseErrorObjectMissColon: return "expected ':'";
    case rapidjson::kParseErrorObjectMissCommaOrCurlyBracket: return "expected ',' or '}' in object";
    case rapidjson::kParseErrorArrayMissCommaOrSquareBracket: return "expected ',' or ']' in array";
    case rapidjson::kParseErrorStringUnicodeEscapeInvalidHex: return "invalid hex digit in \\u escape";
    case rapidjson::kParseErrorStringUnicodeSurrogateInvalid: return "unpaired UTF-16 surrogate in \\u escape";
    case rapidjson::kParseErrorStringMissQuotationMark:
    case rapidjson::kParseErrorStringEscapeInvalid:
      if (control) return "control character in string (it must be escaped)";
      if (code == rapidjson::kParseErrorStringMissQuotationMark || at + 1 >= t.size()) return "unterminated string";
      return "invalid escape '\\" + shown(t[at + 1]) + "'";
    case rapidjson::kParseErrorNumberTooBig: return "number beyond the range of a double";
    case rapidjson::kParseErrorNumberMissFraction: return "invalid number: digits must follow '.'";
    case rapidjson::kParseErrorNumberMissExponent: return "invalid number: digits must follow 'e'";
    case rapidjson::kParseErrorTermination:
      if (too_deep) return "nesting deeper than " + std::to_string(JsonParser::kMaxDepth);
      break;
    default: break;
  }
  return rapidjson::GetParseError_En(code);
}

// RapidJSON reads a lone low surrogate (\udc00 with no high one before it) as a code point of its
// own; gan refuses it, as it refuses a lone high one. Run on text the reader accepted, where a
// backslash only stands in a string; returns the offset of the first such escape, or npos.
size_t lone_low_surrogate(const std::string& t) {
  for (size_t i = 0; i + 5 < t.size(); ++i) {
    if (t[i] != '\\') continue;
    if (t[i + 1] != 'u') {
      ++i;  // an escaped character: skip it
      continue;
    }
    unsigned cp = 0;
    std::from_chars(t.data() + i + 2, t.data() + i + 6, cp, 16);
    if (cp >= 0xDC00 && cp <= 0xDFFF) return i;
    i += cp >= 0xD800 && cp <= 0xDBFF ? 11 : 5;  // a high one: the reader checked the low one after it
  }
  return std::string::npos;
}

}  // namespace

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

std::string Json::field(const std::string& key) const {
  const Json* v = find(key);
  return !v ? "" : v->is_string() ? v->s_ : v->dump(-1);
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
  rapidjson::StringBuffer sb;
  if (indent < 0) {
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    write(w, *this);
  } else {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(sb);
    w.SetIndent(' ', (unsigned)indent);
    write(w, *this);
  }
  return std::string(sb.GetString(), sb.GetSize());
}

Json Json::parse(const std::string& text, const std::string& source) {
  auto fail = [&](const std::string& what, size_t at) {
    throw std::runtime_error(source + ": " + what + " at offset " + std::to_string(at));
  };
  JsonParser handler;
  rapidjson::Reader reader;
  rapidjson::MemoryStream in(text.data(), text.size());
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseStopWhenDoneFlag;
  rapidjson::ParseResult r = reader.Parse<kFlags>(in, handler);
  if (r.IsError()) fail(parse_problem(r.Code(), text, r.Offset(), handler.too_deep), r.Offset());
  size_t p = in.Tell();
  while (p < text.size() && (text[p] == ' ' || text[p] == '\t' || text[p] == '\n' || text[p] == '\r')) ++p;
  if (p != text.size()) fail("unexpected text after the JSON value", p);
  size_t lone = lone_low_surrogate(text);
  if (lone != std::string::npos) fail("unpaired UTF-16 surrogate in \\u escape", lone);
  return std::move(handler.root);
}

}  // namespace gan
