// Small string helpers every layer needs (parsers, signers, the monitor, settings read from the
// environment): written once here. Header-only and dependency-free, so the core, storage, the
// cloud layer and http may all use it.
#pragma once
#include <cctype>
#include <cstdlib>
#include <string>
#include <string_view>

namespace gan {

// `s` in ASCII lower case (header names, hosts, hex digests): locale-independent.
inline std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// `s` without the leading and trailing characters found in `chars`.
inline std::string trim(const std::string& s, const char* chars = " \t\r\n") {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(chars) - b + 1);
}

// RFC 3986 percent-encoding: every byte but A-Z a-z 0-9 - . _ ~ (and '/' unless encode_slash) as
// %XX, uppercase; what SigV4's canonical request, Azure's URLs and the monitor's redirects expect.
inline std::string uri_encode(std::string_view s, bool encode_slash) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~' || (c == '/' && !encode_slash))
      out += static_cast<char>(c);
    else
      out += {'%', digits[c >> 4], digits[c & 15]};
  }
  return out;
}

// Bytes as lowercase hex digits (digests, signatures, random tokens).
inline std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) out += {digits[c >> 4], digits[c & 15]};
  return out;
}

// The environment variable `name`; "" when unset.
inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace gan
