// S3's side of cloud::Error (object.h): its <Error> documents, the codes worth retrying, and a
// sentence saying what to do.
#pragma once
#include <string>

#include "cloud/http.h"
#include "cloud/object.h"

namespace aws {

using S3ErrorInfo = cloud::ErrorInfo;
using S3Error = cloud::Error;

// Reads an error response: the <Error> document when there is one, else the status alone
// (HEAD responses have no body).
S3ErrorInfo parse_s3_error(const cloud::HttpResponse& resp);
// True when a 200 response's body is an <Error> document (CompleteMultipartUpload, CopyObject).
bool body_is_error(const std::string& body);

// S3's codes that mean "the same request may succeed later".
bool is_transient_s3_error(const S3ErrorInfo& e);

// The full message: "<op> s3://bucket/key failed: HTTP 403 AccessDenied: <msg>. <advice>".
// credential_source is Credentials::source ("environment", "profile 'x' in ...", "EC2 instance
// role 'r'"): AccessDenied advice names that principal, not only the access key id.
std::string describe_s3_error(const std::string& op, const std::string& bucket, const std::string& key,
                              const S3ErrorInfo& e, const std::string& access_key_id, const std::string& endpoint,
                              const std::string& credential_source = "");

}  // namespace aws
