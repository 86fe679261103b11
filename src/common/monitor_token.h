// The monitor access token's one rule, shared by the command line and the monitor (http/):
// 32 to 256 characters, each a letter, digit, '-' or '_'. 32 hex digits are 128 bits, the least
// that cannot be guessed over the network; the login cookie carries the token as is, so ';', ',',
// spaces or quotes would break it. `openssl rand -hex 16` makes a good one, and so does
// generate_monitor_token() (what a monitor bound to another machine's reach uses when none is given).
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>

#include "common/text.h"

namespace gan {

constexpr size_t kMinTokenChars = 32;
constexpr size_t kMaxTokenChars = 256;

// "" for a good token (or no token at all), else what is wrong with it
// ("the token contains ';' at position 3; use ...", "the token has 12 characters; ...").
inline std::string token_problem(const std::string& token) {
  if (token.empty()) return "";
  for (size_t i = 0; i < token.size(); ++i) {
    const unsigned char c = (unsigned char)token[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') continue;
    char what[48];
    if (c >= 0x21 && c < 0x7f) std::snprintf(what, sizeof what, "'%c'", c);
    else std::snprintf(what, sizeof what, "byte 0x%02x%s", c, c == ' ' ? " (a space)" : "");
    return std::string("the token contains ") + what + " at position " + std::to_string(i + 1) +
           "; use only letters, digits, '-' and '_' (e.g. openssl rand -hex 16)";
  }
  if (token.size() < kMinTokenChars || token.size() > kMaxTokenChars)
    return "the token has " + std::to_string(token.size()) + " characters; it needs " +
           std::to_string(kMinTokenChars) + " to " + std::to_string(kMaxTokenChars) +
           " (at least 128 bits: e.g. openssl rand -hex 16 makes 32)";
  return "";
}

// 32 hex digits (128 bits) from /dev/urandom. Throws std::runtime_error when it cannot be read.
inline std::string generate_monitor_token() {
  unsigned char raw[16];
  std::FILE* f = std::fopen("/dev/urandom", "rb");
  const bool ok = f && std::fread(raw, 1, sizeof raw, f) == sizeof raw;
  if (f) std::fclose(f);
  if (!ok) throw std::runtime_error("cannot read /dev/urandom to make a monitor token; set --monitor-token-file");
  return hex(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

}  // namespace gan
