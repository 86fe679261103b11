// The S3 dialect: addressing, signing, recovery, multipart, and the calls only S3 has.
#include "aws/s3_client.h"

#include <cctype>

#include "cloud/crypto.h"
#include "cloud/xml.h"
#include "common/dates.h"
#include "common/markup.h"
#include "common/text.h"

namespace aws {

// ListObjectsV2's query and elements (GCS's XML listing is the same); see cloud::ListingNames.
static const cloud::ListingNames kListing = {
    {{"list-type", "2"}}, "max-keys", "continuation-token",
    "", "Contents", "Key", "", "Size", "ETag", "", "LastModified", gan::parse_iso8601,
    "CommonPrefixes", "Prefix", "NextContinuationToken", "IsTruncated"};

S3Client::S3Client(S3ClientConfig config)
    : ObjectClient(config, {"content-type", "range", "NoSuchBucket", {}, kListing, kMinPartSize, kMaxParts}),
      config_(std::move(config)) {
  if (!config_.credentials && !config_.bearer) throw std::invalid_argument("S3Client needs a credentials provider");
  if (!config_.endpoint.empty()) {
    const std::string& e = config_.endpoint;
    size_t sep = e.find("://");
    if (sep == std::string::npos)
      throw std::invalid_argument("--s3-endpoint '" + e + "' needs a scheme: http://host:port or https://host");
    scheme_ = e.substr(0, sep);
    endpoint_host_ = e.substr(sep + 3);
    while (!endpoint_host_.empty() && endpoint_host_.back() == '/') endpoint_host_.pop_back();
    if (endpoint_host_.find('/') != std::string::npos)
      throw std::invalid_argument("--s3-endpoint '" + e + "' must not have a path");
  }
}

std::string S3Client::region() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_.region;
}

S3Error S3Client::failure(const Call& call, const S3ErrorInfo& e) const {
  Credentials creds;  // cached: only for the advice (which principal was refused)
  try {
    if (!config_.bearer) creds = config_.credentials->get(now());
  } catch (const std::exception&) {
  }
  const std::string source = config_.bearer ? config_.bearer->name() : creds.source;
  const std::string& key = call.shown();
  return S3Error(config_.describe ? config_.describe(call.op, call.bucket, key, e, source)
                                  : describe_s3_error(call.op, call.bucket, key, e, creds.access_key_id, endpoint_url(), source),
                 e, is_transient_s3_error(e));
}

std::string S3Client::endpoint_url() const {
  return scheme_ + "://" + (endpoint_host_.empty() ? "s3." + region() + ".amazonaws.com" : endpoint_host_);
}

void S3Client::locate(const std::string& bucket, const std::string& key, std::string* host, std::string* path) const {
  using A = S3ClientConfig::Addressing;
  bool dns_safe = bucket.size() >= 3 && bucket.size() <= 63;
  for (char c : bucket) dns_safe &= std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  const bool virtual_hosted = !bucket.empty() && (config_.addressing == A::VirtualHosted ||
                                                  (config_.addressing == A::Auto && endpoint_host_.empty() && dns_safe));
  const std::string base = endpoint_host_.empty() ? "s3." + region() + ".amazonaws.com" : endpoint_host_;
  *host = virtual_hosted ? bucket + "." + base : base;
  *path = bucket.empty() ? "/" : virtual_hosted ? "/" + key : "/" + bucket + (key.empty() ? "" : "/" + key);
}

cloud::HttpRequest S3Client::prepare(Call& call) {
  if (call.payload_hash.empty() && !config_.bearer)  // once per call, not per attempt
    call.payload_hash = call.body_file.empty() ? cloud::sha256_hex(call.body)
                                               : gan::hex(cloud::sha256_file(call.body_file, call.body_offset, call.body_length));
  SignableRequest sr{call.method, "", call.query, call.headers};
  std::string host;
  locate(call.bucket, call.key, &host, &sr.path);
  std::string authorization;
  if (config_.bearer) {
    try {
      authorization = "Bearer " + config_.bearer->get(now()).token;
    } catch (const std::exception& e) {
      S3ErrorInfo info;
      info.code = "NoCredentials";
      throw S3Error(call.op + " " + target(call) + ": no credentials: " + e.what(), info, false);
    }
  } else {
    sr.headers.emplace_back("host", host);
    sr.payload_hash = call.payload_hash;
    authorization = sign_request(sr, config_.credentials->get(now()), region(), "s3", now()).authorization;
  }
  cloud::HttpRequest req;
  req.method = call.method;
  req.url = scheme_ + "://" + host + encoded_path(sr.path);
  if (!sr.query.empty()) req.url += "?" + encoded_query(sr.query);
  for (auto& h : sr.headers)
    if (h.first != "host") req.headers.push_back(h);
  req.headers.emplace_back("Authorization", authorization);
  return req;
}

bool S3Client::recover(const Call&, const cloud::HttpResponse& resp, const S3ErrorInfo& err, unsigned& used) {
  enum : unsigned { kRedirected = 1, kRefreshed = 2 };
  // The bucket lives in another region: S3 names it; sign for it and go again (once).
  if (!(used & kRedirected) && !err.region.empty() && err.region != region() &&
      (resp.status == 301 || resp.status == 307 || resp.status == 400 || err.code == "AuthorizationHeaderMalformed")) {
    std::lock_guard<std::mutex> lock(mu_);
    config_.region = err.region;
    used |= kRedirected;
    return true;
  }
  if (err.code == "RequestTimeTooSkewed") {  // sign with the server's clock; retried as transient
    if (const int64_t server = gan::parse_http_date(err.server_time); server > 0) set_server_time(server);
    return false;
  }
  // An expired session token, or a bearer token the server rejects (expired early or revoked):
  // fetch fresh credentials and try once more.
  const bool expired = config_.bearer ? resp.status == 401 : err.code == "ExpiredToken" || err.code == "TokenRefreshRequired";
  if (!expired || (used & kRefreshed)) return false;
  if (config_.bearer) config_.bearer->invalidate();
  else config_.credentials->invalidate();
  used |= kRefreshed;
  return true;
}

std::string S3Client::presign_get(const std::string& bucket, const std::string& key, int64_t expires_seconds) {
  SignableRequest sr;
  std::string host;
  locate(bucket, key, &host, &sr.path);
  sr.headers = {{"host", host}};
  std::string query;
  presign(sr, config_.credentials->get(now()), region(), "s3", now(), expires_seconds, &query);
  return scheme_ + "://" + host + encoded_path(sr.path) + "?" + query;
}

// Multipart upload for cloud::upload_parts: any part that still fails, or a cancellation, aborts
// the whole upload so no orphaned parts keep costing storage.
cloud::PartedUpload S3Client::parted_upload(const std::string& bucket, const std::string& key, const std::string& path,
                                            int64_t size, const std::string& content_type) {
  const int64_t started = now();
  Call create("CREATE MULTIPART UPLOAD", "POST", bucket, key);
  create.query = {{"uploads", ""}};
  if (!content_type.empty()) create.headers.emplace_back("content-type", content_type);
  const std::string id = cloud::parse_xml(execute(create).body).child_text("UploadId");
  if (id.empty()) throw std::runtime_error("CreateMultipartUpload for " + target(create) + " returned no UploadId");
  cloud::PartedUpload up;
  up.send_part = [=](int i, int64_t offset, int64_t length) {
    const std::string n = std::to_string(i + 1);
    Call c("UPLOAD PART " + n + " of", "PUT", bucket, key);
    c.query = {{"partNumber", n}, {"uploadId", id}};
    c.body_file = path;
    c.body_offset = offset;
    c.body_length = length;
    std::string etag = execute(c).header("etag");
    if (etag.empty()) throw std::runtime_error("UploadPart " + n + " of " + target(c) + " returned no ETag");
    return etag;
  };
  up.commit = [=](const std::vector<std::string>& etags) {
    Call c("COMPLETE MULTIPART UPLOAD", "POST", bucket, key);
    c.query = {{"uploadId", id}};
    c.body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    for (size_t i = 0; i < etags.size(); i++)
      c.body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + gan::markup_escape(etags[i]) + "</ETag></Part>";
    c.body += "</CompleteMultipartUpload>";
    c.error_in_200 = true;  // S3 may answer 200 and then fail the assembly in the body
    const std::string etag = cloud::parse_xml(execute(c).body).child_text("ETag");
    if (!etag.empty()) return etag;
    auto o = head(bucket, key);  // Ceph RGW (Pacific) answers <ETag></ETag>: ask the object itself
    return o ? o->etag : "";
  };
  // A Complete whose answer was lost finds, when retried, the upload already assembled (S3 says
  // NoSuchUpload, others fail otherwise): if an object of the right size was written since this
  // upload began, the first attempt succeeded.
  up.committed_anyway = [=]() -> std::string {
    if (cancelled()) return "";
    try {
      if (auto o = head(bucket, key); o && o->size == size && o->last_modified >= started - 1) return o->etag;
    } catch (...) {
    }
    return "";
  };
  up.abort = [=] {
    Call c("ABORT MULTIPART UPLOAD", "DELETE", bucket, key);
    c.query = {{"uploadId", id}};
    c.quiet_statuses = {404};
    if (cancelled()) {  // one attempt of at most 3 s, so a caller on a deadline is not held up by it
      c.ignores_cancel = true;
      c.timeout_ms = 3000;
      c.max_attempts = 1;
    }
    execute(c);
  };
  return up;
}

}  // namespace aws
