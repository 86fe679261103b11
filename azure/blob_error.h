// Azure Blob's side of cloud::Error (object.h): its code (x-ms-error-code, or <Code> of the error
// XML) and message, and a sentence saying what to do.
#pragma once
#include <string>

#include "cloud/http.h"
#include "cloud/object.h"

namespace azure {

using BlobError = cloud::Error;

cloud::ErrorInfo parse_blob_error(const cloud::HttpResponse& resp);

// 500 InternalError, 503 ServerBusy, OperationTimedOut, 429 and the other transient statuses.
bool is_transient_blob_error(const cloud::ErrorInfo& e);

// "<op> az://account/container/blob failed: HTTP 404 ContainerNotFound: <msg>. <advice>"
std::string describe_blob_error(const std::string& op, const std::string& account, const std::string& container,
                                const std::string& blob, const cloud::ErrorInfo& e, const std::string& credential_source,
                                const std::string& endpoint);

}  // namespace azure
