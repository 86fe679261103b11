// SAS tokens; see sas.h.
#include "azure/sas.h"

#include <cctype>
#include <cstdio>
#include <ctime>

#include "cloud/http.h"
#include "azure/shared_key.h"

namespace azure {

namespace {

std::string q(const std::string& name, const std::string& value) {
  return name + "=" + cloud::uri_encode(value, true);
}

}  // namespace

std::string sas_time(int64_t unix_seconds) { return cloud::utc_time(unix_seconds, "%Y-%m-%dT%H:%M:%SZ"); }

std::string service_sas_string_to_sign(const ServiceSas& s) {
  std::string resource = "/blob/" + s.account + "/" + s.container + (s.blob.empty() ? "" : "/" + s.blob);
  return s.permissions + "\n" + (s.start ? sas_time(s.start) : "") + "\n" + sas_time(s.expiry) + "\n" + resource +
         "\n" + /*si*/ "\n" + /*sip*/ "\n" + s.protocol + "\n" + kSasVersion + "\n" + (s.blob.empty() ? "c" : "b") +
         "\n" + /*snapshot*/ "\n" + /*rscc*/ "\n" + /*rscd*/ "\n" + /*rsce*/ "\n" + /*rscl*/ "\n" /*rsct*/;
}

std::string service_sas_query(const ServiceSas& s, const std::string& key_base64) {
  std::string sig = shared_key_signature(key_base64, service_sas_string_to_sign(s));
  std::string out = q("sv", kSasVersion) + "&" + q("sr", s.blob.empty() ? "c" : "b") + "&" + q("sp", s.permissions);
  if (s.start) out += "&" + q("st", sas_time(s.start));
  out += "&" + q("se", sas_time(s.expiry));
  if (!s.protocol.empty()) out += "&" + q("spr", s.protocol);
  return out + "&" + q("sig", sig);
}

std::string account_sas_string_to_sign(const AccountSas& s) {
  return s.account + "\n" + s.permissions + "\n" + s.services + "\n" + s.resource_types + "\n" +
         (s.start ? sas_time(s.start) : "") + "\n" + sas_time(s.expiry) + "\n" + /*sip*/ "\n" + s.protocol + "\n" +
         kSasVersion + "\n";
}

std::string account_sas_query(const AccountSas& s, const std::string& key_base64) {
  std::string sig = shared_key_signature(key_base64, account_sas_string_to_sign(s));
  std::string out = q("sv", kSasVersion) + "&" + q("ss", s.services) + "&" + q("srt", s.resource_types) + "&" +
                    q("sp", s.permissions);
  if (s.start) out += "&" + q("st", sas_time(s.start));
  out += "&" + q("se", sas_time(s.expiry));
  if (!s.protocol.empty()) out += "&" + q("spr", s.protocol);
  return out + "&" + q("sig", sig);
}

std::string sas_permissions(const std::string& sas_query) {
  size_t pos = 0;
  while (pos <= sas_query.size()) {
    size_t end = sas_query.find('&', pos);
    if (end == std::string::npos) end = sas_query.size();
    if (sas_query.compare(pos, 3, "sp=") == 0 && pos + 3 <= end) return sas_query.substr(pos + 3, end - pos - 3);
    pos = end + 1;
  }
  return "";
}

std::string sas_field(const std::string& sas_query, const std::string& name) {
  size_t pos = 0;
  while (pos <= sas_query.size()) {
    size_t end = sas_query.find('&', pos);
    if (end == std::string::npos) end = sas_query.size();
    if (sas_query.compare(pos, name.size() + 1, name + "=") == 0 && pos + name.size() + 1 <= end) {
      std::string raw = sas_query.substr(pos + name.size() + 1, end - pos - name.size() - 1), out;
      for (size_t i = 0; i < raw.size(); i++) {
        if (raw[i] == '%' && i + 2 < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
          out += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          out += raw[i] == '+' ? ' ' : raw[i];
        }
      }
      return out;
    }
    pos = end + 1;
  }
  return "";
}

int64_t sas_expiry(const std::string& sas_query) {
  const std::string se = sas_field(sas_query, "se");
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char z = 0;
  int n = std::sscanf(se.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &z);
  if (n == 3 && se.size() == 10) {
    h = mi = sec = 0;  // a date alone: its midnight, UTC
  } else if (!(n == 7 && z == 'Z') && !(n == 6 && se.size() == 19)) {
    return -1;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return -1;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm));
}

bool sas_is_read_only(const std::string& sas_query) {
  const std::string sp = sas_permissions(sas_query);
  return sp.find('r') != std::string::npos && sp.find_first_not_of("rl") == std::string::npos;
}

}  // namespace azure
