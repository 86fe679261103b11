// The XML reader over expat; see xml.h. Nesting is capped so a hostile "<a><a><a>..." is an error,
// not a tree that fills memory (S3's and Azure's documents nest 4 deep); a document type with
// entity definitions is refused, so no entity expansion can blow up.
#include "cloud/xml.h"

#include <expat.h>

#include <memory>
#include <stdexcept>

namespace cloud {

namespace {

constexpr int kMaxDepth = 64;

struct Builder {
  XML_Parser parser;
  XmlNode root;
  std::vector<XmlNode*> open;
  std::string error;
  void stop(std::string why) {
    if (error.empty()) error = std::move(why);
    XML_StopParser(parser, XML_FALSE);
  }
};

void on_start(void* data, const XML_Char* name, const XML_Char**) {
  auto* b = static_cast<Builder*>(data);
  if (static_cast<int>(b->open.size()) >= kMaxDepth)
    return b->stop("elements nested deeper than " + std::to_string(kMaxDepth));
  XmlNode* node = b->open.empty() ? &b->root : &(b->open.back()->children.emplace_back());
  node->name = name;
  if (size_t colon = node->name.find(':'); colon != std::string::npos) node->name.erase(0, colon + 1);
  b->open.push_back(node);
}

void on_end(void* data, const XML_Char*) { static_cast<Builder*>(data)->open.pop_back(); }

void on_text(void* data, const XML_Char* s, int len) {
  auto* b = static_cast<Builder*>(data);
  if (!b->open.empty()) b->open.back()->text.append(s, static_cast<size_t>(len));
}

void on_doctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int has_internal_subset) {
  if (has_internal_subset) static_cast<Builder*>(data)->stop("a document type with its own definitions");
}

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

XmlNode parse_xml(const std::string& doc) {
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreate(nullptr), XML_ParserFree);
  if (!parser) throw std::bad_alloc();
  Builder b{parser.get(), {}, {}, {}};
  XML_SetUserData(b.parser, &b);
  XML_SetElementHandler(b.parser, on_start, on_end);
  XML_SetCharacterDataHandler(b.parser, on_text);
  XML_SetStartDoctypeDeclHandler(b.parser, on_doctype);
  if (XML_Parse(b.parser, doc.data(), static_cast<int>(doc.size()), XML_TRUE) != XML_STATUS_OK || !b.error.empty())
    throw std::runtime_error("malformed XML at byte " + std::to_string(XML_GetCurrentByteIndex(b.parser)) + ": " +
                             (b.error.empty() ? XML_ErrorString(XML_GetErrorCode(b.parser)) : b.error));
  return std::move(b.root);
}

}  // namespace cloud
