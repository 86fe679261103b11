// Managed identity tokens; see managed_identity.h.
#include "azure/managed_identity.h"

#include "cloud/http.h"

namespace azure {

using cloud::env;

ManagedIdentitySource::ManagedIdentitySource(std::string endpoint, std::string client_id) {
  if (endpoint.empty()) endpoint = env("AZURE_IMDS_ENDPOINT");
  if (endpoint.empty()) endpoint = "http://169.254.169.254";
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (client_id.empty()) client_id = env("AZURE_CLIENT_ID");
  name_ = "Azure managed identity (IMDS at " + endpoint + ")";
  url_ = endpoint + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" +
         cloud::uri_encode("https://storage.azure.com/", true);
  if (!client_id.empty()) url_ += "&client_id=" + cloud::uri_encode(client_id, true);
  header_ = {"Metadata", "true"};
  // IMDS answers 429 when throttled, 5xx and 404 while the identity is being set up.
  retry_status_ = 404;
  instead_ = "not on an Azure VM? Set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN instead";
  refused_ = "Assign a managed identity to this VM (and, with several, set AZURE_CLIENT_ID), "
             "and grant it the Storage Blob Data Contributor role on the storage account";
}

}  // namespace azure
