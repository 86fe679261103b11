// SAS tokens; see sas.h.
#include "azure/sas.h"

#include <ctime>

#include "aws/sigv4.h"
#include "azure/shared_key.h"

namespace azure {

namespace {

std::string q(const std::string& name, const std::string& value) {
  return name + "=" + aws::uri_encode(value, true);
}

}  // namespace

std::string sas_time(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

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

bool sas_is_read_only(const std::string& sas_query) {
  const std::string sp = sas_permissions(sas_query);
  return sp.find('r') != std::string::npos && sp.find_first_not_of("rl") == std::string::npos;
}

}  // namespace azure
