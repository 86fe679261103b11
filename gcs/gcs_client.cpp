// The bearer-token GCS engine and its calls; see gcs_client.h.
#include "gcs/gcs_client.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "aws/json_fields.h"
#include "aws/paging.h"
#include "aws/parallel.h"
#include "aws/s3_error.h"
#include "aws/sigv4.h"
#include "aws/xml.h"

namespace gcs {

std::string describe_gcs_error(const std::string& op, const std::string& bucket, const std::string& key,
                               const aws::S3ErrorInfo& e, const std::string& credential_source, GcsAuth auth) {
  std::string out = op + " gs://" + bucket + (key.empty() ? "" : "/" + key) + " failed: HTTP " + std::to_string(e.status);
  if (!e.code.empty()) out += " " + e.code;
  if (!e.message.empty()) out += ": " + e.message;
  const bool hmac = auth == GcsAuth::Hmac;
  std::string advice;
  if (e.code == "NoSuchBucket")
    advice = "Create the bucket (gcloud storage buckets create gs://" + bucket + ") or fix --storage gs://bucket/prefix.";
  else if (hmac && e.code == "InvalidAccessKeyId")
    advice = "GCS does not know the HMAC access ID from " + credential_source +
             ": check it, or create a key for a service account (Cloud Storage > Settings > Interoperability).";
  else if (hmac && e.code == "SignatureDoesNotMatch")
    advice = "The HMAC secret from " + credential_source +
             " does not match its access ID (or a proxy changed the request): check GCS_HMAC_SECRET.";
  else if (e.code == "RequestTimeTooSkewed")
    advice = "This machine's clock differs from GCS's by more than 15 minutes: fix the clock (timedatectl set-ntp true).";
  else if (e.code == "AccessDenied" || e.status == 403)
    advice = hmac ? "The service account of the HMAC key from " + credential_source +
                        " may not do this: grant it roles/storage.objectAdmin on gs://" + bucket + "."
                  : "The identity from " + credential_source + " may not do this: grant its service account "
                    "roles/storage.objectAdmin on gs://" + bucket + " (and give the VM the cloud-platform scope).";
  else if (e.status == 401)
    advice = hmac ? "GCS refused the HMAC key from " + credential_source + ": check GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET."
                  : "The token from " + credential_source + " was refused even after a refresh: check the VM's service account.";
  else if (aws::is_transient_s3_error(e))
    advice = "The service is busy or failing; it was retried; try again later.";
  if (!advice.empty()) out += (out.back() == '.' ? " " : ". ") + advice;
  return out;
}

GcsClient::GcsClient(GcsClientConfig config) : config_(std::move(config)) {
  if (!config_.tokens) throw std::invalid_argument("GcsClient needs a token source");
  if (!config_.clock) config_.clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
  if (config_.concurrency < 1) config_.concurrency = 1;
  endpoint_ = config_.endpoint.empty() ? kGcsEndpoint : config_.endpoint;
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  if (endpoint_.find("://") == std::string::npos)
    throw std::invalid_argument("GCS endpoint '" + endpoint_ + "' needs a scheme: https://storage.googleapis.com");
  transport_ = std::make_shared<aws::HttpTransport>(config_.transport);
}

aws::HttpResponse GcsClient::execute(Call& call) {
  aws::RetryPolicy policy = config_.retry;
  if (call.max_attempts > 0) policy.max_attempts = call.max_attempts;
  const std::atomic<bool>* cancel = call.ignores_cancel ? nullptr : &cancelled_;
  aws::Backoff backoff(policy, cancel);
  bool refreshed = false;
  auto cancelled_error = [&] {
    aws::S3ErrorInfo info;
    info.code = "Cancelled";
    info.message = "cancelled";
    return aws::S3Error(aws::cancelled_message(call.op + " gs://" + call.bucket + "/" + call.key), info, true);
  };
  auto retry = [&] { return backoff.wait_or_throw(cancelled_error); };
  for (;;) {
    if (cancel && cancel->load()) throw cancelled_error();
    azure::AccessToken token;
    try {
      token = config_.tokens->get(now());
    } catch (const std::exception& e) {
      aws::S3ErrorInfo info;
      info.code = "NoCredentials";
      throw aws::S3Error(call.op + " gs://" + call.bucket + "/" + call.key + ": no GCS credentials: " + e.what(), info, false);
    }
    aws::HttpRequest req;
    req.method = call.method;
    req.url = endpoint_ + aws::encoded_path("/" + call.bucket + (call.key.empty() ? "" : "/" + call.key));
    if (!call.query.empty()) req.url += "?" + aws::encoded_query(call.query);
    req.headers = call.headers;
    req.headers.emplace_back("Authorization", "Bearer " + token.token);
    req.body = call.body;
    req.body_file = call.body_file;
    req.body_offset = call.body_offset;
    req.body_length = call.body_length;
    static_cast<aws::BodyLimits&>(req) = call;  // the call's response-body limits
    req.timeout_ms = call.timeout_ms;
    req.cancel = cancel;
    aws::HttpResponse resp;
    try {
      resp = transport_->perform(req);
    } catch (const aws::TransportError& e) {
      if (e.cancelled()) throw cancelled_error();
      if (retry()) continue;
      aws::S3ErrorInfo info;
      info.code = e.timed_out() ? "Timeout" : "ConnectionFailed";
      info.message = e.what();
      throw aws::S3Error(call.op + " gs://" + call.bucket + "/" + call.key + " failed after " +
                             std::to_string(backoff.attempt()) + " attempts: " + e.what() +
                             ". Check the network and the endpoint (" + endpoint_ + ").",
                         info, true);
    }
    bool ok = (resp.status == 200 || resp.status == 204 || resp.status == 206) &&
              !(call.error_in_200 && aws::body_is_error(resp.body));
    for (long q : call.quiet_statuses) ok |= resp.status == q;
    if (ok) return resp;
    aws::S3ErrorInfo err = aws::parse_s3_error(resp);
    if (resp.status == 401 && !refreshed) {
      config_.tokens->invalidate();  // expired early or revoked: one fresh token, one more try
      refreshed = true;
      continue;
    }
    if (aws::is_transient_s3_error(err) && retry()) continue;
    throw aws::S3Error(describe_gcs_error(call.op, call.bucket, call.key, err, config_.tokens->name()), err,
                       aws::is_transient_s3_error(err));
  }
}

std::string GcsClient::put_object(const std::string& bucket, const std::string& key, const std::string& bytes,
                                  const std::string& content_type) {
  Call c;
  c.op = "PUT";
  c.method = "PUT";
  c.bucket = bucket;
  c.key = key;
  c.body = bytes;
  if (!content_type.empty()) c.headers.emplace_back("Content-Type", content_type);
  return execute(c).header("etag");
}

std::string GcsClient::put_file(const std::string& bucket, const std::string& key, const std::string& path,
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
  if (!content_type.empty()) c.headers.emplace_back("Content-Type", content_type);
  return execute(c).header("etag");
}

std::optional<std::string> GcsClient::get_object(const std::string& bucket, const std::string& key,
                                                 std::optional<std::pair<int64_t, int64_t>> range) {
  Call c;
  c.op = "GET";
  c.bucket = bucket;
  c.key = key;
  c.expect_object(false, range);
  if (range) c.headers.emplace_back("Range", "bytes=" + std::to_string(range->first) + "-" + std::to_string(range->second));
  c.quiet_statuses = {404};
  aws::HttpResponse r = execute(c);
  if (r.status == 404) {
    aws::S3ErrorInfo e = aws::parse_s3_error(r);
    if (e.code == "NoSuchBucket") throw aws::S3Error(describe_gcs_error("GET", bucket, key, e, config_.tokens->name()), e, false);
    return std::nullopt;
  }
  return std::move(r.body);
}

std::optional<aws::S3Object> GcsClient::head_object(const std::string& bucket, const std::string& key) {
  Call c;
  c.op = "HEAD";
  c.method = "HEAD";
  c.bucket = bucket;
  c.key = key;
  c.quiet_statuses = {404};
  aws::HttpResponse r = execute(c);
  if (r.status == 404) return std::nullopt;
  aws::S3Object o;
  o.key = key;
  o.size = std::atoll(r.header("content-length").c_str());
  o.etag = r.header("etag");
  int64_t t = aws::parse_http_date(r.header("last-modified"));
  o.last_modified = t < 0 ? 0 : t;
  return o;
}

void GcsClient::delete_object(const std::string& bucket, const std::string& key) {
  Call c;
  c.op = "DELETE";
  c.method = "DELETE";
  c.bucket = bucket;
  c.key = key;
  c.quiet_statuses = {404};
  execute(c);
}

aws::S3Listing GcsClient::list_objects(const std::string& bucket, const std::string& prefix, const std::string& delimiter,
                                       int max_keys) {
  aws::S3Listing out;
  std::string token;
  aws::ListingPages pages("LIST gs://" + bucket + "/" + prefix);
  for (;;) {
    Call c;
    c.op = "LIST";
    c.bucket = bucket;
    c.query = {{"list-type", "2"}, {"prefix", prefix}};
    if (!delimiter.empty()) c.query.emplace_back("delimiter", delimiter);
    if (max_keys > 0) c.query.emplace_back("max-keys", std::to_string(max_keys));
    if (!token.empty()) c.query.emplace_back("continuation-token", token);
    aws::XmlNode doc = aws::parse_xml(execute(c).body);
    for (const aws::XmlNode* n : doc.children_named("Contents")) {
      aws::S3Object o;
      o.key = n->child_text("Key");
      o.size = std::atoll(n->child_text("Size").c_str());
      o.etag = n->child_text("ETag");
      int64_t t = aws::parse_iso8601(n->child_text("LastModified"));
      o.last_modified = t < 0 ? 0 : t;
      out.objects.push_back(std::move(o));
    }
    for (const aws::XmlNode* n : doc.children_named("CommonPrefixes")) out.common_prefixes.push_back(n->child_text("Prefix"));
    token = doc.child_text("NextContinuationToken");
    if (doc.child_text("IsTruncated") != "true" || token.empty()) break;
    pages.next(token);
  }
  return out;
}

std::string GcsClient::upload_multipart(const std::string& bucket, const std::string& key, const std::string& path,
                                        int64_t size, const std::string& content_type) {
  const int64_t part = aws::S3Client::choose_part_size(size, config_.part_size);
  const int parts = static_cast<int>((size + part - 1) / part);
  const int64_t started = now();
  Call init;
  init.op = "CREATE MULTIPART UPLOAD";
  init.method = "POST";
  init.bucket = bucket;
  init.key = key;
  init.query = {{"uploads", ""}};
  if (!content_type.empty()) init.headers.emplace_back("Content-Type", content_type);
  const std::string upload_id = aws::parse_xml(execute(init).body).child_text("UploadId");
  if (upload_id.empty()) throw std::runtime_error("multipart upload of gs://" + bucket + "/" + key + " got no UploadId");
  std::vector<std::string> etags(static_cast<size_t>(parts));
  std::exception_ptr first_error = aws::run_parallel(parts, config_.concurrency, [&](int i) {
    Call c;
    c.op = "UPLOAD PART " + std::to_string(i + 1) + " of";
    c.method = "PUT";
    c.bucket = bucket;
    c.key = key;
    c.query = {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload_id}};
    c.body_file = path;
    c.body_offset = static_cast<int64_t>(i) * part;
    c.body_length = std::min(part, size - c.body_offset);
    etags[static_cast<size_t>(i)] = execute(c).header("etag");
  });
  if (first_error) {
    abort_after_failure(bucket, key, upload_id);
    std::rethrow_exception(first_error);
  }
  Call done;
  done.op = "COMPLETE MULTIPART UPLOAD";
  done.method = "POST";
  done.bucket = bucket;
  done.key = key;
  done.query = {{"uploadId", upload_id}};
  done.body = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); i++)
    done.body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + aws::xml_escape(etags[i]) +
                 "</ETag></Part>";
  done.body += "</CompleteMultipartUpload>";
  done.error_in_200 = true;
  try {
    return aws::parse_xml(execute(done).body).child_text("ETag");
  } catch (const aws::S3Error&) {
    // A Complete whose answer was lost (a reset after GCS assembled the object) is retried by the
    // engine and then finds no such upload: if an object of this size was written since the
    // upload began, the first attempt succeeded. The same recovery as aws/s3_multipart.cpp.
    if (!cancelled_.load()) {
      try {
        if (auto o = head_object(bucket, key); o && o->size == size && o->last_modified >= started - 1) return o->etag;
      } catch (...) {
      }
    }
    abort_after_failure(bucket, key, upload_id);
    throw;
  } catch (...) {
    abort_after_failure(bucket, key, upload_id);
    throw;
  }
}

// Best effort: the original failure is the one to report. After a cancellation the abort gets one
// attempt of at most 3 s of its own, so a caller on a deadline is not held up by it.
void GcsClient::abort_after_failure(const std::string& bucket, const std::string& key, const std::string& upload_id) {
  try {
    Call abort;
    abort.op = "ABORT MULTIPART UPLOAD";
    abort.method = "DELETE";
    abort.bucket = bucket;
    abort.key = key;
    abort.query = {{"uploadId", upload_id}};
    abort.quiet_statuses = {404};
    if (cancelled_.load()) {
      abort.ignores_cancel = true;
      abort.timeout_ms = 3000;
      abort.max_attempts = 1;
    }
    execute(abort);
  } catch (...) {
  }
}

}  // namespace gcs
