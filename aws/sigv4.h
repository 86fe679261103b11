// AWS Signature Version 4, S3 flavour: functions with the time passed in, no I/O (the one state is
// a cache of derived signing keys).
//
// S3 differs from the generic SigV4 rules in three ways that every function here follows:
// the path is URI-encoded exactly once and never normalised ("a//b/../c" is signed as written),
// x-amz-content-sha256 is always sent and signed, and presigned URLs sign UNSIGNED-PAYLOAD.
// Inputs are raw (unencoded) strings: the signer owns the encoding, so what is signed and what
// is sent on the wire come from the same function (encoded_path / encoded_query below).
// GCS's XML API accepts the same signatures (service "s3", region "auto"), so it reuses this.
#pragma once
#include <cstdint>
#include <string>

#include "cloud/http.h"
#include "common/dates.h"
#include "common/text.h"

namespace aws {

using cloud::KeyValues;

// The credentials a request is signed with; their providers are in credentials.h.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  int64_t expires_at = 0;     // unix seconds; 0 = does not expire
  std::string source;         // which provider produced them ("environment", "static", ...)
};

struct SignableRequest {
  std::string method = "GET";
  std::string path = "/";  // raw, starts with '/': "/bucket/key with space" or "/key"
  KeyValues query;         // raw names and values, any order, repeats allowed
  KeyValues headers;       // must hold "host"; names in any case
  // lowercase gan::hex SHA-256 of the body (by default of an empty one), or UNSIGNED-PAYLOAD
  std::string payload_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
};

// SigV4's URIEncode() is gan::uri_encode: '/' kept in the path ("/" when empty), encoded in the query.
inline std::string encoded_path(const std::string& raw_path) {
  return raw_path.empty() ? "/" : gan::uri_encode(raw_path, false);
}
std::string encoded_query(const KeyValues& raw_query);  // the canonical query string (sorted)

// "20130524T000000Z" for a unix time (UTC).
inline std::string amz_date(int64_t unix_seconds) { return gan::utc_time(unix_seconds, "%Y%m%dT%H%M%SZ"); }

struct SigningStages {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;       // lowercase gan::hex
  std::string signed_headers;  // "host;range;x-amz-content-sha256;x-amz-date"
  std::string authorization;   // the Authorization header value (header signing only)
};

// CanonicalRequest =
//   HTTPMethod + '\n' + CanonicalURI + '\n' + CanonicalQueryString + '\n' +
//   CanonicalHeaders + '\n' + SignedHeaders + '\n' + HashedPayload
// Throws std::invalid_argument when req.headers has no Host.
std::string canonical_request(const SignableRequest& req, std::string* signed_headers = nullptr);

// StringToSign = "AWS4-HMAC-SHA256" + '\n' + timeStampISO8601Format + '\n' +
//                <Scope> + '\n' + Hex(SHA256Hash(<CanonicalRequest>))
// Scope = YYYYMMDD/region/service/aws4_request
std::string credential_scope(const std::string& yyyymmdd, const std::string& region,
                             const std::string& service);
std::string string_to_sign(const std::string& amz_datetime, const std::string& scope,
                           const std::string& canonical_request);

// DateKey = HMAC-SHA256("AWS4" + secret, YYYYMMDD); DateRegionKey = HMAC(DateKey, region);
// DateRegionServiceKey = HMAC(DateRegionKey, service);
// SigningKey = HMAC(DateRegionServiceKey, "aws4_request")   (raw 32 bytes)
std::string signing_key(const std::string& secret, const std::string& yyyymmdd,
                        const std::string& region, const std::string& service);

// Header signing. Adds x-amz-date, x-amz-content-sha256 (from payload_hash) and, with a session
// token, x-amz-security-token to req.headers (replacing stale ones from an earlier attempt), then
// signs every header in req.headers. Send req.headers plus "Authorization: <stages.authorization>".
SigningStages sign_request(SignableRequest& req, const Credentials& creds, const std::string& region,
                           const std::string& service, int64_t now);

// Query-string signing (a presigned URL). Signs "host" (and any other headers in req.headers)
// with UNSIGNED-PAYLOAD. Returns the stages; *query_out receives the complete encoded query
// string, X-Amz-Signature last: the URL is scheme://host + encoded_path(path) + '?' + *query_out.
SigningStages presign(const SignableRequest& req, const Credentials& creds, const std::string& region,
                      const std::string& service, int64_t now, int64_t expires_seconds,
                      std::string* query_out);

}  // namespace aws
