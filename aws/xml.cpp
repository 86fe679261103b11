// Recursive-descent XML reader; see xml.h. Nesting is capped (kMaxDepth) so a hostile body of
// "<a><a><a>..." is an error, not a stack overflow: S3's and Azure's documents nest 4 deep.
#include "aws/xml.h"

#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace aws {

namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  XmlNode document() {
    skip_misc();
    if (!peek('<')) fail("expected a root element");
    XmlNode root = element(1);
    skip_misc();
    if (pos_ != s_.size()) fail("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error("malformed XML at byte " + std::to_string(pos_) + ": " + why);
  }
  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool starts(const char* lit) const { return s_.compare(pos_, std::strlen(lit), lit) == 0; }
  void skip_ws() {
    while (pos_ < s_.size() && std::strchr(" \t\r\n", s_[pos_])) pos_++;
  }
  void skip_past(const char* end) {
    size_t e = s_.find(end, pos_);
    if (e == std::string::npos) fail(std::string("missing '") + end + "'");
    pos_ = e + std::strlen(end);
  }
  // Prolog, comments, processing instructions and DOCTYPE between elements.
  void skip_misc() {
    for (;;) {
      skip_ws();
      if (starts("<?")) skip_past("?>");
      else if (starts("<!--")) skip_past("-->");
      else if (starts("<!DOCTYPE")) skip_past(">");
      else return;
    }
  }
  std::string name() {
    size_t b = pos_;
    while (pos_ < s_.size() && !std::strchr(" \t\r\n/>=", s_[pos_])) pos_++;
    if (b == pos_) fail("expected a name");
    std::string n = s_.substr(b, pos_ - b);
    size_t colon = n.find(':');
    return colon == std::string::npos ? n : n.substr(colon + 1);
  }
  void skip_attributes() {
    for (;;) {
      skip_ws();
      if (peek('/') || peek('>')) return;
      name();
      skip_ws();
      if (!peek('=')) fail("expected '=' in an attribute");
      pos_++;
      skip_ws();
      if (!peek('"') && !peek('\'')) fail("expected a quoted attribute value");
      char q = s_[pos_++];
      size_t e = s_.find(q, pos_);
      if (e == std::string::npos) fail("unterminated attribute value");
      pos_ = e + 1;
    }
  }
  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  void entity(std::string& out) {
    size_t semi = s_.find(';', pos_);
    if (semi == std::string::npos || semi - pos_ > 12) fail("unterminated entity");
    std::string e = s_.substr(pos_ + 1, semi - pos_ - 1);
    pos_ = semi + 1;
    if (e == "lt") out += '<';
    else if (e == "gt") out += '>';
    else if (e == "amp") out += '&';
    else if (e == "quot") out += '"';
    else if (e == "apos") out += '\'';
    else if (e.size() > 1 && e[0] == '#') {
      bool hex = e[1] == 'x' || e[1] == 'X';
      try {
        append_utf8(out, static_cast<uint32_t>(std::stoul(e.substr(hex ? 2 : 1), nullptr, hex ? 16 : 10)));
      } catch (const std::logic_error&) {
        fail("bad character reference &" + e + ";");
      }
    } else {
      fail("unknown entity &" + e + ";");
    }
  }
  XmlNode element(int depth) {
    if (depth > kMaxDepth) fail("elements nested deeper than " + std::to_string(kMaxDepth));
    pos_++;  // '<'
    XmlNode node;
    node.name = name();
    skip_attributes();
    if (starts("/>")) {
      pos_ += 2;
      return node;
    }
    pos_++;  // '>'
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated element <" + node.name + ">");
      char c = s_[pos_];
      if (c == '<') {
        if (starts("</")) {
          pos_ += 2;
          std::string end = name();
          if (end != node.name) fail("</" + end + "> closes <" + node.name + ">");
          skip_ws();
          if (!peek('>')) fail("expected '>'");
          pos_++;
          return node;
        }
        if (starts("<!--")) {
          skip_past("-->");
        } else if (starts("<![CDATA[")) {
          size_t b = pos_ + 9, e = s_.find("]]>", b);
          if (e == std::string::npos) fail("unterminated CDATA");
          node.text += s_.substr(b, e - b);
          pos_ = e + 3;
        } else if (starts("<?")) {
          skip_past("?>");
        } else {
          node.children.push_back(element(depth + 1));
        }
      } else if (c == '&') {
        entity(node.text);
      } else {
        node.text += c;
        pos_++;
      }
    }
  }

  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace

const XmlNode* XmlNode::child(const std::string& n) const {
  for (const auto& c : children)
    if (c.name == n) return &c;
  return nullptr;
}

std::vector<const XmlNode*> XmlNode::children_named(const std::string& n) const {
  std::vector<const XmlNode*> out;
  for (const auto& c : children)
    if (c.name == n) out.push_back(&c);
  return out;
}

std::string XmlNode::child_text(const std::string& n) const {
  const XmlNode* c = child(n);
  return c ? c->text : "";
}

XmlNode parse_xml(const std::string& doc) { return Parser(doc).document(); }

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace aws
