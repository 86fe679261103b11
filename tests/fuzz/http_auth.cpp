// The monitor's cookie, query and token helpers (http/auth.cpp, and gan::uri_encode for its
// redirects). The input is split at the first
// two NUL bytes into a token, an Authorization header and a Cookie header.
#include <cctype>
#include <cstring>

#include "fuzz_util.h"
#include "common/text.h"
#include "http/auth.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const size_t a = in.find('\0'), b = a == std::string::npos ? a : in.find('\0', a + 1);
  const std::string token = in.substr(0, a);
  const std::string authorization = a == std::string::npos ? "" : in.substr(a + 1, b == std::string::npos ? b : b - a - 1);
  const std::string cookie = b == std::string::npos ? in : in.substr(b + 1);

  const std::string v = gan::http::cookie_value(cookie, gan::http::kTokenCookie);
  fuzz::check(v.find(';') == std::string::npos, "a cookie value holds ';'");
  const bool ok = gan::http::token_ok(token, authorization, cookie);
  if (!token.empty() && ok)
    fuzz::check(authorization == "Bearer " + token || gan::http::cookie_value(cookie, gan::http::kTokenCookie) == token,
                "token_ok accepted a request that carries another token");
  fuzz::check(gan::http::constant_time_equal(in, in), "constant_time_equal(x, x) is false");
  if (!token.empty()) fuzz::check(!gan::http::constant_time_equal(token, token + "x"), "constant_time_equal ignores a longer string");

  const std::string next = gan::http::safe_next(in);
  fuzz::check(next == "/" || (next[0] == '/' && (next.size() == 1 || (next[1] != '/' && next[1] != '\\'))),
              "safe_next let another site through");
  for (unsigned char c : next) fuzz::check(c >= 0x20 && c != 0x7f && c != '\\', "safe_next let a control character through");

  for (char c : gan::http::html_escape(in))
    fuzz::check(c != '<' && c != '>' && c != '"' && c != '\'', "html_escape left a special character");
  for (unsigned char c : gan::uri_encode(in, false))
    fuzz::check(std::isalnum(c) || std::strchr("-._~/%", c), "uri_encode left a reserved character");
  (void)gan::http::token_problem(in);
  return 0;
}
