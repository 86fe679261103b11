// LocalStorage: keys are validated before any path is built from them, because the monitor
// passes keys taken from request URLs; a key can only ever name a file below the root.
// Reads never follow a symbolic link below the root: each folder of the key is opened with
// O_NOFOLLOW from the one above it (openat), and the file itself too, so a link planted in the
// storage folder ("evilrun -> /etc") reads as missing; listings skip links. The root itself
// may be a link (it is the user's choice). Listing also skips the "<name>.tmp.<pid>.<n>" files of
// writes in progress, so readers never see a partial artifact.
#include "storage/local.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"

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

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

bool missing_errno(int e) { return e == ENOENT || e == ENOTDIR || e == ELOOP; }

// The folder `dir_key` ("" = the root, "run/epoch/3") opened (O_PATH) one segment at a time,
// refusing a symbolic link at every level below the root. -1 with errno when it cannot be:
// ELOOP or ENOTDIR for a link, ENOENT for nothing there.
int open_dir_beneath(const std::string& root, const std::string& dir_key) {
  Fd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dir.fd < 0) return -1;
  size_t start = 0;
  while (start < dir_key.size()) {
    size_t end = dir_key.find('/', start);
    if (end == std::string::npos) end = dir_key.size();
    const std::string seg = dir_key.substr(start, end - start);
    start = end + 1;
    if (seg.empty()) continue;
    Fd next(::openat(dir.fd, seg.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.fd < 0) return -1;
    std::swap(dir.fd, next.fd);
  }
  return dir.release();
}

// Whether every folder of `dir_key` below the root is a real folder (no link on the way).
bool dir_beneath(const std::string& root, const std::string& dir_key) {
  Fd d(open_dir_beneath(root, dir_key));
  return d.fd >= 0;
}

class LocalReader : public ObjectReader {
 public:
  LocalReader(int fd, int64_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
  int64_t size() const override { return size_; }
  size_t read_at(int64_t offset, char* buf, size_t n) override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_.fd, buf + done, n - done, (off_t)offset + (off_t)done);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        int e = errno;
        throw std::runtime_error("cannot read " + path_ + ": " + std::strerror(e));
      }
      if (r == 0) break;
      done += (size_t)r;
    }
    return done;
  }

 private:
  Fd fd_;
  int64_t size_;
  std::string path_;
};

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

std::unique_ptr<ObjectReader> LocalStorage::open_reader(const std::string& key) {
  const std::string path = path_for(key);
  const size_t slash = key.find_last_of('/');
  const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  Fd dir(open_dir_beneath(root_, slash == std::string::npos ? std::string() : key.substr(0, slash)));
  if (dir.fd < 0) {
    if (missing_errno(errno)) return nullptr;
    int e = errno;
    throw std::runtime_error("cannot open " + path + ": " + std::strerror(e));
  }
  // O_NONBLOCK: a FIFO planted in the folder must not hang the open; only regular files pass.
  Fd fd(::openat(dir.fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.fd < 0) {
    if (missing_errno(errno) || errno == EISDIR) return nullptr;
    int e = errno;
    throw std::runtime_error("cannot open " + path + ": " + std::strerror(e));
  }
  struct stat st;
  if (::fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;  // a folder, a device
  return std::make_unique<LocalReader>(fd.release(), (int64_t)st.st_size, path);
}

std::optional<std::string> LocalStorage::get(const std::string& key) {
  std::unique_ptr<ObjectReader> r = open_reader(key);
  if (!r) return std::nullopt;
  std::string bytes((size_t)r->size(), '\0');
  bytes.resize(r->read_at(0, bytes.data(), bytes.size()));
  return bytes;
}

std::optional<ObjectInfo> LocalStorage::stat(const std::string& key) {
  const std::string path = path_for(key);
  const size_t slash = key.find_last_of('/');
  const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  Fd dir(open_dir_beneath(root_, slash == std::string::npos ? std::string() : key.substr(0, slash)));
  struct stat st;
  if (dir.fd < 0 || ::fstatat(dir.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (missing_errno(errno)) return std::nullopt;
    int e = errno;
    throw std::runtime_error("cannot stat " + path + ": " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) return std::nullopt;  // a folder, a link, a device
  return ObjectInfo{key, (int64_t)st.st_size, (int64_t)st.st_mtime};
}

std::vector<ObjectInfo> LocalStorage::list(const std::string& prefix) {
  validate_storage_prefix(prefix);
  // Walk only the folder the prefix names ("run/ep" → "run/"), then filter by the full prefix.
  std::string dir_key = prefix.substr(0, prefix.rfind('/') == std::string::npos ? 0 : prefix.rfind('/') + 1);
  fs::path dir = dir_key.empty() ? fs::path(root_) : fs::path(root_ + "/" + dir_key);
  std::vector<ObjectInfo> out;
  std::error_code ec;
  if (!dir_beneath(root_, dir_key)) return out;
  // The iterator does not descend into linked folders (no follow_directory_symlink).
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) throw std::runtime_error("cannot list " + dir.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) {  // a folder removed while we walk it: skip it, as S3 listing would
      ec.clear();
      continue;
    }
    std::error_code fec;
    if (it->symlink_status(fec).type() != fs::file_type::regular) continue;  // links included
    std::string name = it->path().filename().string();
    if (is_atomic_temp_name(name)) continue;
    std::string rel = it->path().lexically_relative(dir).generic_string();
    std::string key = dir_key + rel;
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // vanished or replaced
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
  if (!dir_beneath(root_, p)) return out;
  fs::directory_iterator it(dir, ec), end;
  if (ec) throw std::runtime_error("cannot list " + dir.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    std::error_code dec;
    if (it->symlink_status(dec).type() == fs::file_type::directory) out.push_back(it->path().filename().string());
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
