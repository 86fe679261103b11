// Managed identity tokens; see managed_identity.h.
#include "azure/managed_identity.h"

#include <cstdlib>
#include <stdexcept>

#include "cloud/json.h"
#include "cloud/retry.h"
#include "cloud/http.h"

namespace azure {

using cloud::env;

ManagedIdentitySource::ManagedIdentitySource(std::string endpoint, std::string client_id)
    : endpoint_(std::move(endpoint)), client_id_(std::move(client_id)) {
  if (endpoint_.empty()) endpoint_ = env("AZURE_IMDS_ENDPOINT");
  if (endpoint_.empty()) endpoint_ = "http://169.254.169.254";
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  if (client_id_.empty()) client_id_ = env("AZURE_CLIENT_ID");
  transport_ = cloud::metadata_transport();
}

cloud::AccessToken ManagedIdentitySource::fetch(int64_t now) {
  cloud::HttpRequest req;
  req.url = endpoint_ + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" +
            cloud::uri_encode("https://storage.azure.com/", true);
  if (!client_id_.empty()) req.url += "&client_id=" + cloud::uri_encode(client_id_, true);
  req.headers = {{"Metadata", "true"}};
  // IMDS answers 429 when throttled, 5xx and 404 while the identity is being set up.
  cloud::HttpResponse resp = cloud::ask_metadata_service(
      *transport_, req, name(),
      "not on an Azure VM? Set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN instead", 404);
  std::map<std::string, std::string> f;
  try {
    f = cloud::json_fields(resp.body);
  } catch (const std::exception&) {
  }
  if (resp.status != 200) {
    std::string detail = f.count("error_description") ? f["error_description"] : resp.body.substr(0, 200);
    throw std::runtime_error(name() + " refused a token: HTTP " + std::to_string(resp.status) + " " + detail +
                             ". Assign a managed identity to this VM (and, with several, set AZURE_CLIENT_ID), "
                             "and grant it the Storage Blob Data Contributor role on the storage account");
  }
  return cloud::token_from_fields(f, now, name());
}

}  // namespace azure
