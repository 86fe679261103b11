// Azure credential resolution; see credentials.h.
#include "azure/credentials.h"
#include "cloud/http.h"

#include <cstdlib>
#include <stdexcept>

#include "azure/managed_identity.h"

namespace azure {

using cloud::env;

namespace {

std::string strip_question(std::string s) {
  if (!s.empty() && s[0] == '?') s.erase(0, 1);
  return s;
}

}  // namespace

std::map<std::string, std::string> parse_connection_string(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(';', pos);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(pos, end - pos);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\n' || part.back() == '\r')) part.pop_back();
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    if (!part.empty()) {
      size_t eq = part.find('=');  // the first '=': keys and SAS values may end in '='
      if (eq == std::string::npos || eq == 0)
        throw std::invalid_argument("AZURE_STORAGE_CONNECTION_STRING: '" + part.substr(0, 40) +
                                    "' is not Key=Value; copy the whole connection string from the portal "
                                    "(Storage account > Access keys)");
      out[part.substr(0, eq)] = part.substr(eq + 1);
    }
    pos = end + 1;
  }
  return out;
}

std::string connection_string_account(const std::map<std::string, std::string>& kv) {
  auto dev = kv.find("UseDevelopmentStorage");
  if (dev != kv.end() && dev->second == "true") return kDevAccount;
  auto name = kv.find("AccountName");
  return name == kv.end() ? "" : name->second;
}

ResolvedCredential resolve_credential(const std::string& account, const std::string& endpoint) {
  ResolvedCredential r;
  const std::string cs = env("AZURE_STORAGE_CONNECTION_STRING");
  if (!cs.empty()) {
    auto kv = parse_connection_string(cs);
    const std::string name = connection_string_account(kv);
    if (kv.count("UseDevelopmentStorage") && kv["UseDevelopmentStorage"] == "true") {
      kv["AccountKey"] = kDevKey;
      if (!kv.count("BlobEndpoint")) kv["BlobEndpoint"] = "http://127.0.0.1:10000/devstoreaccount1";
    }
    if (!name.empty() && name != account) {
      r.tried += "AZURE_STORAGE_CONNECTION_STRING is for account '" + name + "', not '" + account + "'; ";
    } else {
      if (kv.count("BlobEndpoint")) r.endpoint = kv["BlobEndpoint"];
      else if (kv.count("EndpointSuffix") && !kv["EndpointSuffix"].empty())
        r.endpoint = (kv.count("DefaultEndpointsProtocol") ? kv["DefaultEndpointsProtocol"] : "https") + "://" +
                     account + ".blob." + kv["EndpointSuffix"];
      if (kv.count("AccountKey") && !kv["AccountKey"].empty()) {
        r.credential.kind = AzureCredential::Kind::SharedKey;
        r.credential.key = kv["AccountKey"];
        r.credential.source = "AZURE_STORAGE_CONNECTION_STRING (account key)";
        return r;
      }
      if (kv.count("SharedAccessSignature") && !kv["SharedAccessSignature"].empty()) {
        r.credential.kind = AzureCredential::Kind::Sas;
        r.credential.sas = strip_question(kv["SharedAccessSignature"]);
        r.credential.source = "AZURE_STORAGE_CONNECTION_STRING (SAS)";
        return r;
      }
      r.tried += "AZURE_STORAGE_CONNECTION_STRING has neither AccountKey= nor SharedAccessSignature=; ";
    }
  } else {
    r.tried += "AZURE_STORAGE_CONNECTION_STRING is not set; ";
  }
  const std::string key = env("AZURE_STORAGE_KEY");
  const std::string key_account = env("AZURE_STORAGE_ACCOUNT");
  if (!key.empty() && (key_account.empty() || key_account == account)) {
    r.credential.kind = AzureCredential::Kind::SharedKey;
    r.credential.key = key;
    r.credential.source = "AZURE_STORAGE_KEY";
    return r;
  }
  r.tried += key.empty() ? "AZURE_STORAGE_KEY is not set; "
                         : "AZURE_STORAGE_KEY is for AZURE_STORAGE_ACCOUNT='" + key_account + "', not '" + account + "'; ";
  const std::string sas = env("AZURE_STORAGE_SAS_TOKEN");
  if (!sas.empty()) {
    r.credential.kind = AzureCredential::Kind::Sas;
    r.credential.sas = strip_question(sas);
    r.credential.source = "AZURE_STORAGE_SAS_TOKEN";
    return r;
  }
  r.tried += "AZURE_STORAGE_SAS_TOKEN is not set; ";
  if (account == kDevAccount) {
    r.credential.kind = AzureCredential::Kind::SharedKey;
    r.credential.key = kDevKey;
    r.credential.source = "the storage emulator's well-known key for devstoreaccount1";
    if (endpoint.empty()) r.endpoint = "http://127.0.0.1:10000/devstoreaccount1";
    return r;
  }
  r.credential.kind = AzureCredential::Kind::Bearer;
  r.credential.tokens = std::make_shared<cloud::TokenCache>(std::make_shared<ManagedIdentitySource>());
  r.credential.source = r.credential.tokens->name();
  r.credential.skipped = r.tried;
  return r;
}

}  // namespace azure
