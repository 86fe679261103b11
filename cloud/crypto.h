// Hashes and MACs the request signers need (SigV4, Azure Shared Key, GCS HMAC): thin wrappers over
// OpenSSL's one-shot EVP calls, as every signer works on whole strings; file payloads are hashed
// in 1 MiB reads so a multi-gigabyte part never sits in memory.
#pragma once
#include <cstdint>
#include <string>

#include "common/text.h"

namespace cloud {

// Raw 32-byte digest / MAC as a std::string of bytes.
std::string sha256(const std::string& data);
std::string hmac_sha256(const std::string& key, const std::string& data);
// SHA-256 of `length` bytes of a file from `offset` (length < 0: to the end). Throws on I/O errors.
std::string sha256_file(const std::string& path, int64_t offset = 0, int64_t length = -1);

std::string base64_encode(const std::string& bytes);
std::string base64_decode(const std::string& text);  // throws std::invalid_argument on bad input

inline std::string sha256_hex(const std::string& data) { return gan::hex(sha256(data)); }

}  // namespace cloud
