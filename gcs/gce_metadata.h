// GCE service-account tokens: an OAuth access token from the metadata server, for VMs whose
// service account may use the bucket (roles/storage.objectAdmin). No key file on disk. It answers
// {"access_token": ..., "expires_in": <seconds>, "token_type": "Bearer"}. GCE_METADATA_HOST
// ("host[:port]", as Google's client libraries read it) overrides the address for tests.
#pragma once
#include <string>

#include "cloud/token_cache.h"
#include "common/text.h"

namespace gcs {

class GceMetadataSource : public cloud::MetadataTokenSource {
 public:
  explicit GceMetadataSource(std::string host = "") {
    if (host.empty()) host = gan::env("GCE_METADATA_HOST");
    if (host.empty()) host = "metadata.google.internal";
    name_ = "GCE metadata server (" + host + ")";
    url_ = "http://" + host + "/computeMetadata/v1/instance/service-accounts/default/token";
    header_ = {"Metadata-Flavor", "Google"};
    instead_ = "not on a GCE VM? Set GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET (an HMAC key from Cloud Storage > "
               "Settings > Interoperability) instead";
    refused_ = "Give the VM a service account with the cloud-platform (or devstorage) scope";
    not_genuine_ = "that is not a GCE metadata server (a proxy?); set GCE_METADATA_HOST or use HMAC keys";
  }
};

}  // namespace gcs
