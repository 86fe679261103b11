// Small string helpers every layer needs (parsers, signers, the monitor): written once here.
// Header-only and dependency-free, so the core, storage, the cloud layer and http may all use it.
#pragma once
#include <cctype>
#include <string>

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

}  // namespace gan
