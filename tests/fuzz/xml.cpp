// The XML reader for S3/Azure/GCS responses (cloud/xml.cpp, over expat); text escaped by
// gan::markup_escape (what the clients send) reads back.
#include "cloud/xml.h"
#include "common/markup.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string doc(reinterpret_cast<const char*>(data), size);
  fuzz::accepts([&] {
    cloud::XmlNode n = cloud::parse_xml(doc);
    (void)n.child_text("Key");
  });
  // Round trip: any printable ASCII text (tabs and newlines too; XML forbids other control
  // characters and turns \r into \n), escaped, is read back as itself.
  bool plain = true;
  for (unsigned char c : doc) plain &= (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n';
  if (plain) {
    cloud::XmlNode n;
    fuzz::check(fuzz::accepts([&] { n = cloud::parse_xml("<a>" + gan::markup_escape(doc) + "</a>"); }),
                "escaped text does not parse");
    fuzz::check(n.text == doc, "escaped text does not read back as itself");
  }
  return 0;
}
