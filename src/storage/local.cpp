// LocalStorage: keys are validated before any path is built from them, because the monitor
// passes keys taken from request URLs; a key can only ever name a file below the root.
// Listing skips the "<name>.tmp.<pid>.<n>" files of writes in progress, so readers never see a
// partial artifact, and does not follow symlinked folders (no cycles, no escaping the root).
#include "storage/local.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

#include "train/artifacts/atomic_file.h"

namespace fs = std::filesystem;

namespace gan {
namespace {

constexpr size_t kMaxKey = 1024;  // S3's limit; the same keys must work on every backend

[[noreturn]] void bad_key(const std::string& what, const std::string& key) {
  std::string shown;
  for (char c : key) shown += (c == '\0') ? std::string("\\0") : std::string(1, c);
  throw std::invalid_argument("invalid storage key \"" + shown + "\": " + what);
}

// Shared by keys and prefixes; a prefix may end in '/' (its last segment is then empty).
void check_segments(const std::string& key, bool is_prefix) {
  if (key.size() > kMaxKey) bad_key("longer than 1024 bytes", key.substr(0, 64) + "...");
  if (key.find('\0') != std::string::npos) bad_key("contains a NUL byte", key);
  if (key.find('\\') != std::string::npos) bad_key("contains a backslash (use '/')", key);
  if (!key.empty() && key[0] == '/') bad_key("must be relative (no leading '/')", key);
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    bool last = end == std::string::npos;
    if (last) end = key.size();
    std::string seg = key.substr(start, end - start);
    if (seg == "..") bad_key("contains a \"..\" segment", key);
    if (seg == "." && !(is_prefix && last)) bad_key("contains a \".\" segment", key);
    if (seg.empty() && !(is_prefix && last)) bad_key("contains an empty segment", key);
    if (last) break;
    start = end + 1;
  }
}

std::string parent_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace

void validate_storage_key(const std::string& key) {
  if (key.empty()) bad_key("empty", key);
  check_segments(key, false);
}

void validate_storage_prefix(const std::string& prefix) {
  if (prefix.empty()) return;
  check_segments(prefix, true);
}

LocalStorage::LocalStorage(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_.empty()) root_ = ".";
}

std::string LocalStorage::path_for(const std::string& key) const {
  validate_storage_key(key);
  return root_ + "/" + key;
}

void LocalStorage::put(const std::string& key, const std::string& bytes) {
  std::string path = path_for(key);
  make_dirs(parent_of(path));
  write_file_atomic(path, bytes);
}

void LocalStorage::put_file(const std::string& key, const std::string& local_path) {
  std::string path = path_for(key);
  make_dirs(parent_of(path));
  copy_file_atomic(local_path, path);
}

std::optional<std::string> LocalStorage::get(const std::string& key) {
  std::string path = path_for(key);
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return std::nullopt;  // a folder
  std::string bytes;
  if (!read_file_if_exists(path, &bytes)) return std::nullopt;
  return bytes;
}

std::optional<ObjectInfo> LocalStorage::stat(const std::string& key) {
  std::string path = path_for(key);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    int e = errno;
    throw std::runtime_error("cannot stat " + path + ": " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  return ObjectInfo{key, (int64_t)st.st_size, (int64_t)st.st_mtime};
}

std::vector<ObjectInfo> LocalStorage::list(const std::string& prefix) {
  validate_storage_prefix(prefix);
  // Walk only the folder the prefix names ("run/ep" → "run/"), then filter by the full prefix.
  std::string dir_key = prefix.substr(0, prefix.rfind('/') == std::string::npos ? 0 : prefix.rfind('/') + 1);
  fs::path dir = dir_key.empty() ? fs::path(root_) : fs::path(root_ + "/" + dir_key);
  std::vector<ObjectInfo> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) throw std::runtime_error("cannot list " + dir.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) {  // a folder removed while we walk it: skip it, as S3 listing would
      ec.clear();
      continue;
    }
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;
    std::string name = it->path().filename().string();
    if (is_atomic_temp_name(name)) continue;
    std::string rel = it->path().lexically_relative(dir).generic_string();
    std::string key = dir_key + rel;
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    struct stat st;
    if (::stat(it->path().c_str(), &st) != 0) continue;  // vanished meanwhile
    out.push_back(ObjectInfo{key, (int64_t)st.st_size, (int64_t)st.st_mtime});
  }
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

std::vector<std::string> LocalStorage::list_dirs(const std::string& prefix) {
  validate_storage_prefix(prefix);
  std::string p = prefix;
  if (!p.empty() && p.back() != '/') p += '/';
  fs::path dir = p.empty() ? fs::path(root_) : fs::path(root_ + "/" + p);
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  fs::directory_iterator it(dir, ec), end;
  if (ec) throw std::runtime_error("cannot list " + dir.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    std::error_code dec;
    if (it->is_directory(dec)) out.push_back(it->path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void LocalStorage::remove(const std::string& key) {
  std::string path = path_for(key);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    int e = errno;
    throw std::runtime_error("cannot remove " + path + ": " + std::strerror(e) +
                             " (check the folder's permissions)");
  }
  // Object stores have no empty folders; drop ours as they empty, up to (not including) the root.
  std::string dir = parent_of(key);
  while (!dir.empty()) {
    if (::rmdir((root_ + "/" + dir).c_str()) != 0) break;  // not empty (or gone): stop
    dir = parent_of(dir);
  }
}

}  // namespace gan
