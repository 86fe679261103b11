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
  cloud::TransportOptions o;
  o.connect_timeout_ms = 1000;  // off GCE the name does not resolve or nothing answers: fail fast
  transport_ = std::make_shared<cloud::HttpTransport>(o);
}

cloud::AccessToken GceMetadataSource::fetch(int64_t now) {
  cloud::HttpRequest req;
  req.url = "http://" + host_ + "/computeMetadata/v1/instance/service-accounts/default/token";
  req.headers = {{"Metadata-Flavor", "Google"}};
  req.timeout_ms = 5000;
  req.no_proxy = true;  // link-local: never through http_proxy
  cloud::RetryPolicy policy;
  policy.max_attempts = 4;
  cloud::Backoff backoff(policy);
  cloud::HttpResponse resp;
  for (;;) {
    try {
      resp = transport_->perform(req);
    } catch (const cloud::TransportError& e) {
      if (backoff.wait()) continue;
      throw std::runtime_error(name() + " did not answer (" + e.what() +
                               "): not on a GCE VM? Set GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET (an HMAC key from "
                               "Cloud Storage > Settings > Interoperability) instead");
    }
    if (cloud::is_transient_http_status(resp.status) && backoff.wait()) continue;
    break;
  }
  if (resp.status != 200)
    throw std::runtime_error(name() + " refused a token: HTTP " + std::to_string(resp.status) + " " +
                             resp.body.substr(0, 200) +
                             ". Give the VM a service account with the cloud-platform (or devstorage) scope");
  if (resp.header("metadata-flavor") != "Google")
    throw std::runtime_error(name() + " answered without 'Metadata-Flavor: Google': that is not a GCE metadata "
                             "server (a proxy?); set GCE_METADATA_HOST or use HMAC keys");
  auto f = cloud::json_fields(resp.body);
  cloud::AccessToken t;
  t.token = f["access_token"];
  if (t.token.empty()) throw std::runtime_error(name() + " answered without an access_token");
  int64_t in = std::atoll(f["expires_in"].c_str());
  t.expires_at = now + (in > 0 ? in : 300);
  t.source = name();
  return t;
}

}  // namespace gcs
