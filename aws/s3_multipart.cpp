// S3's multipart upload over cloud::upload_parts: its calls, and what to do when one fails (any
// part that still fails, or a cancellation, aborts the whole upload so no orphaned parts keep
// costing storage; a Complete whose answer was lost is recognised as done).
#include "aws/s3_client.h"
#include "cloud/upload.h"
#include "cloud/xml.h"

namespace aws {

int64_t S3Client::choose_part_size(int64_t file_size, int64_t preferred) {
  return cloud::choose_part_size(file_size, preferred, kMinPartSize, kMaxParts);
}

std::string S3Client::create_multipart_upload(const std::string& bucket, const std::string& key,
                                              const std::string& content_type) {
  Call c("CREATE MULTIPART UPLOAD", "POST", bucket, key);
  c.query = {{"uploads", ""}};
  if (!content_type.empty()) c.headers.emplace_back("content-type", content_type);
  cloud::HttpResponse r = execute(c);
  std::string id = cloud::parse_xml(r.body).child_text("UploadId");
  if (id.empty()) throw std::runtime_error("CreateMultipartUpload for " + target(bucket, key) + " returned no UploadId");
  return id;
}

std::string S3Client::upload_part(const std::string& bucket, const std::string& key, const std::string& upload_id,
                                  int part_number, const std::string& path, int64_t offset, int64_t length) {
  Call c("UPLOAD PART " + std::to_string(part_number) + " of", "PUT", bucket, key);
  c.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  c.body_file = path;
  c.body_offset = offset;
  c.body_length = length;
  std::string etag = execute(c).header("etag");
  if (etag.empty()) throw std::runtime_error("UploadPart " + std::to_string(part_number) + " of " + target(bucket, key) + " returned no ETag");
  return etag;
}

std::string S3Client::complete_multipart_upload(const std::string& bucket, const std::string& key,
                                                const std::string& upload_id, const std::vector<std::string>& etags) {
  Call c("COMPLETE MULTIPART UPLOAD", "POST", bucket, key);
  c.query = {{"uploadId", upload_id}};
  c.body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (size_t i = 0; i < etags.size(); i++)
    c.body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + cloud::xml_escape(etags[i]) + "</ETag></Part>";
  c.body += "</CompleteMultipartUpload>";
  c.error_in_200 = true;  // S3 may answer 200 and then fail the assembly in the body
  cloud::HttpResponse r = execute(c);
  return cloud::parse_xml(r.body).child_text("ETag");
}

cloud::Call S3Client::abort_call(const std::string& bucket, const std::string& key, const std::string& upload_id) {
  Call c("ABORT MULTIPART UPLOAD", "DELETE", bucket, key);
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
  const int64_t started = now();
  const std::string upload_id = create_multipart_upload(bucket, key, content_type);
  cloud::PartedUpload up;
  up.send_part = [&](int i, int64_t offset, int64_t length) {
    return upload_part(bucket, key, upload_id, i + 1, path, offset, length);
  };
  up.commit = [&](const std::vector<std::string>& etags) {
    std::string etag = complete_multipart_upload(bucket, key, upload_id, etags);
    if (etag.empty()) {  // Ceph RGW (Pacific) answers <ETag></ETag>: ask the object itself
      if (auto o = head_object(bucket, key)) etag = o->etag;
    }
    return etag;
  };
  // A Complete whose answer was lost finds, when retried, the upload already assembled (S3 says
  // NoSuchUpload, others fail otherwise): if an object of the right size was written since this
  // upload began, the first attempt succeeded.
  up.committed_anyway = [&]() -> std::string {
    if (cancelled()) return "";
    try {
      if (auto o = head_object(bucket, key); o && o->size == size && o->last_modified >= started - 1) return o->etag;
    } catch (...) {
    }
    return "";
  };
  up.abort = [&] { abort_after_failure(bucket, key, upload_id); };
  return cloud::upload_parts(size, choose_part_size(size, config_.part_size), config_.concurrency, up);
}

// Best effort: the original failure is the one to report. After a cancellation the abort gets one
// attempt of at most 3 s of its own, so a caller on a deadline is not held up by it.
void S3Client::abort_after_failure(const std::string& bucket, const std::string& key, const std::string& upload_id) {
  try {
    if (!cancelled()) {
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
