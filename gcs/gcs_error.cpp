// GCS's advice for a failed call; see gcs_error.h.
#include "gcs/gcs_error.h"

namespace gcs {

std::string describe_gcs_error(const std::string& op, const std::string& bucket, const std::string& key,
                               const cloud::ErrorInfo& e, const std::string& credential_source, GcsAuth auth) {
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
  else if (e.status >= 500 || e.status == 429 || e.status == 408 || e.code == "SlowDown" || e.code == "RequestTimeout" ||
           e.code == "InternalError" || e.code == "OperationAborted")  // what the S3 dialect retries
    advice = "The service is busy or failing; it was retried; try again later.";
  return cloud::failure_message(op, "gs://" + bucket + (key.empty() ? "" : "/" + key), e, advice);
}

}  // namespace gcs
