// Multipart upload: parts sent in parallel from byte ranges of the file, each part retried by
// the engine on its own; any part that still fails (or a cancellation) aborts the whole upload so
// no orphaned parts keep costing storage.
#include <algorithm>

#include "aws/crypto.h"
#include "aws/parallel.h"
#include "aws/s3_client.h"
#include "aws/xml.h"

namespace aws {

int64_t S3Client::choose_part_size(int64_t file_size, int64_t preferred) {
  constexpr int64_t kMiB = 1 << 20;
  int64_t part = std::max(preferred, kMinPartSize);
  int64_t needed = (file_size + kMaxParts - 1) / kMaxParts;  // smallest part giving <= 10,000 parts
  if (needed > part) part = (needed + kMiB - 1) / kMiB * kMiB;
  return part;
}

std::string S3Client::create_multipart_upload(const std::string& bucket, const std::string& key,
                                              const std::string& content_type) {
  Call c;
  c.op = "CREATE MULTIPART UPLOAD";
  c.method = "POST";
  c.bucket = bucket;
  c.key = key;
  c.query = {{"uploads", ""}};
  if (!content_type.empty()) c.headers.emplace_back("content-type", content_type);
  HttpResponse r = execute(c);
  std::string id = parse_xml(r.body).child_text("UploadId");
  if (id.empty()) throw std::runtime_error("CreateMultipartUpload for s3://" + bucket + "/" + key + " returned no UploadId");
  return id;
}

std::string S3Client::upload_part(const std::string& bucket, const std::string& key, const std::string& upload_id,
                                  int part_number, const std::string& path, int64_t offset, int64_t length) {
  Call c;
  c.op = "UPLOAD PART " + std::to_string(part_number) + " of";
  c.method = "PUT";
  c.bucket = bucket;
  c.key = key;
  c.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  c.body_file = path;
  c.body_offset = offset;
  c.body_length = length;
  c.payload_hash = hex(sha256_file(path, offset, length));
  std::string etag = execute(c).header("etag");
  if (etag.empty()) throw std::runtime_error("UploadPart " + std::to_string(part_number) + " of s3://" + bucket + "/" + key + " returned no ETag");
  return etag;
}

std::string S3Client::complete_multipart_upload(const std::string& bucket, const std::string& key,
                                                const std::string& upload_id, const std::vector<std::string>& etags) {
  Call c;
  c.op = "COMPLETE MULTIPART UPLOAD";
  c.method = "POST";
  c.bucket = bucket;
  c.key = key;
  c.query = {{"uploadId", upload_id}};
  c.body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (size_t i = 0; i < etags.size(); i++)
    c.body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + xml_escape(etags[i]) + "</ETag></Part>";
  c.body += "</CompleteMultipartUpload>";
  c.error_in_200 = true;  // S3 may answer 200 and then fail the assembly in the body
  HttpResponse r = execute(c);
  return parse_xml(r.body).child_text("ETag");
}

S3Client::Call S3Client::abort_call(const std::string& bucket, const std::string& key, const std::string& upload_id) {
  Call c;
  c.op = "ABORT MULTIPART UPLOAD";
  c.method = "DELETE";
  c.bucket = bucket;
  c.key = key;
  c.query = {{"uploadId", upload_id}};
  c.quiet_statuses = {404};
  return c;
}

void S3Client::abort_multipart_upload(const std::string& bucket, const std::string& key, const std::string& upload_id) {
  Call c = abort_call(bucket, key, upload_id);
  execute(c);
}

std::string S3Client::upload_multipart(const std::string& bucket, const std::string& key, const std::string& path,
                                       int64_t size, const std::string& content_type) {
  const int64_t part = choose_part_size(size, config_.part_size);
  const int parts = static_cast<int>((size + part - 1) / part);
  const int64_t started = now();
  const std::string upload_id = create_multipart_upload(bucket, key, content_type);
  std::vector<std::string> etags(static_cast<size_t>(parts));
  std::exception_ptr first_error = run_parallel(parts, config_.concurrency, [&](int i) {
    int64_t off = static_cast<int64_t>(i) * part;
    etags[static_cast<size_t>(i)] = upload_part(bucket, key, upload_id, i + 1, path, off, std::min(part, size - off));
  });
  try {
    if (first_error) std::rethrow_exception(first_error);
    std::string etag = complete_multipart_upload(bucket, key, upload_id, etags);
    if (etag.empty()) {  // Ceph RGW (Pacific) answers <ETag></ETag>: ask the object itself
      if (auto o = head_object(bucket, key)) etag = o->etag;
    }
    return etag;
  } catch (const S3Error&) {
    // A Complete whose answer was lost finds, when retried, the upload already assembled (S3
    // says NoSuchUpload, others fail otherwise): if an object of the right size was written
    // since this upload began, the first attempt succeeded.
    if (!first_error && !cancelled_.load()) {
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
void S3Client::abort_after_failure(const std::string& bucket, const std::string& key, const std::string& upload_id) {
  try {
    if (!cancelled_.load()) {
      abort_multipart_upload(bucket, key, upload_id);
      return;
    }
    Call c = abort_call(bucket, key, upload_id);
    c.ignores_cancel = true;
    c.timeout_ms = 3000;
    c.max_attempts = 1;
    execute(c);
  } catch (...) {
  }
}

}  // namespace aws
