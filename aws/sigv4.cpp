// SigV4 for S3; see sigv4.h. Formulas quoted from "Authenticating Requests (AWS Signature
// Version 4)" in the Amazon S3 API reference.
#include "aws/sigv4.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>

#include "cloud/crypto.h"
#include "common/text.h"

namespace aws {

namespace {

using gan::lower;

// CanonicalHeaders = Lowercase(HeaderName) + ":" + Trimall(HeaderValue) + "\n" ..., sorted by
// name; repeated headers join their values with ',' in the order they were given. Trimall
// "removes excess white space before and after values, and converts sequential spaces to a
// single space". Returns the text and the SignedHeaders ("a;b;c").
std::pair<std::string, std::string> canonical_headers(const KeyValues& headers) {
  std::map<std::string, std::string> merged;
  for (const auto& [name, value] : headers) {
    const std::string v = cloud::fold_spaces(value, " \t");
    auto [it, added] = merged.emplace(lower(name), v);
    if (!added) it->second += "," + v;
  }
  if (!merged.count("host")) throw std::invalid_argument("SigV4: the request has no Host header to sign");
  std::string text, names;
  for (const auto& [n, v] : merged) {
    text += n + ":" + v + "\n";
    names += (names.empty() ? "" : ";") + n;
  }
  return {text, names};
}

void set_header(KeyValues& headers, const std::string& name, const std::string& value) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto& kv) { return lower(kv.first) == name; }),
                headers.end());
  headers.emplace_back(name, value);
}

// The signing key changes once a day per (secret, region, service): four HMACs saved per request.
// A handful kept (old days dropped), keyed by the secret's hash: no second copy of it in memory.
std::string cached_signing_key(const std::string& secret, const std::string& day, const std::string& region,
                               const std::string& service) {
  static std::mutex mu;
  static std::map<std::string, std::string> keys;
  const std::string id = day + "/" + region + "/" + service + "/" + cloud::sha256(secret);
  std::lock_guard<std::mutex> lock(mu);
  auto it = keys.find(id);
  if (it != keys.end()) return it->second;
  if (keys.size() > 16) keys.clear();
  return keys[id] = signing_key(secret, day, region, service);
}

// The stages of a request dated `when` (amz_date), signed in its headers or in its query.
SigningStages stages_for(const SignableRequest& req, const std::string& secret, const std::string& when,
                         const std::string& region, const std::string& service) {
  const std::string day = when.substr(0, 8);
  SigningStages s;
  s.canonical_request = canonical_request(req, &s.signed_headers);
  s.string_to_sign = string_to_sign(when, credential_scope(day, region, service), s.canonical_request);
  const std::string key = cached_signing_key(secret, day, region, service);
  // signature = Hex(HMAC-SHA256(SigningKey, StringToSign))
  s.signature = gan::hex(cloud::hmac_sha256(key, s.string_to_sign));
  return s;
}

}  // namespace

// CanonicalQueryString: URIEncode(name) + "=" + URIEncode(value) pairs joined by '&', sorted by
// encoded name (then value); a parameter without a value has an empty value ("acl=").
std::string encoded_query(const KeyValues& raw_query) {
  KeyValues enc;
  for (const auto& [k, v] : raw_query) enc.emplace_back(gan::uri_encode(k, true), gan::uri_encode(v, true));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

std::string canonical_request(const SignableRequest& req, std::string* signed_headers) {
  const auto [text, names] = canonical_headers(req.headers);
  if (signed_headers) *signed_headers = names;
  return req.method + "\n" + encoded_path(req.path) + "\n" + encoded_query(req.query) + "\n" + text + "\n" + names +
         "\n" + req.payload_hash;
}

std::string credential_scope(const std::string& yyyymmdd, const std::string& region,
                             const std::string& service) {
  return yyyymmdd + "/" + region + "/" + service + "/aws4_request";
}

std::string string_to_sign(const std::string& amz_datetime, const std::string& scope,
                           const std::string& creq) {
  return "AWS4-HMAC-SHA256\n" + amz_datetime + "\n" + scope + "\n" + cloud::sha256_hex(creq);
}

std::string signing_key(const std::string& secret, const std::string& yyyymmdd,
                        const std::string& region, const std::string& service) {
  std::string date_key = cloud::hmac_sha256("AWS4" + secret, yyyymmdd);
  std::string date_region_key = cloud::hmac_sha256(date_key, region);
  std::string date_region_service_key = cloud::hmac_sha256(date_region_key, service);
  return cloud::hmac_sha256(date_region_service_key, "aws4_request");
}

SigningStages sign_request(SignableRequest& req, const Credentials& creds, const std::string& region,
                           const std::string& service, int64_t now) {
  const std::string when = amz_date(now);
  set_header(req.headers, "x-amz-date", when);
  set_header(req.headers, "x-amz-content-sha256", req.payload_hash);
  if (!creds.session_token.empty()) set_header(req.headers, "x-amz-security-token", creds.session_token);
  SigningStages s = stages_for(req, creds.secret_access_key, when, region, service);
  // Authorization: AWS4-HMAC-SHA256 Credential=<key>/<scope>, SignedHeaders=<list>, Signature=<hex>
  s.authorization = "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" +
                    credential_scope(when.substr(0, 8), region, service) + ", SignedHeaders=" + s.signed_headers +
                    ", Signature=" + s.signature;
  return s;
}

SigningStages presign(const SignableRequest& req_in, const Credentials& creds, const std::string& region,
                      const std::string& service, int64_t now, int64_t expires_seconds,
                      std::string* query_out) {
  if (expires_seconds < 1 || expires_seconds > 604800)
    throw std::invalid_argument("a presigned URL must expire in 1 to 604800 seconds (7 days), not " +
                                std::to_string(expires_seconds));
  SignableRequest req = req_in;
  req.payload_hash = "UNSIGNED-PAYLOAD";
  const std::string when = amz_date(now);
  // The authentication parameters are part of the canonical query string (all but the signature).
  req.query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  req.query.emplace_back("X-Amz-Credential",
                         creds.access_key_id + "/" + credential_scope(when.substr(0, 8), region, service));
  req.query.emplace_back("X-Amz-Date", when);
  req.query.emplace_back("X-Amz-Expires", std::to_string(expires_seconds));
  req.query.emplace_back("X-Amz-SignedHeaders", canonical_headers(req.headers).second);
  if (!creds.session_token.empty()) req.query.emplace_back("X-Amz-Security-Token", creds.session_token);
  SigningStages s = stages_for(req, creds.secret_access_key, when, region, service);
  if (query_out) *query_out = encoded_query(req.query) + "&X-Amz-Signature=" + s.signature;
  return s;
}

}  // namespace aws
