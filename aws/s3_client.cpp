// The S3 request engine and the single-request calls; multipart lives in s3_multipart.cpp.
#include "aws/s3_client.h"

#include <sys/stat.h>

#include <cctype>
#include <cstring>
#include <ctime>

#include "aws/crypto.h"
#include "aws/json_fields.h"
#include "aws/paging.h"
#include "aws/xml.h"

namespace aws {

namespace {

bool contains(const std::vector<long>& v, long x) {
  for (long y : v)
    if (y == x) return true;
  return false;
}

}  // namespace

int64_t parse_http_date(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!end) return -1;
  return static_cast<int64_t>(timegm(&tm));
}

S3Client::S3Client(S3ClientConfig config) : config_(std::move(config)) {
  if (!config_.credentials) throw std::invalid_argument("S3Client needs a credentials provider");
  if (config_.region.empty()) config_.region = "us-east-1";
  if (!config_.clock) config_.clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
  if (config_.concurrency < 1) config_.concurrency = 1;
  region_ = config_.region;
  transport_ = std::make_shared<HttpTransport>(config_.transport);
  if (!config_.endpoint.empty()) {
    std::string e = config_.endpoint;
    size_t sep = e.find("://");
    if (sep == std::string::npos)
      throw std::invalid_argument("--s3-endpoint '" + e + "' needs a scheme: http://host:port or https://host");
    scheme_ = e.substr(0, sep);
    endpoint_host_ = e.substr(sep + 3);
    while (!endpoint_host_.empty() && endpoint_host_.back() == '/') endpoint_host_.pop_back();
    if (endpoint_host_.find('/') != std::string::npos)
      throw std::invalid_argument("--s3-endpoint '" + e + "' must not have a path");
  } else {
    scheme_ = "https";
  }
}

std::string S3Client::region() const {
  std::lock_guard<std::mutex> lock(mu_);
  return region_;
}

int64_t S3Client::now() const { return config_.clock() + skew_.load(); }

std::string S3Client::endpoint_url() const {
  return scheme_ + "://" + (endpoint_host_.empty() ? "s3." + region() + ".amazonaws.com" : endpoint_host_);
}

bool S3Client::virtual_hosted(const std::string& bucket) const {
  using A = S3ClientConfig::Addressing;
  if (config_.addressing == A::PathStyle) return false;
  bool dns_safe = bucket.size() >= 3 && bucket.size() <= 63;
  for (char c : bucket) dns_safe &= std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  if (config_.addressing == A::VirtualHosted) return true;
  return endpoint_host_.empty() && dns_safe;  // Auto: AWS and a DNS-safe name without dots
}

void S3Client::locate(const std::string& bucket, const std::string& key, std::string* host, std::string* path) const {
  const std::string base = endpoint_host_.empty() ? "s3." + region() + ".amazonaws.com" : endpoint_host_;
  if (bucket.empty()) {
    *host = base;
    *path = "/";
  } else if (virtual_hosted(bucket)) {
    *host = bucket + "." + base;
    *path = "/" + key;
  } else {
    *host = base;
    *path = "/" + bucket + (key.empty() ? "" : "/" + key);
  }
}

HttpResponse S3Client::execute(Call& call) {
  RetryPolicy policy = config_.retry;
  if (call.max_attempts > 0) policy.max_attempts = call.max_attempts;
  const std::atomic<bool>* cancel = call.ignores_cancel ? nullptr : &cancelled_;
  Backoff backoff(policy, cancel);
  bool refreshed_credentials = false;
  bool redirected = false;
  auto cancelled_error = [&] {
    S3ErrorInfo info;
    info.code = "Cancelled";
    info.message = "cancelled";
    return S3Error(cancelled_message(call.op + " s3://" + call.bucket + "/" + call.key), info, true);
  };
  auto retry = [&] { return backoff.wait_or_throw(cancelled_error); };
  if (call.payload_hash.empty()) call.payload_hash = sha256_hex(call.body);
  for (;;) {
    if (cancel && cancel->load()) throw cancelled_error();
    Credentials creds = config_.credentials->get(now());
    SignableRequest sr;
    sr.method = call.method;
    std::string host;
    locate(call.bucket, call.key, &host, &sr.path);
    sr.query = call.query;
    sr.headers = call.headers;
    sr.headers.emplace_back("host", host);
    sr.payload_hash = call.payload_hash;
    const std::string region_now = region();
    SigningStages s = sign_request(sr, creds, region_now, "s3", now(), &keys_);

    HttpRequest req;
    req.method = call.method;
    req.url = scheme_ + "://" + host + encoded_path(sr.path);
    if (!sr.query.empty()) req.url += "?" + encoded_query(sr.query);
    for (auto& h : sr.headers)
      if (h.first != "host") req.headers.push_back(h);
    req.headers.emplace_back("Authorization", s.authorization);
    req.body = call.body;
    req.body_file = call.body_file;
    req.body_offset = call.body_offset;
    req.body_length = call.body_length;
    static_cast<BodyLimits&>(req) = call;  // the call's response-body limits
    req.response_file = call.response_file;
    req.timeout_ms = call.timeout_ms;
    req.cancel = cancel;

    HttpResponse resp;
    try {
      resp = transport_->perform(req);
    } catch (const TransportError& e) {
      if (e.cancelled()) throw cancelled_error();
      if (retry()) continue;
      S3ErrorInfo info;
      info.code = e.timed_out() ? "Timeout" : "ConnectionFailed";
      info.message = e.what();
      throw S3Error(call.op + " s3://" + call.bucket + "/" + call.key + " failed after " +
                        std::to_string(backoff.attempt()) + " attempts: " + e.what() +
                        ". Check the network and the endpoint (" + endpoint_url() + ").",
                    info, true);
    }
    bool ok = contains(call.ok_statuses, resp.status) && !(call.error_in_200 && body_is_error(resp.body));
    if (ok || contains(call.quiet_statuses, resp.status)) return resp;

    S3ErrorInfo err = parse_s3_error(resp);
    // The bucket lives in another region: S3 names it; sign for it and go again (once).
    if (!redirected && !err.region.empty() && err.region != region_now &&
        (resp.status == 301 || resp.status == 307 || resp.status == 400 || err.code == "AuthorizationHeaderMalformed")) {
      std::lock_guard<std::mutex> lock(mu_);
      region_ = err.region;
      redirected = true;
      continue;
    }
    if (err.code == "RequestTimeTooSkewed") {
      int64_t server = parse_http_date(err.server_time);
      if (server > 0) skew_.store(server - config_.clock());
      if (retry()) continue;
    } else if ((err.code == "ExpiredToken" || err.code == "TokenRefreshRequired") && !refreshed_credentials) {
      config_.credentials->invalidate();
      refreshed_credentials = true;
      continue;
    } else if (is_transient_s3_error(err)) {
      if (retry()) continue;
    }
    throw S3Error(describe_s3_error(call.op, call.bucket, call.key, err, creds.access_key_id, endpoint_url(), creds.source),
                  err, is_transient_s3_error(err));
  }
}

// A 404 is a missing key (nullopt for the caller) unless the bucket itself is missing.
bool S3Client::is_missing_key(const HttpResponse& r, const std::string& bucket, const std::string& key) const {
  if (r.status != 404) return false;
  S3ErrorInfo e = parse_s3_error(r);
  if (e.code == "NoSuchBucket") throw S3Error(describe_s3_error("GET", bucket, key, e, "", endpoint_url(), ""), e, false);
  return true;
}

std::string S3Client::put_object(const std::string& bucket, const std::string& key, const std::string& bytes,
                                 const std::string& content_type) {
  Call c;
  c.op = "PUT";
  c.method = "PUT";
  c.bucket = bucket;
  c.key = key;
  c.body = bytes;
  if (!content_type.empty()) c.headers.emplace_back("content-type", content_type);
  return execute(c).header("etag");
}

std::string S3Client::put_file(const std::string& bucket, const std::string& key, const std::string& path,
                               const std::string& content_type) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot upload '" + path + "': " + std::strerror(errno));
  int64_t size = static_cast<int64_t>(st.st_size);
  if (size > config_.multipart_threshold) return upload_multipart(bucket, key, path, size, content_type);
  Call c;
  c.op = "PUT";
  c.method = "PUT";
  c.bucket = bucket;
  c.key = key;
  c.body_file = path;
  c.body_length = size;
  c.payload_hash = hex(sha256_file(path, 0, size));
  if (!content_type.empty()) c.headers.emplace_back("content-type", content_type);
  return execute(c).header("etag");
}

std::optional<std::string> S3Client::get_object(const std::string& bucket, const std::string& key,
                                                std::optional<std::pair<int64_t, int64_t>> range) {
  Call c;
  c.op = "GET";
  c.bucket = bucket;
  c.key = key;
  c.expect_object(false, range);
  if (range) c.headers.emplace_back("range", "bytes=" + std::to_string(range->first) + "-" + std::to_string(range->second));
  c.quiet_statuses = {404};
  HttpResponse r = execute(c);
  if (is_missing_key(r, bucket, key)) return std::nullopt;
  return std::move(r.body);
}

bool S3Client::get_object_to_file(const std::string& bucket, const std::string& key, const std::string& path) {
  Call c;
  c.op = "GET";
  c.bucket = bucket;
  c.key = key;
  c.response_file = path;
  c.expect_object(true, std::nullopt);
  c.quiet_statuses = {404};
  return !is_missing_key(execute(c), bucket, key);
}

std::optional<S3Object> S3Client::head_object(const std::string& bucket, const std::string& key) {
  Call c;
  c.op = "HEAD";
  c.method = "HEAD";
  c.bucket = bucket;
  c.key = key;
  c.quiet_statuses = {404};
  HttpResponse r = execute(c);
  if (r.status == 404) return std::nullopt;
  S3Object o;
  o.key = key;
  o.size = std::atoll(r.header("content-length").c_str());
  o.etag = r.header("etag");
  o.last_modified = parse_http_date(r.header("last-modified"));
  return o;
}

void S3Client::delete_object(const std::string& bucket, const std::string& key) {
  Call c;
  c.op = "DELETE";
  c.method = "DELETE";
  c.bucket = bucket;
  c.key = key;
  c.quiet_statuses = {404};  // deleting what is not there is done
  execute(c);
}

S3Listing S3Client::list_objects(const std::string& bucket, const std::string& prefix, const std::string& delimiter,
                                 int max_keys) {
  S3Listing out;
  std::string token;
  ListingPages pages("LIST s3://" + bucket + "/" + prefix);
  for (;;) {
    Call c;
    c.op = "LIST";
    c.bucket = bucket;
    c.query = {{"list-type", "2"}, {"prefix", prefix}};
    if (!delimiter.empty()) c.query.emplace_back("delimiter", delimiter);
    if (max_keys > 0) c.query.emplace_back("max-keys", std::to_string(max_keys));
    if (!token.empty()) c.query.emplace_back("continuation-token", token);
    HttpResponse r = execute(c);
    XmlNode doc = parse_xml(r.body);
    for (const XmlNode* n : doc.children_named("Contents")) {
      S3Object o;
      o.key = n->child_text("Key");
      o.size = std::atoll(n->child_text("Size").c_str());
      o.etag = n->child_text("ETag");
      int64_t t = parse_iso8601(n->child_text("LastModified"));
      o.last_modified = t < 0 ? 0 : t;
      out.objects.push_back(std::move(o));
    }
    for (const XmlNode* n : doc.children_named("CommonPrefixes")) out.common_prefixes.push_back(n->child_text("Prefix"));
    token = doc.child_text("NextContinuationToken");
    if (doc.child_text("IsTruncated") != "true" || token.empty()) break;
    pages.next(token);
  }
  return out;
}

void S3Client::create_bucket(const std::string& bucket) {
  Call c;
  c.op = "CREATE BUCKET";
  c.method = "PUT";
  c.bucket = bucket;
  const std::string r = region();
  if (r != "us-east-1")
    c.body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>" + r +
             "</LocationConstraint></CreateBucketConfiguration>";
  c.quiet_statuses = {409};
  HttpResponse resp = execute(c);
  if (resp.status == 409) {
    S3ErrorInfo e = parse_s3_error(resp);
    if (e.code != "BucketAlreadyOwnedByYou")
      throw S3Error(describe_s3_error("CREATE BUCKET", bucket, "", e, "", endpoint_url(), ""), e, false);
  }
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

}  // namespace aws
