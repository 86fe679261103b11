// Text placed in XML or HTML markup (an SVG chart's title, the monitor's pages, the XML bodies the
// S3 and Blob clients send): '&', '<', '>', '"' and '\'' escaped. `apostrophe` is XML's "&apos;" by
// default; HTML pages use "&#39;". Header-only and dependency-free, like text.h.
#pragma once
#include <string>

namespace gan {

inline std::string markup_escape(const std::string& s, const char* apostrophe = "&apos;") {
  std::string out;
  for (char c : s) {
    const char* named = c == '&'    ? "&amp;"
                        : c == '<'  ? "&lt;"
                        : c == '>'  ? "&gt;"
                        : c == '"'  ? "&quot;"
                        : c == '\'' ? apostrophe
                                    : nullptr;
    if (named) out += named;
    else out += c;
  }
  return out;
}

}  // namespace gan
