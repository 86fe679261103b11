// open_storage: the one place that maps a URL's scheme to a backend. Each backend is one row of
// the table below, opened with its part of the StorageOptions; see open.h.
#include <functional>
#include <stdexcept>

#include "storage/open.h"

#include "storage/local.h"

namespace gan {
namespace {

using Factory = std::function<std::unique_ptr<Storage>(const std::string& url, const std::string& rest,
                                                       const StorageOptions& options)>;

struct Scheme {
  const char* name;
  Factory open;
};

const Scheme kSchemes[] = {
    {"file", [](const std::string&, const std::string& rest, const StorageOptions&) -> std::unique_ptr<Storage> {
       return std::make_unique<LocalStorage>(rest);
     }},
    {"s3", [](const std::string& url, const std::string&, const StorageOptions& o) { return open_s3_storage(url, o.s3); }},
    {"az", [](const std::string& url, const std::string&, const StorageOptions& o) { return open_azure_storage(url, o.azure); }},
    {"gs", [](const std::string& url, const std::string&, const StorageOptions& o) { return open_gcs_storage(url, o.gcs); }},
};

}  // namespace

StorageOptions storage_options(const std::string& s3_endpoint, const std::string& region,
                               const std::string& azure_endpoint) {
  StorageOptions o;
  o.s3.endpoint = s3_endpoint;
  o.s3.region = region;
  o.azure.endpoint = azure_endpoint;
  return o;
}

bool is_remote_url(const std::string& url) {
  return url.find("://") != std::string::npos && url.rfind("file://", 0) != 0;
}

std::unique_ptr<Storage> open_storage(const std::string& url) { return open_storage(url, StorageOptions{}); }

std::unique_ptr<Storage> open_storage(const std::string& url, const StorageOptions& options) {
  if (url.empty()) throw std::invalid_argument("empty storage URL: give a folder, or s3://bucket/prefix");
  size_t sep = url.find("://");
  if (sep == std::string::npos) return std::make_unique<LocalStorage>(url);  // a plain path
  std::string scheme = url.substr(0, sep);
  std::string rest = url.substr(sep + 3);
  std::string known;
  for (const Scheme& s : kSchemes) {
    if (scheme == s.name) return s.open(url, rest, options);
    known += std::string(known.empty() ? "" : ", ") + s.name + "://";
  }
  throw std::invalid_argument("storage " + url + ": unknown scheme \"" + scheme +
                              "\"; supported: a folder path, " + known);
}

}  // namespace gan
