// The optional access token: accepted as "Authorization: Bearer <token>" (scripts, curl) or as
// the cookie the login form sets (browsers, including EventSource, which cannot send headers).
//
// Comparisons take time independent of where the strings differ, so the token cannot be guessed
// one character at a time from response times.
#pragma once
#include <string>

#include "common/monitor_token.h"

namespace gan::http {

constexpr const char* kTokenCookie = "gan_monitor_token";

using gan::token_problem;  // what a token may hold (src/common/monitor_token.h)

bool constant_time_equal(const std::string& a, const std::string& b);
// The value of cookie `name` in a Cookie header, or "".
std::string cookie_value(const std::string& cookie_header, const std::string& name);
// Whether the Authorization and Cookie headers carry `token`.
bool token_ok(const std::string& token, const std::string& authorization, const std::string& cookie);
// A redirect target after login: a local path ("/run/10"), else "/" (no open redirects).
std::string safe_next(const std::string& next);
std::string html_escape(const std::string& s);

}  // namespace gan::http
