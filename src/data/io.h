// Whole-file reads and gzip decoding for the dataset loaders. Every failure throws DataError
// naming the path, because the user's fix is always "replace/remove that file".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/fs.h"

namespace gan {
namespace data {

std::vector<uint8_t> read_file(const std::string& path);  // DataError when unreadable

// RFC 1952 gzip (one member) -> bytes, through zlib; CRC-32 and ISIZE of the trailer are checked.
// `path` only names the input in error messages.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& gz, const std::string& path);

}  // namespace data
}  // namespace gan
