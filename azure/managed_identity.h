// Azure managed identity: an access token for Azure Storage from the instance metadata service
// (IMDS), for VMs whose identity has been granted a Storage Blob Data role. No secret on disk. It
// answers {"access_token": ..., "expires_on": "<unix seconds>", "expires_in": ..., ...}.
// AZURE_IMDS_ENDPOINT overrides the address (tests run a fake one); AZURE_CLIENT_ID picks a
// user-assigned identity when the VM has several.
#pragma once
#include <string>

#include "cloud/token_cache.h"
#include "common/text.h"

namespace azure {

class ManagedIdentitySource : public cloud::MetadataTokenSource {
 public:
  explicit ManagedIdentitySource(std::string endpoint = "", std::string client_id = "") {
    endpoint = cloud::metadata_endpoint(std::move(endpoint), "AZURE_IMDS_ENDPOINT");
    if (client_id.empty()) client_id = gan::env("AZURE_CLIENT_ID");
    name_ = "Azure managed identity (IMDS at " + endpoint + ")";
    url_ = endpoint + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" +
           gan::uri_encode("https://storage.azure.com/", true);
    if (!client_id.empty()) url_ += "&client_id=" + gan::uri_encode(client_id, true);
    header_ = {"Metadata", "true"};
    // IMDS answers 429 when throttled, 5xx and 404 while the identity is being set up.
    retry_status_ = 404;
    instead_ = "not on an Azure VM? Set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN instead";
    refused_ = "Assign a managed identity to this VM (and, with several, set AZURE_CLIENT_ID), "
               "and grant it the Storage Blob Data Contributor role on the storage account";
  }
};

}  // namespace azure
