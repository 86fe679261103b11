// Which Azure credential a Blob request is authorised with, and where it came from.
//
// resolve_credential() looks, in this order, and takes the first that applies:
//   1. AZURE_STORAGE_CONNECTION_STRING (AccountKey=, or SharedAccessSignature=; its BlobEndpoint=
//      becomes the endpoint unless one was given);
//   2. AZURE_STORAGE_KEY (for AZURE_STORAGE_ACCOUNT, or for the URL's account when that is unset);
//   3. AZURE_STORAGE_SAS_TOKEN;
//   4. for the storage emulator's account devstoreaccount1, Azurite's published well-known key;
//   5. managed identity (IMDS), checked when the first request needs a token.
// A connection string or key for another account than the URL's is skipped with a note, so the
// error (if nothing else applies) says exactly what was found and why it was not used.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "cloud/token_cache.h"

namespace azure {

// Azurite's (and the old storage emulator's) published development account and key, and its
// default Blob endpoint.
constexpr const char* kDevAccount = "devstoreaccount1";
constexpr const char* kDevEndpoint = "http://127.0.0.1:10000/devstoreaccount1";
constexpr const char* kDevKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

struct AzureCredential {
  enum class Kind { SharedKey, Sas, Bearer } kind = Kind::SharedKey;
  std::string key;                     // SharedKey: base64 account key
  std::string sas;                     // Sas: the token's query string, without '?'
  std::shared_ptr<cloud::TokenCache> tokens;  // Bearer
  std::string source;                  // where it came from, for messages
  std::string skipped;                 // sources looked at first and why they did not apply
};

// "Key=Value;Key=Value" → map (keys as written). Throws std::invalid_argument on a part without '='.
std::map<std::string, std::string> parse_connection_string(const std::string& text);

// The account a parsed connection string is for: AccountName=, or the emulator's devstoreaccount1
// for UseDevelopmentStorage=true; "" when it names none.
std::string connection_string_account(const std::map<std::string, std::string>& kv);

struct ResolvedCredential {
  AzureCredential credential;
  std::string endpoint;  // from the connection string's BlobEndpoint (or the emulator default), or ""
};

// The credential for `account` from the environment (see above). `endpoint` is the endpoint
// chosen so far ("" = none); managed identity is the last resort and never fails here.
ResolvedCredential resolve_credential(const std::string& account, const std::string& endpoint);

}  // namespace azure
