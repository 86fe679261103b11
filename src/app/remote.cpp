// Storage selection for ./gan's commands: the endpoints and region the command line gives the
// remote backends (storage/open.h opens them), and --presign.
#include <iostream>
#include <stdexcept>

#include "app/commands.h"
#include "storage/open.h"

namespace gan {

StorageOptions remote_options(const CliOptions& o) {
  return storage_options(o.s3_endpoint, o.region, o.azure_endpoint);
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
  std::unique_ptr<Storage> s = open_storage(u.substr(0, cut), remote_options(o));
  std::string url = s->presign(u.substr(cut + 1), o.expires);
  if (url.empty()) throw std::runtime_error("--presign " + u + ": this storage cannot make presigned links");
  std::cout << url << "\n";
  return 0;
}

}  // namespace gan
