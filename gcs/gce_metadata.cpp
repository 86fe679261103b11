// GCE metadata tokens; see gce_metadata.h.
#include "gcs/gce_metadata.h"

#include <cstdlib>
#include <stdexcept>

#include "cloud/json.h"
#include "cloud/retry.h"

namespace gcs {

GceMetadataSource::GceMetadataSource(std::string host) : host_(std::move(host)) {
  if (host_.empty()) {
    const char* e = std::getenv("GCE_METADATA_HOST");
    host_ = e && *e ? e : "metadata.google.internal";
  }
  transport_ = cloud::metadata_transport();
}

cloud::AccessToken GceMetadataSource::fetch(int64_t now) {
  cloud::HttpRequest req;
  req.url = "http://" + host_ + "/computeMetadata/v1/instance/service-accounts/default/token";
  req.headers = {{"Metadata-Flavor", "Google"}};
  cloud::HttpResponse resp = cloud::ask_metadata_service(
      *transport_, req, name(),
      "not on a GCE VM? Set GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET (an HMAC key from Cloud Storage > Settings > "
      "Interoperability) instead");
  if (resp.status != 200)
    throw std::runtime_error(name() + " refused a token: HTTP " + std::to_string(resp.status) + " " +
                             resp.body.substr(0, 200) +
                             ". Give the VM a service account with the cloud-platform (or devstorage) scope");
  if (resp.header("metadata-flavor") != "Google")
    throw std::runtime_error(name() + " answered without 'Metadata-Flavor: Google': that is not a GCE metadata "
                             "server (a proxy?); set GCE_METADATA_HOST or use HMAC keys");
  auto f = cloud::json_fields(resp.body);
  return cloud::token_from_fields(f, now, name());
}

}  // namespace gcs
