// gzip for response bodies the monitor caches (the downsampled series).
//
// cpp-httplib compresses every response on the fly when the client accepts gzip, which for a
// 200 kB series costs ~14 ms of CPU per request, per client. The series is the same for every
// page showing a run, so the server compresses it once, caches it, and sends it with its own
// Content-Encoding (under a Content-Type httplib does not compress again).
#pragma once
#include <string>

namespace gan::http {

// RFC 1952 gzip of `data` (zlib's deflate with a gzip wrapper). Throws on zlib failure.
std::string gzip_compress(const std::string& data, int level = 6);

// Whether an Accept-Encoding header value accepts gzip (a "gzip" token not marked q=0).
bool accepts_gzip(const std::string& accept_encoding);

}  // namespace gan::http
