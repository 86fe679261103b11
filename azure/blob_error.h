// Azure Blob failures as one exception type carrying what a user needs to act on: the operation,
// the blob, the HTTP status, Azure's error code (x-ms-error-code, or <Code> of the error XML) and
// message, and a sentence saying what to do (ContainerNotFound → create it or fix --storage;
// AuthenticationFailed → which key, and the clock; AuthorizationPermissionMismatch → the role).
#pragma once
#include <stdexcept>
#include <string>

#include "aws/http_transport.h"

namespace azure {

struct BlobErrorInfo {
  long status = 0;
  std::string code;     // "ContainerNotFound", "ServerBusy", ... ("" when none was given)
  std::string message;  // Azure's <Message>, first line
  std::string detail;   // <AuthenticationErrorDetail>, when Azure explains a signature failure
  std::string request_id;
};

BlobErrorInfo parse_blob_error(const aws::HttpResponse& resp);

// The body without the UTF-8 byte-order mark Azure puts before its XML documents (error bodies
// and List Blobs answers), which aws::parse_xml does not accept.
std::string strip_bom(const std::string& body);

// 500 InternalError, 503 ServerBusy, OperationTimedOut, 429 and the other transient statuses.
bool is_transient_blob_error(const BlobErrorInfo& e);

class BlobError : public std::runtime_error {
 public:
  BlobError(const std::string& what, BlobErrorInfo info, bool transient)
      : std::runtime_error(what), info_(std::move(info)), transient_(transient) {}
  const BlobErrorInfo& info() const { return info_; }
  long status() const { return info_.status; }
  const std::string& code() const { return info_.code; }
  bool transient() const { return transient_; }

 private:
  BlobErrorInfo info_;
  bool transient_;
};

// "<op> az://account/container/blob failed: HTTP 404 ContainerNotFound: <msg>. <advice>"
std::string describe_blob_error(const std::string& op, const std::string& account, const std::string& container,
                                const std::string& blob, const BlobErrorInfo& e, const std::string& credential_source,
                                const std::string& endpoint);

}  // namespace azure
