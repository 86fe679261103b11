// A tiny XML reader for S3's (and Azure's) response bodies: elements, text and the five entities
// plus numeric references. No DTDs, no namespaces (prefixes are dropped), attributes skipped:
// cloud storage responses use none of them for data, and a small reader is easy to audit.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace aws {

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

// Escapes text for an element body (&, <, >, ", ').
std::string xml_escape(const std::string& text);

}  // namespace aws
