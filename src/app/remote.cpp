// Storage selection for ./gan's commands: which --storage URLs are remote, the endpoints and
// region the command line gives them, and --presign. (Moved verbatim from src/main.cpp.)
#include <iostream>
#include <stdexcept>

#include "app/commands.h"
#include "storage/azure_storage.h"
#include "storage/s3_storage.h"
#include "storage/storage.h"

namespace gan {

bool is_remote(const std::string& url) {
  return url.find("://") != std::string::npos && url.rfind("file://", 0) != 0;
}

void configure_remote(const CliOptions& o) {
  S3Options s3 = default_s3_options();
  if (!o.s3_endpoint.empty()) s3.endpoint = o.s3_endpoint;
  if (!o.region.empty()) s3.region = o.region;
  set_default_s3_options(s3);
  if (!o.azure_endpoint.empty()) {
    AzureOptions az = default_azure_options();
    az.endpoint = o.azure_endpoint;
    set_default_azure_options(az);
  }
}

int cmd_presign(CliOptions& o) {
  // s3://bucket/key, gs://bucket/key, az://account/container/key: the storage root is the first
  // one (two for Azure) path components, the rest is the object's key.
  const std::string& u = o.presign_url;
  size_t sep = u.find("://");
  std::string scheme = sep == std::string::npos ? "" : u.substr(0, sep);
  int root_parts = scheme == "az" ? 2 : (scheme == "s3" || scheme == "gs") ? 1 : 0;
  if (!root_parts)
    throw std::runtime_error("--presign " + u + ": expected s3://bucket/key, gs://bucket/key or az://account/container/key");
  size_t cut = sep + 3;
  for (int i = 0; i < root_parts && cut != std::string::npos; ++i) cut = u.find('/', cut + (i ? 1 : 0));
  if (cut == std::string::npos || cut + 1 >= u.size())
    throw std::runtime_error("--presign " + u + ": no object key after the " + (scheme == "az" ? "container" : "bucket"));
  configure_remote(o);
  std::unique_ptr<Storage> s = open_storage(u.substr(0, cut));
  std::string url = s->presign(u.substr(cut + 1), o.expires);
  if (url.empty()) throw std::runtime_error("--presign " + u + ": this storage cannot make presigned links");
  std::cout << url << "\n";
  return 0;
}

}  // namespace gan
