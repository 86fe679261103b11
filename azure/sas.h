// Service shared access signatures, made with the account key: pure functions, time passed in.
//
// A service SAS grants one blob (sr=b) or container (sr=c) for a while: what `./gan --presign
// az://...` prints so a checkpoint can be shared. Signed version 2019-12-12, whose string to sign
// is, from "Create a service SAS" (sig made from it as in shared_key.h):
//   sp \n st \n se \n canonicalizedResource \n si \n sip \n spr \n sv \n sr \n
//   snapshot \n rscc \n rscd \n rsce \n rscl \n rsct
//   canonicalizedResource = "/blob/" + account + "/" + container [+ "/" + blob] (raw)
#pragma once
#include <cstdint>
#include <string>

#include "cloud/http.h"

namespace azure {

constexpr const char* kSasVersion = "2019-12-12";

// "2026-11-26T12:00:00Z" (ISO 8601, UTC, no fraction), SAS's time format.
inline std::string sas_time(int64_t unix_seconds) { return cloud::utc_time(unix_seconds, "%Y-%m-%dT%H:%M:%SZ"); }

struct ServiceSas {
  std::string account, container, blob;  // blob "" = the container (sr=c)
  std::string permissions = "r";         // in the order racwdl
  int64_t start = 0;                     // 0 = no st (valid at once)
  int64_t expiry = 0;
  std::string protocol;                  // "https", "https,http" or "" (either)
};
std::string service_sas_string_to_sign(const ServiceSas& sas);
// The query string (no leading '?'): sv, sr, sp, [st], se, [spr], sig — percent-encoded.
std::string service_sas_query(const ServiceSas& sas, const std::string& key_base64);

// One field of a SAS query string, percent-decoded ("" when absent): sas_field(q, "sr").
std::string sas_field(const std::string& sas_query, const std::string& name);

}  // namespace azure
