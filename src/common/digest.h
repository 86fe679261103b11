// A SHA-256 the core is handed rather than links: lowercase hex of the pieces, concatenated. ./gan
// and the tests pass OpenSSL's (src/app/digest.h), so the core (./bench, the GPU tests) needs no
// crypto library. Used for the dataset download check and the evaluator cache's key.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gan {

using Sha256 = std::function<std::string(const std::vector<std::string_view>& pieces)>;

}  // namespace gan
