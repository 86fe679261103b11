// A small JSON value: what gan writes (hyperparameters.json, summary.json, best.json,
// evaluator.json, checkpoint metadata, the monitor's small documents) and reads back, and the
// metadata services' token and credential answers the cloud clients read. Text is read
// and laid out by RapidJSON (header-only, so the core still links without any library).
//
// Objects keep insertion order (the files read like the flags that made them). Numbers remember
// how they were made: integers print as integers; floats and doubles print the shortest text that
// reads back to the same float or double (at most 9 and 17 significant digits, laid out as
// JavaScript does: 0.0002, 1e-7); NaN and ±Inf print as null. Strings are UTF-8 and pass through unchanged
// but for '"', '\\' and control characters, which are escaped (\u001f: lowercase hex digits).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gan {

class Json {
 public:
  enum class Type { Null, Bool, Int, Float, Double, String, Array, Object };

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::Bool), b_(b) {}
  Json(int v) : type_(Type::Int), i_(v) {}
  Json(long v) : type_(Type::Int), i_(v) {}
  Json(long long v) : type_(Type::Int), i_(v) {}
  Json(unsigned v) : type_(Type::Int), i_(v) {}
  Json(unsigned long v) : type_(Type::Int), i_((int64_t)v) {}
  Json(unsigned long long v) : type_(Type::Int), i_((int64_t)v) {}
  Json(float v) : type_(Type::Float), d_(v) {}
  Json(double v) : type_(Type::Double), d_(v) {}
  Json(const char* s) : type_(Type::String), s_(s) {}
  Json(std::string s) : type_(Type::String), s_(std::move(s)) {}
  static Json array();
  static Json object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Int || type_ == Type::Float || type_ == Type::Double; }
  bool is_int() const { return type_ == Type::Int; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // Typed reads; each throws std::runtime_error naming the expected and actual type.
  bool as_bool() const;
  double as_double() const;   // any number
  int64_t as_int() const;     // an integer, or a float/double with an integral value
  const std::string& as_string() const;

  // Arrays.
  Json& push(Json v);
  const std::vector<Json>& items() const;
  size_t size() const;  // elements of an array or members of an object, else 0

  // Objects: set replaces an existing key in place (its position stays), else appends.
  Json& set(const std::string& key, Json v);
  const std::vector<std::pair<std::string, Json>>& members() const;
  const Json* find(const std::string& key) const;  // nullptr when absent (or not an object)
  const Json& at(const std::string& key) const;    // throws naming the key
  bool contains(const std::string& key) const { return find(key) != nullptr; }
  // A member as text: a string's value, any other value's compact JSON (3599, true); "" when
  // absent. For answers whose fields come as a string or a number (metadata services' expiries).
  std::string field(const std::string& key) const;

  // indent < 0: compact, one line; else pretty-printed with `indent` spaces per level.
  std::string dump(int indent = 2) const;

  // Parses a whole document (trailing whitespace allowed; nesting deeper than 256 and numbers
  // beyond a double's range are errors). Errors throw std::runtime_error
  // "<source>: <what> at offset N".
  static Json parse(const std::string& text, const std::string& source = "JSON");

 private:
  friend class JsonParser;  // appends members without the duplicate-key scan
  Type type_ = Type::Null;
  bool b_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
  std::vector<Json> arr_;
  std::vector<std::pair<std::string, Json>> obj_;
};

}  // namespace gan
