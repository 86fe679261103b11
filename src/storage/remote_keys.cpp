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

void RemoteStorage::put(const std::string& key, const std::string& bytes) {
  write([&] { return client_->put(bucket_, full_key(key), bytes, content_type_for_key(key)); });
}

void RemoteStorage::put_file(const std::string& key, const std::string& local_path) {
  write([&] { return client_->put_file(bucket_, full_key(key), local_path, content_type_for_key(key)); });
}

std::optional<std::string> RemoteStorage::get(const std::string& key) {
  return remote_call([&] { return client_->get(bucket_, full_key(key)); });
}

std::optional<ObjectInfo> RemoteStorage::stat(const std::string& key) {
  auto o = remote_call([&] { return client_->head(bucket_, full_key(key)); });
  if (!o) return std::nullopt;
  return ObjectInfo{key, o->size, o->last_modified};
}

std::vector<ObjectInfo> RemoteStorage::list(const std::string& prefix) {
  const std::string names = remote_list_prefix(prefix_, prefix);
  cloud::Listing l = remote_call([&] { return client_->list(bucket_, names); });
  std::vector<ObjectInfo> listed;
  for (auto& o : l.objects) listed.push_back(ObjectInfo{o.key, o.size, o.last_modified});
  return remote_objects(prefix_, std::move(listed));
}

std::vector<std::string> RemoteStorage::list_dirs(const std::string& prefix) {
  const std::string dir = remote_dir_prefix(prefix_, prefix);
  cloud::Listing l = remote_call([&] { return client_->list(bucket_, dir, "/"); });
  return remote_dirs(dir, l.common_prefixes);
}

void RemoteStorage::remove(const std::string& key) {
  remote_call([&] {
    client_->remove(bucket_, full_key(key));
    return 0;
  });
}

}  // namespace gan
