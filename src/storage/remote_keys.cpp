#include "storage/remote_keys.h"

#include <algorithm>
#include <stdexcept>

#include "storage/local.h"

namespace gan {

static std::string base(const std::string& prefix) { return prefix.empty() ? "" : prefix + "/"; }

std::string remote_full_key(const std::string& prefix, const std::string& key) {
  validate_storage_key(key);
  return base(prefix) + key;
}

std::string remote_list_prefix(const std::string& prefix, const std::string& sub) {
  validate_storage_prefix(sub);
  return base(prefix) + sub;
}

std::string remote_dir_prefix(const std::string& prefix, const std::string& sub) {
  validate_storage_prefix(sub);
  std::string p = sub;
  if (!p.empty() && p.back() != '/') p += '/';
  return base(prefix) + p;
}

std::vector<ObjectInfo> remote_objects(const std::string& prefix, std::vector<ObjectInfo> listed) {
  const std::string b = base(prefix);
  std::vector<ObjectInfo> out;
  for (ObjectInfo& o : listed) {
    if (o.key.size() <= b.size() || o.key.compare(0, b.size(), b) != 0 || o.key.back() == '/') continue;
    o.key = o.key.substr(b.size());
    out.push_back(std::move(o));
  }
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& c) { return a.key < c.key; });
  return out;
}

std::vector<std::string> remote_dirs(const std::string& dir_prefix, const std::vector<std::string>& common_prefixes) {
  std::vector<std::string> out;
  for (const std::string& cp : common_prefixes) {
    std::string name = cp.substr(std::min(dir_prefix.size(), cp.size()));
    if (!name.empty() && name.back() == '/') name.pop_back();
    if (!name.empty()) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string content_type_for_key(const std::string& key) {
  auto ends = [&](const char* ext) {
    std::string e(ext);
    return key.size() >= e.size() && key.compare(key.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".png")) return "image/png";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".json")) return "application/json";
  if (ends(".csv")) return "text/csv";
  if (ends(".html")) return "text/html";
  return "application/octet-stream";
}

}  // namespace gan
