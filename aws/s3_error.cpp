// S3 error parsing and advice; see s3_error.h.
#include "aws/s3_error.h"

#include <map>

#include "cloud/xml.h"

namespace aws {

S3ErrorInfo parse_s3_error(const cloud::HttpResponse& resp) {
  S3ErrorInfo e;
  e.status = resp.status;
  e.region = resp.header("x-amz-bucket-region");
  e.request_id = resp.header("x-amz-request-id");
  e.server_time = resp.header("date");
  if (body_is_error(resp.body)) {
    try {
      cloud::XmlNode doc = cloud::parse_xml(resp.body);
      e.code = doc.child_text("Code");
      e.message = doc.child_text("Message");
      if (e.region.empty()) e.region = doc.child_text("Region");
      if (auto r = doc.child_text("RequestId"); !r.empty()) e.request_id = r;
    } catch (const std::exception&) {
      e.message = resp.body.substr(0, 200);
    }
  }
  // HEAD and some proxies answer without a body: name the status.
  static const std::map<long, const char*> kByStatus = {
      {301, "PermanentRedirect"}, {403, "Forbidden"}, {404, "NotFound"}, {503, "ServiceUnavailable"}};
  if (auto it = kByStatus.find(resp.status); e.code.empty() && it != kByStatus.end()) e.code = it->second;
  return e;
}

bool body_is_error(const std::string& body) {
  // "<?xml ...?>\n<Error>": look only near the start, a listing may contain the word anywhere.
  size_t p = body.find("<Error>");
  return p != std::string::npos && p < 200;
}

bool is_transient_s3_error(const S3ErrorInfo& e) {
  return e.code == "SlowDown" || e.code == "RequestTimeout" || e.code == "InternalError" ||
         e.code == "ServiceUnavailable" || e.code == "OperationAborted" || e.code == "RequestTimeTooSkewed" ||
         e.status >= 500 || e.status == 429 || e.status == 408;
}

namespace {

// The IAM action S3 checks for one of the client's operations (Call::op), and its resource.
std::pair<std::string, std::string> permission_for(const std::string& op, const std::string& bucket) {
  const std::string objects = "arn:aws:s3:::" + bucket + "/*", whole = "arn:aws:s3:::" + bucket;
  // Multipart uploads are authorised as PutObject (create, each part, complete); aborting one is
  // its own action. A listing is checked on the bucket, not its objects.
  if (op == "PUT" || op == "CREATE MULTIPART UPLOAD" || op.rfind("UPLOAD PART", 0) == 0 ||
      op == "COMPLETE MULTIPART UPLOAD")
    return {"s3:PutObject", objects};
  if (op == "ABORT MULTIPART UPLOAD") return {"s3:AbortMultipartUpload", objects};
  if (op == "DELETE") return {"s3:DeleteObject", objects};
  if (op == "LIST") return {"s3:ListBucket", whole};
  return {"s3:GetObject", objects};  // GET and HEAD
}

// "Access key AKIA... (EC2 instance role 'r')" and whom to grant the permission to.
std::pair<std::string, std::string> principal(const std::string& access_key_id, const std::string& source) {
  std::string who = "Access key " + (access_key_id.empty() ? std::string("(unknown)") : access_key_id);
  const std::string role_prefix = "EC2 instance role '";
  if (source.rfind(role_prefix, 0) == 0)
    return {who + " (" + source + ")", "role " + source.substr(role_prefix.size() - 1)};
  if (source == "environment") who += " (from AWS_ACCESS_KEY_ID)";
  else if (!source.empty() && source != "static") who += " (from " + source + ")";
  return {who, "the IAM user or role that owns it (aws sts get-caller-identity names it)"};
}

}  // namespace

std::string describe_s3_error(const std::string& op, const std::string& bucket, const std::string& key,
                              const S3ErrorInfo& e, const std::string& access_key_id, const std::string& endpoint,
                              const std::string& credential_source) {
  std::string target = "s3://" + bucket + (key.empty() ? "" : "/" + key);
  std::string advice;
  const std::string& c = e.code;
  if (c == "NoSuchBucket") {
    advice = "The bucket '" + bucket + "' does not exist at " + endpoint +
             ": create it (aws s3 mb s3://" + bucket + ") or fix the bucket in --storage.";
  } else if (c == "AccessDenied" || c == "Forbidden" || c == "AllAccessDisabled") {
    const auto [action, resource] = permission_for(op, bucket);
    const auto [who, grantee] = principal(access_key_id, credential_source);
    advice = who + " is not allowed to " + op + " " + target + ": grant " + grantee + " " + action + " on " + resource +
             ", or use other credentials (AWS_PROFILE).";
    if (action == "s3:GetObject")
      advice += " Without s3:ListBucket on arn:aws:s3:::" + bucket + ", S3 also answers 403 for a key that does not exist.";
  } else if (c == "InvalidAccessKeyId") {
    advice = "Access key " + access_key_id + " does not exist for " + endpoint + ": check the credentials, or --s3-endpoint.";
  } else if (c == "SignatureDoesNotMatch") {
    advice = "The secret key does not match access key " + access_key_id + " (or a proxy changed the request): check AWS_SECRET_ACCESS_KEY or the profile.";
  } else if (c == "ExpiredToken" || c == "TokenRefreshRequired" || c == "InvalidToken") {
    advice = "The session token has expired or is invalid: refresh the temporary credentials (aws sso login, or a new AWS_SESSION_TOKEN).";
  } else if (c == "PermanentRedirect" || c == "AuthorizationHeaderMalformed" || c == "IllegalLocationConstraintException") {
    advice = "The bucket is in another region" + (e.region.empty() ? std::string() : " (" + e.region + ")") + ": pass --region " +
             (e.region.empty() ? std::string("<its region>") : e.region) + ".";
  } else if (c == "RequestTimeTooSkewed") {
    advice = "This machine's clock differs from the server's by more than 15 minutes: fix the clock (timedatectl set-ntp true).";
  } else if (c == "SlowDown" || e.status == 503) {
    advice = "S3 is throttling requests: this was retried; try again later or spread uploads out.";
  } else if (c == "EntityTooSmall") {
    advice = "A multipart part was below S3's 5 MiB minimum: this is a bug in the part sizing, please report it.";
  } else if (e.status >= 500) {
    advice = "The server failed; this was retried. Try again later.";
  }
  std::string msg = cloud::failure_message(op, target, e, advice);
  return e.request_id.empty() ? msg : msg + " (request id " + e.request_id + ")";
}

}  // namespace aws
