// open_storage: the one place that maps a URL's scheme to a backend. Each backend is one row of
// the table below; adding S3, Azure or GCS means replacing its row's factory, nothing else.
#include <functional>
#include <stdexcept>

#include "storage/azure_storage.h"
#include "storage/gcs_storage.h"
#include "storage/local.h"
#include "storage/s3_storage.h"
#include "storage/storage.h"

namespace gan {
namespace {

using Factory = std::function<std::unique_ptr<Storage>(const std::string& url, const std::string& rest)>;

struct Scheme {
  const char* name;
  Factory open;
};

const Scheme kSchemes[] = {
    {"file", [](const std::string&, const std::string& rest) -> std::unique_ptr<Storage> {
       return std::make_unique<LocalStorage>(rest);
     }},
    {"s3", [](const std::string& url, const std::string&) { return open_s3_storage(url, default_s3_options()); }},
    {"az", [](const std::string& url, const std::string&) { return open_azure_storage(url, default_azure_options()); }},
    {"gs", [](const std::string& url, const std::string&) { return open_gcs_storage(url, default_gcs_options()); }},
};

}  // namespace

std::unique_ptr<Storage> open_storage(const std::string& url) {
  if (url.empty()) throw std::invalid_argument("empty storage URL: give a folder, or s3://bucket/prefix");
  size_t sep = url.find("://");
  if (sep == std::string::npos) return std::make_unique<LocalStorage>(url);  // a plain path
  std::string scheme = url.substr(0, sep);
  std::string rest = url.substr(sep + 3);
  std::string known;
  for (const Scheme& s : kSchemes) {
    if (scheme == s.name) return s.open(url, rest);
    known += std::string(known.empty() ? "" : ", ") + s.name + "://";
  }
  throw std::invalid_argument("storage " + url + ": unknown scheme \"" + scheme +
                              "\"; supported: a folder path, " + known);
}

}  // namespace gan
