// OpenSSL one-shot digests; see crypto.h.
#include "cloud/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <vector>

namespace cloud {

std::string sha256(const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL EVP_Digest failed");
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n))
    throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string sha256_file(const std::string& path, int64_t offset, int64_t length) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw std::runtime_error("cannot open '" + path + "' to hash it");
  if (offset && fseeko(f.get(), offset, SEEK_SET) != 0)
    throw std::runtime_error("cannot seek to " + std::to_string(offset) + " in '" + path + "'");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  for (int64_t left = length < 0 ? INT64_MAX : length; left > 0;) {
    size_t got = std::fread(buf.data(), 1, static_cast<size_t>(std::min<int64_t>(left, buf.size())), f.get());
    if (got == 0) {
      if (std::ferror(f.get())) throw std::runtime_error("read error while hashing '" + path + "'");
      if (length >= 0) throw std::runtime_error("'" + path + "' is shorter than expected");
      break;
    }
    EVP_DigestUpdate(ctx.get(), buf.data(), got);
    left -= static_cast<int64_t>(got);
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), out, &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string base64_encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(&out[0]),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string base64_decode(const std::string& text) {
  if (text.size() % 4 != 0) throw std::invalid_argument("base64 text length is not a multiple of 4");
  std::string out(3 * text.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(&out[0]),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) throw std::invalid_argument("invalid base64 text");
  // EVP_DecodeBlock counts padding bytes as output; drop one per '=' among the last two characters.
  out.resize(static_cast<size_t>(n) - std::count(text.end() - std::min<size_t>(text.size(), 2), text.end(), '='));
  return out;
}

}  // namespace cloud
