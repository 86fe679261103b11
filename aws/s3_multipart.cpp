// S3's multipart upload for cloud::upload_parts: its calls, and what to do when one fails (any
// part that still fails, or a cancellation, aborts the whole upload so no orphaned parts keep
// costing storage; a Complete whose answer was lost is recognised as done).
#include "aws/s3_client.h"
#include "cloud/xml.h"

namespace aws {

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
      c.body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + cloud::xml_escape(etags[i]) + "</ETag></Part>";
    c.body += "</CompleteMultipartUpload>";
    c.error_in_200 = true;  // S3 may answer 200 and then fail the assembly in the body
    std::string etag = cloud::parse_xml(execute(c).body).child_text("ETag");
    if (etag.empty()) {  // Ceph RGW (Pacific) answers <ETag></ETag>: ask the object itself
      if (auto o = head(bucket, key)) etag = o->etag;
    }
    return etag;
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
