// The XML of cloud storage answers (S3's and GCS's listings and errors, Azure's) as a small tree
// of elements and their text, read by expat. No entity definitions, no namespaces (prefixes are
// dropped), attributes skipped: cloud storage responses use none of them for data. Text put into
// the XML a client sends is escaped by gan::markup_escape (common/markup.h).
#pragma once
#include <string>
#include <vector>

namespace cloud {

struct XmlNode {
  std::string name;  // local name, without any "ns:" prefix
  std::string text;  // concatenated character data directly inside this element
  std::vector<XmlNode> children;

  const XmlNode* child(const std::string& name) const;              // first, or nullptr
  std::vector<const XmlNode*> children_named(const std::string& name) const;
  std::string child_text(const std::string& name) const;            // "" when absent
};

// Parses a document; throws std::runtime_error naming the offset on malformed input, and on
// elements nested more than 64 deep.
XmlNode parse_xml(const std::string& doc);

}  // namespace cloud
