// Whole-file reads and gzip decoding for the dataset loaders. Every failure throws DataError
// naming the path, because the user's fix is always "replace/remove that file".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gan {
namespace data {

std::vector<uint8_t> read_file(const std::string& path);  // DataError when unreadable
bool file_exists(const std::string& path);
bool dir_exists(const std::string& path);
std::string join_path(const std::string& a, const std::string& b);

// RFC 1952 gzip (one member) -> bytes; CRC-32 and ISIZE of the trailer are checked. `path` only
// names the input in error messages.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& gz, const std::string& path);
uint32_t crc32(const uint8_t* p, size_t n, uint32_t crc = 0);

}  // namespace data
}  // namespace gan
