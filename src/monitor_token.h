// What a monitor access token may hold: letters, digits, '-' and '_'. The login cookie carries the
// token as is, so ';', ',', spaces or quotes would break it; hex or base64url tokens
// (openssl rand -hex 16) fit. The CLI checks --monitor-token and GAN_MONITOR_TOKEN with it, the
// monitor (http/) any token it is given.
#pragma once
#include <cstdio>
#include <string>

namespace gan {

// "" for a good token, else what is wrong with it ("the token contains ';' at position 3; use ...").
inline std::string token_problem(const std::string& token) {
  for (size_t i = 0; i < token.size(); ++i) {
    const unsigned char c = (unsigned char)token[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') continue;
    char what[48];
    if (c >= 0x21 && c < 0x7f) std::snprintf(what, sizeof what, "'%c'", c);
    else std::snprintf(what, sizeof what, "byte 0x%02x%s", c, c == ' ' ? " (a space)" : "");
    return std::string("the token contains ") + what + " at position " + std::to_string(i + 1) +
           "; use only letters, digits, '-' and '_' (e.g. openssl rand -hex 16)";
  }
  return "";
}

}  // namespace gan
