// Google Cloud Storage as a dialect of the S3 protocol. GCS's XML API answers S3's requests
// (PUT/GET/HEAD/DELETE object, ListObjectsV2, XML multipart uploads) and S3's <Error> documents,
// so gan reaches it with aws::S3Client (see src/storage/gcs_storage.h), either signed with SigV4
// and HMAC keys (region "auto") or with a VM service account's bearer token (gce_metadata.h).
// What is GCS's own: its endpoint, its token source, and what a user is told to do when a call
// fails (gcloud, IAM roles, the HMAC key variables), here.
#pragma once
#include <string>

#include "cloud/object.h"

namespace gcs {

constexpr const char* kGcsEndpoint = "https://storage.googleapis.com";

// How a request was authorised, which decides the advice for a refusal.
enum class GcsAuth { Bearer, Hmac };

// "<op> gs://bucket/key failed: HTTP 403 AccessDenied: <msg>. <advice>", advice for either way in.
std::string describe_gcs_error(const std::string& op, const std::string& bucket, const std::string& key,
                               const cloud::ErrorInfo& e, const std::string& credential_source,
                               GcsAuth auth = GcsAuth::Bearer);

}  // namespace gcs
