// Azure Storage "Shared Key" authorisation for the Blob service: pure functions, time passed in.
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
// encoded here as the URL encodes them (cloud::uri_encode), so what is signed is what is sent.
#pragma once
#include <cstdint>
#include <string>

#include "cloud/http.h"  // KeyValues

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

// The query as sent: its pairs in their order, each name and value by cloud::uri_encode.
std::string encode_query(const KeyValues& raw_query);

// "Sun, 11 Oct 2009 21:49:13 GMT" (RFC 1123) for a unix time.
inline std::string rfc1123_date(int64_t unix_seconds) { return cloud::utc_time(unix_seconds, "%a, %d %b %Y %H:%M:%S GMT"); }

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

}  // namespace azure
