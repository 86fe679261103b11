// Azure credential resolution; see credentials.h.
#include "azure/credentials.h"

#include <sstream>
#include <stdexcept>

#include "azure/managed_identity.h"
#include "common/text.h"

namespace azure {

std::map<std::string, std::string> parse_connection_string(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream parts(text);
  for (std::string part; std::getline(parts, part, ';');) {
    part = gan::trim(part);
    if (part.empty()) continue;
    size_t eq = part.find('=');  // the first '=': keys and SAS values may end in '='
    if (eq == std::string::npos || eq == 0)
      throw std::invalid_argument("AZURE_STORAGE_CONNECTION_STRING: '" + part.substr(0, 40) +
                                  "' is not Key=Value; copy the whole connection string from the portal "
                                  "(Storage account > Access keys)");
    out[part.substr(0, eq)] = part.substr(eq + 1);
  }
  return out;
}

std::string connection_string_account(const std::map<std::string, std::string>& kv) {
  auto dev = kv.find("UseDevelopmentStorage"), name = kv.find("AccountName");
  if (dev != kv.end() && dev->second == "true") return kDevAccount;
  return name == kv.end() ? "" : name->second;
}

ResolvedCredential resolve_credential(const std::string& account, const std::string& endpoint) {
  using Kind = AzureCredential::Kind;
  ResolvedCredential r;
  auto use = [&r](Kind kind, const std::string& secret, const std::string& source) {
    r.credential.kind = kind;
    if (kind == Kind::Sas) r.credential.sas = secret[0] == '?' ? secret.substr(1) : secret;  // without '?'
    else r.credential.key = secret;
    r.credential.source = source;
    return r;
  };
  const std::string cs = gan::env("AZURE_STORAGE_CONNECTION_STRING");
  auto kv = parse_connection_string(cs);  // empty when unset
  const std::string name = connection_string_account(kv);
  if (kv["UseDevelopmentStorage"] == "true") {
    kv["AccountKey"] = kDevKey;
    kv.emplace("BlobEndpoint", kDevEndpoint);
  }
  if (cs.empty()) {
    r.credential.skipped += "AZURE_STORAGE_CONNECTION_STRING is not set; ";
  } else if (!name.empty() && name != account) {
    r.credential.skipped += "AZURE_STORAGE_CONNECTION_STRING is for account '" + name + "', not '" + account + "'; ";
  } else {
    if (kv.count("BlobEndpoint")) r.endpoint = kv["BlobEndpoint"];
    else if (!kv["EndpointSuffix"].empty())
      r.endpoint = (kv.count("DefaultEndpointsProtocol") ? kv["DefaultEndpointsProtocol"] : "https") + "://" + account +
                   ".blob." + kv["EndpointSuffix"];
    if (!kv["AccountKey"].empty())
      return use(Kind::SharedKey, kv["AccountKey"], "AZURE_STORAGE_CONNECTION_STRING (account key)");
    if (!kv["SharedAccessSignature"].empty())
      return use(Kind::Sas, kv["SharedAccessSignature"], "AZURE_STORAGE_CONNECTION_STRING (SAS)");
    r.credential.skipped += "AZURE_STORAGE_CONNECTION_STRING has neither AccountKey= nor SharedAccessSignature=; ";
  }
  const std::string key = gan::env("AZURE_STORAGE_KEY");
  const std::string key_account = gan::env("AZURE_STORAGE_ACCOUNT");
  if (!key.empty() && (key_account.empty() || key_account == account)) return use(Kind::SharedKey, key, "AZURE_STORAGE_KEY");
  r.credential.skipped += key.empty() ? "AZURE_STORAGE_KEY is not set; "
                                      : "AZURE_STORAGE_KEY is for AZURE_STORAGE_ACCOUNT='" + key_account + "', not '" + account + "'; ";
  if (const std::string sas = gan::env("AZURE_STORAGE_SAS_TOKEN"); !sas.empty())
    return use(Kind::Sas, sas, "AZURE_STORAGE_SAS_TOKEN");
  r.credential.skipped += "AZURE_STORAGE_SAS_TOKEN is not set; ";
  if (account == kDevAccount) {
    if (endpoint.empty()) r.endpoint = kDevEndpoint;
    return use(Kind::SharedKey, kDevKey, "the storage emulator's well-known key for devstoreaccount1");
  }
  r.credential.kind = Kind::Bearer;
  r.credential.tokens = std::make_shared<cloud::TokenCache>(std::make_shared<ManagedIdentitySource>());
  r.credential.source = r.credential.tokens->name();
  return r;
}

}  // namespace azure
