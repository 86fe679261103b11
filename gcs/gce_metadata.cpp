// GCE metadata tokens; see gce_metadata.h.
#include "gcs/gce_metadata.h"

namespace gcs {

GceMetadataSource::GceMetadataSource(std::string host) {
  if (host.empty()) host = cloud::env("GCE_METADATA_HOST");
  if (host.empty()) host = "metadata.google.internal";
  name_ = "GCE metadata server (" + host + ")";
  url_ = "http://" + host + "/computeMetadata/v1/instance/service-accounts/default/token";
  header_ = {"Metadata-Flavor", "Google"};
  instead_ = "not on a GCE VM? Set GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET (an HMAC key from Cloud Storage > "
             "Settings > Interoperability) instead";
  refused_ = "Give the VM a service account with the cloud-platform (or devstorage) scope";
  not_genuine_ = "that is not a GCE metadata server (a proxy?); set GCE_METADATA_HOST or use HMAC keys";
}

}  // namespace gcs
