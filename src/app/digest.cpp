#include "app/digest.h"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

#include "common/text.h"

namespace gan {

std::string sha256_hex(const std::vector<std::string_view>& pieces) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  bool ok = ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1;
  for (std::string_view p : pieces) ok = ok && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) == 1;
  if (!(ok && EVP_DigestFinal_ex(ctx.get(), md, &len) == 1)) throw std::runtime_error("OpenSSL SHA-256 failed");
  return hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

}  // namespace gan
