// UTC dates both ways; see dates.h.
#include "common/dates.h"

#include <cstdio>
#include <ctime>

namespace gan {

std::string utc_time(int64_t unix_seconds, const char* format) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

int64_t parse_http_date(const std::string& text) {
  std::tm tm{};
  return strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) ? static_cast<int64_t>(timegm(&tm)) : -1;
}

int64_t parse_iso8601(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, end = 0;
  const int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &end);
  // After the seconds only a fraction, then Z or nothing: an offset ("+01:00") would be misread as UTC.
  const size_t zone = text.find_first_not_of("0123456789", end + (text[end] == '.' ? 1 : 0));
  const bool date_alone = n == 3 && text.size() == 10;  // a SAS's se= may be one: its midnight, UTC
  if (!date_alone && !(n == 6 && (zone == std::string::npos || text[zone] == 'Z'))) return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return -1;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace gan
