// Dates as the web writes them, both ways, in UTC: what signers put in headers and URLs, what
// services answer with (HTTP's Date and Last-Modified, ISO 8601 in S3's XML, IMDS's JSON and SAS
// links), and gan's run ids. Locale-independent: day and month names are the C locale's, English.
#pragma once
#include <cstdint>
#include <string>

namespace gan {

// unix seconds → UTC text in a strftime format ("%Y%m%dT%H%M%SZ", "%a, %d %b %Y %H:%M:%S GMT").
std::string utc_time(int64_t unix_seconds, const char* format);
// RFC 1123 HTTP date ("Thu, 26 Nov 2026 10:30:18 GMT") → unix seconds; -1 when unparsable.
int64_t parse_http_date(const std::string& text);
// "2026-11-26T16:00:00Z" (ISO 8601, UTC, optional fraction and Z) or a date alone ("2026-11-26",
// its midnight) → unix seconds; -1 when unparsable, out of range or with another time zone.
int64_t parse_iso8601(const std::string& text);

}  // namespace gan
