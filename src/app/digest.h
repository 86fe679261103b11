// OpenSSL's SHA-256 as the core's Sha256 (src/common/digest.h). App side: linked into ./gan and
// the tests, never into build/libgancore.a.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace gan {

std::string sha256_hex(const std::vector<std::string_view>& pieces);
inline std::string sha256_hex(std::string_view bytes) { return sha256_hex(std::vector<std::string_view>{bytes}); }

}  // namespace gan
