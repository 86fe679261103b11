// What is Google Cloud Storage's own: its endpoint, its token source (gce_metadata.h) and what a
// user is told to do when a call fails (gcloud, IAM roles, the HMAC key variables). Its XML API
// answers S3's requests and <Error> documents, so the client is aws::S3Client (src/storage/gcs_storage.h).
#pragma once
#include <string>

#include "cloud/object.h"

namespace gcs {

constexpr const char* kGcsEndpoint = "https://storage.googleapis.com";

// How a request was authorised, which decides the advice for a refusal.
enum class GcsAuth { Bearer, Hmac };

// "<op> gs://bucket/key failed: HTTP 403 AccessDenied: <msg>. <advice>", advice for either way in.
std::string describe_gcs_error(const std::string& op, const std::string& bucket, const std::string& key,
                               const cloud::ErrorInfo& e, const std::string& credential_source, GcsAuth auth);

}  // namespace gcs
