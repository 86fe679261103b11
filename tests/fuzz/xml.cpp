// The XML reader for S3/Azure/GCS responses (aws/xml.cpp); text escaped by xml_escape reads back.
#include "aws/xml.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string doc(reinterpret_cast<const char*>(data), size);
  fuzz::accepts([&] {
    aws::XmlNode n = aws::parse_xml(doc);
    (void)n.child_text("Key");
  });
  // Round trip: any text without NUL, escaped, is read back as itself.
  if (doc.find('\0') == std::string::npos && doc.find('\r') == std::string::npos) {
    aws::XmlNode n;
    fuzz::check(fuzz::accepts([&] { n = aws::parse_xml("<a>" + aws::xml_escape(doc) + "</a>"); }),
                "escaped text does not parse");
    fuzz::check(n.text == doc, "escaped text does not read back as itself");
  }
  return 0;
}
