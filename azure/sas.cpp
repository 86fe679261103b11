// Service SAS tokens and reading a SAS query string; see sas.h.
#include "azure/sas.h"

#include <algorithm>
#include <cctype>

#include "azure/shared_key.h"

namespace azure {

std::string service_sas_string_to_sign(const ServiceSas& s) {
  std::string resource = "/blob/" + s.account + "/" + s.container + (s.blob.empty() ? "" : "/" + s.blob);
  return s.permissions + "\n" + (s.start ? sas_time(s.start) : "") + "\n" + sas_time(s.expiry) + "\n" + resource +
         "\n" + /*si*/ "\n" + /*sip*/ "\n" + s.protocol + "\n" + kSasVersion + "\n" + (s.blob.empty() ? "c" : "b") +
         "\n" + /*snapshot*/ "\n" + /*rscc*/ "\n" + /*rscd*/ "\n" + /*rsce*/ "\n" + /*rscl*/ "\n" /*rsct*/;
}

std::string service_sas_query(const ServiceSas& s, const std::string& key_base64) {
  KeyValues q = {{"sv", kSasVersion}, {"sr", s.blob.empty() ? "c" : "b"}, {"sp", s.permissions}};
  if (s.start) q.emplace_back("st", sas_time(s.start));
  q.emplace_back("se", sas_time(s.expiry));
  if (!s.protocol.empty()) q.emplace_back("spr", s.protocol);
  q.emplace_back("sig", shared_key_signature(key_base64, service_sas_string_to_sign(s)));
  return encode_query(q);
}

std::string sas_field(const std::string& sas_query, const std::string& name) {
  const std::string query = "&" + sas_query, key = "&" + name + "=";
  const size_t pos = query.find(key);
  if (pos == std::string::npos) return "";
  const size_t end = std::min(query.find('&', pos + 1), query.size());
  std::string out;
  for (size_t i = pos + key.size(); i < end; i++) {
    if (query[i] == '%' && i + 2 < end && std::isxdigit(static_cast<unsigned char>(query[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(query[i + 2]))) {
      out += static_cast<char>(std::stoi(query.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += query[i] == '+' ? ' ' : query[i];
    }
  }
  return out;
}

}  // namespace azure
