#include "http/auth.h"

#include <cstdio>

#include "common/markup.h"

namespace gan::http {

bool constant_time_equal(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::string& longer = a.size() >= b.size() ? a : b;
  for (size_t i = 0; i < longer.size(); ++i) {
    unsigned char x = i < a.size() ? (unsigned char)a[i] : 0, y = i < b.size() ? (unsigned char)b[i] : 0;
    diff |= (unsigned char)(x ^ y);
  }
  return diff == 0;
}

std::string cookie_value(const std::string& header, const std::string& name) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    size_t b = part.find_first_not_of(' ');
    if (b != std::string::npos) part = part.substr(b);
    size_t eq = part.find('=');
    if (eq != std::string::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
    pos = end + 1;
  }
  return "";
}

bool token_ok(const std::string& token, const std::string& authorization, const std::string& cookie) {
  if (token.empty()) return true;
  const std::string bearer = "Bearer ";
  if (authorization.compare(0, bearer.size(), bearer) == 0 &&
      constant_time_equal(authorization.substr(bearer.size()), token))
    return true;
  std::string c = cookie_value(cookie, kTokenCookie);
  return !c.empty() && constant_time_equal(c, token);
}

std::string safe_next(const std::string& next) {
  if (next.empty() || next[0] != '/' || next.size() > 1000) return "/";
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "/";  // "//host" is another site
  for (unsigned char c : next) {
    if (c < 0x20 || c == '\\' || c == 0x7f) return "/";
  }
  return next;
}

std::string html_escape(const std::string& s) { return markup_escape(s, "&#39;"); }

}  // namespace gan::http
