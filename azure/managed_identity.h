// Azure managed identity: an access token for Azure Storage from the instance metadata service
// (IMDS), for VMs whose identity has been granted a Storage Blob Data role. No secret on disk.
//
//   GET http://169.254.169.254/metadata/identity/oauth2/token
//       ?api-version=2018-02-01&resource=https://storage.azure.com/[&client_id=...]
//   Metadata: true
// answers {"access_token": ..., "expires_on": "<unix seconds>", "expires_in": ..., ...}.
// AZURE_IMDS_ENDPOINT overrides the address (tests run a fake one); AZURE_CLIENT_ID picks a
// user-assigned identity when the VM has several.
#pragma once
#include <string>

#include "cloud/token_cache.h"

namespace azure {

class ManagedIdentitySource : public cloud::MetadataTokenSource {
 public:
  // endpoint "" = AZURE_IMDS_ENDPOINT or http://169.254.169.254; client_id "" = AZURE_CLIENT_ID.
  explicit ManagedIdentitySource(std::string endpoint = "", std::string client_id = "");
};

}  // namespace azure
