// Shared Key signing and service SAS; see shared_key.h.
#include "azure/shared_key.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>
#include <vector>

#include "cloud/crypto.h"
#include "common/text.h"

namespace azure {

// Azure's "unfolding" of header values.
static std::string fold(const std::string& v) { return cloud::fold_spaces(v, " \t\r\n"); }

std::string encode_query(const KeyValues& raw_query) {
  std::string out;
  for (const auto& [k, v] : raw_query)
    out += (out.empty() ? "" : "&") + gan::uri_encode(k, true) + "=" + gan::uri_encode(v, true);
  return out;
}

std::string canonicalized_headers(const KeyValues& headers) {
  std::multimap<std::string, std::string> ms;  // equal names keep their order
  for (const auto& [k, v] : headers) {
    std::string name = gan::lower(fold(k));
    if (name.rfind("x-ms-", 0) == 0) ms.emplace(name, fold(v));
  }
  std::string out;
  for (const auto& [k, v] : ms) out += k + ":" + v + "\n";
  return out;
}

std::string canonicalized_resource(const std::string& account, const std::string& raw_path, const KeyValues& raw_query) {
  std::string out = "/" + account + gan::uri_encode(raw_path.empty() ? "/" : raw_path, false);
  std::map<std::string, std::vector<std::string>> params;
  for (const auto& [k, v] : raw_query) params[gan::lower(k)].push_back(v);
  for (auto& [k, values] : params) {
    std::sort(values.begin(), values.end());
    out += "\n" + k + ":";
    for (size_t i = 0; i < values.size(); i++) out += (i ? "," : "") + values[i];
  }
  return out;
}

std::string standard_header_lines(const BlobRequest& req) {
  std::string out = req.method + "\n";
  for (const std::string name : {"content-encoding", "content-language", "content-length", "content-md5", "content-type",
                                 "date", "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range"}) {
    auto it = std::find_if(req.headers.begin(), req.headers.end(), [&](const auto& h) { return gan::lower(h.first) == name; });
    std::string value = it == req.headers.end() ? "" : it->second;
    if (value == "0" && name == "content-length") value = "";  // 2015-02-21 and later: empty for zero
    out += value + "\n";
  }
  return out;
}

std::string shared_key_signature(const std::string& key_base64, const std::string& sts) {
  std::string key;
  try {
    key = cloud::base64_decode(key_base64);
  } catch (const std::exception&) {
    throw std::invalid_argument(
        "the Azure storage account key is not valid base64: copy key1 or key2 from the portal "
        "(Storage account > Access keys) into AZURE_STORAGE_KEY or AccountKey= of the connection string");
  }
  return cloud::base64_encode(cloud::hmac_sha256(key, sts));
}

std::string sign_shared_key(BlobRequest& req, const std::string& account, const std::string& key_base64, int64_t now) {
  bool has_version = false;
  for (auto it = req.headers.begin(); it != req.headers.end();) {
    std::string n = gan::lower(it->first);
    if (n == "x-ms-date" || n == "authorization") {
      it = req.headers.erase(it);  // a stale value from an earlier attempt
      continue;
    }
    // Send x-ms- values already folded: the documentation folds whitespace runs, while Azurite and
    // the SDKs only trim the start; a value with no runs and no edge spaces reads the same to all.
    if (n.rfind("x-ms-", 0) == 0) it->second = fold(it->second);
    has_version |= n == "x-ms-version";
    ++it;
  }
  req.headers.emplace_back("x-ms-date", rfc1123_date(now));
  if (!has_version) req.headers.emplace_back("x-ms-version", kApiVersion);
  const std::string string_to_sign = standard_header_lines(req) + canonicalized_headers(req.headers) +
                                    canonicalized_resource(account, req.path, req.query);
  return "SharedKey " + account + ":" + shared_key_signature(key_base64, string_to_sign);
}

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
