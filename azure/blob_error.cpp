// Azure Blob error parsing and advice; see blob_error.h.
#include "azure/blob_error.h"

#include "cloud/retry.h"
#include "cloud/xml.h"
#include "common/text.h"

namespace azure {

cloud::ErrorInfo parse_blob_error(const cloud::HttpResponse& resp) {
  cloud::ErrorInfo e;
  e.status = resp.status;
  e.code = resp.header("x-ms-error-code");
  e.request_id = resp.header("x-ms-request-id");
  if (resp.body.find("<Error") != std::string::npos) {
    try {
      cloud::XmlNode doc = cloud::parse_xml(resp.body);  // expat skips the byte order mark Azure sends
      if (e.code.empty()) e.code = doc.child_text("Code");
      e.message = doc.child_text("Message");
      e.detail = doc.child_text("AuthenticationErrorDetail");
    } catch (const std::exception&) {
      // a proxy's HTML error page: the status says enough
    }
  }
  e.message = gan::trim(e.message.substr(0, e.message.find('\n')));  // the first line
  return e;
}

bool is_transient_blob_error(const cloud::ErrorInfo& e) {
  return cloud::is_transient_http_status(e.status) || e.code == "ServerBusy" || e.code == "InternalError" ||
         e.code == "OperationTimedOut";
}

std::string describe_blob_error(const std::string& op, const std::string& account, const std::string& container,
                                const std::string& blob, const cloud::ErrorInfo& e, const std::string& credential_source,
                                const std::string& endpoint) {
  std::string advice;
  const std::string& c = e.code;
  if (c == "ContainerNotFound")
    advice = "Create the container (az storage container create --name " + container + " --account-name " + account +
             ") or fix --storage az://account/container/prefix.";
  else if (c == "AuthenticationFailed" || c == "InvalidAuthenticationInfo")
    advice = "The credentials from " + credential_source + " were rejected for account '" + account +
             "': check that the key or SAS belongs to this account and has not been rotated or expired, and that this "
             "machine's clock is right.";
  else if (c == "AuthorizationPermissionMismatch" || c == "AuthorizationFailure" ||
           c == "AuthorizationResourceTypeMismatch" || c == "AuthorizationServiceMismatch")
    advice = "The identity from " + credential_source +
             " may not do this: grant it the Storage Blob Data Contributor role on the account (or make a SAS with "
             "permissions racwdl for the Blob service, resource types sco), and check that the account's firewall "
             "admits this network.";
  else if (c == "AccountIsDisabled")
    advice = "The storage account '" + account + "' is disabled: enable it in the portal.";
  else if (c == "InvalidResourceName" || c == "OutOfRangeInput")
    advice = "Container names are 3-63 lowercase letters, digits and hyphens; fix --storage.";
  else if (e.status == 403)
    advice = "Access was denied using " + credential_source + ": check the key, SAS or role assignment.";
  else if (is_transient_blob_error(e))
    advice = "The service is busy or failing (" + endpoint + "); it was retried; try again later.";
  return cloud::failure_message(op, "az://" + account + "/" + container + (blob.empty() ? "" : "/" + blob), e, advice);
}

}  // namespace azure
