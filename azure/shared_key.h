// Signing with the storage account key, for the Blob service: Shared Key authorisation of a request
// and service shared access signatures (SAS) for links. Pure functions, time passed in.
//
// The signature is Base64(HMAC-SHA256(Base64Decode(account key), UTF-8(StringToSign))), where
// (Authorize with Shared Key, version 2009-09-19 and later):
//   StringToSign = VERB + "\n" + Content-Encoding + "\n" + Content-Language + "\n" +
//                  Content-Length + "\n" + Content-MD5 + "\n" + Content-Type + "\n" +
//                  Date + "\n" + If-Modified-Since + "\n" + If-Match + "\n" +
//                  If-None-Match + "\n" + If-Unmodified-Since + "\n" + Range + "\n" +
//                  CanonicalizedHeaders + CanonicalizedResource
// Content-Length is "" when it is zero (versions 2015-02-21 and later). The request carries
// x-ms-date, so the Date line is always empty. Inputs are raw (unencoded) paths and query values,
// encoded here as the URL encodes them (gan::uri_encode), so what is signed is what is sent.
//
// A service SAS grants one blob (sr=b) or container (sr=c) for a while: what `./gan --presign
// az://...` prints so a checkpoint can be shared. Signed version 2019-12-12, whose string to sign
// is, from "Create a service SAS" (sig made from it as Shared Key's signature):
//   sp \n st \n se \n canonicalizedResource \n si \n sip \n spr \n sv \n sr \n
//   snapshot \n rscc \n rscd \n rsce \n rscl \n rsct
//   canonicalizedResource = "/blob/" + account + "/" + container [+ "/" + blob] (raw)
#pragma once
#include <cstdint>
#include <string>

#include "cloud/http.h"  // KeyValues
#include "common/dates.h"

namespace azure {

using cloud::KeyValues;

// The x-ms-version every request sends (Bearer tokens need 2017-11-09 or later).
constexpr const char* kApiVersion = "2021-08-06";

struct BlobRequest {
  std::string method = "GET";
  std::string path = "/";  // raw path of the URL, starting with '/': "/container/blob name" (or,
                           // on an emulator endpoint, "/devstoreaccount1/container/blob")
  KeyValues query;         // raw names and values
  KeyValues headers;       // names in any case; Content-Length as the body's size
};

// The query as sent: its pairs in their order, each name and value by gan::uri_encode.
std::string encode_query(const KeyValues& raw_query);

// "Sun, 11 Oct 2009 21:49:13 GMT" (RFC 1123) for a unix time.
inline std::string rfc1123_date(int64_t unix_seconds) { return gan::utc_time(unix_seconds, "%a, %d %b %Y %H:%M:%S GMT"); }

// The stages of StringToSign (see the top). CanonicalizedHeaders: every x-ms- header as
// "name:value\n", the name lowercased, sorted by name, the value folded (cloud::fold_spaces).
std::string canonicalized_headers(const KeyValues& headers);
// CanonicalizedResource: "/" + account + encoded path, then per query parameter, sorted by
// lowercased name, "\n" + name + ":" + its (raw) values sorted and joined by ",".
std::string canonicalized_resource(const std::string& account, const std::string& raw_path, const KeyValues& raw_query);
// VERB through Range, each followed by "\n".
std::string standard_header_lines(const BlobRequest& req);

// The signature (see the top); throws std::invalid_argument, saying where keys come from, for bad base64.
std::string shared_key_signature(const std::string& key_base64, const std::string& string_to_sign);

// Sets x-ms-date (from now) and x-ms-version (when absent) on req.headers, then signs. Send
// req.headers plus "Authorization: <the result>" ("SharedKey account:signature").
std::string sign_shared_key(BlobRequest& req, const std::string& account, const std::string& key_base64, int64_t now);

constexpr const char* kSasVersion = "2019-12-12";

// "2026-11-26T12:00:00Z" (ISO 8601, UTC, no fraction), SAS's time format.
inline std::string sas_time(int64_t unix_seconds) { return gan::utc_time(unix_seconds, "%Y-%m-%dT%H:%M:%SZ"); }

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
