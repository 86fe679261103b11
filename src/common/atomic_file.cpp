// Atomic writes with POSIX calls rather than std::ofstream: ofstream cannot fsync, and without
// the fsync of the file before the rename (and of the directory after it) a power loss can leave
// a renamed but empty file, which is exactly what atomicity is for.
#include "common/atomic_file.h"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace gan {
namespace {

std::string errno_text(int e) { return std::strerror(e); }

[[noreturn]] void fail(const std::string& what, const std::string& path, int e) {
  throw std::runtime_error(what + " " + path + ": " + errno_text(e) +
                           " (check that the folder exists and is writable, e.g. --out)");
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Owns a file descriptor; closes it on every path out.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { if (fd >= 0) ::close(fd); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int release() { int f = fd; fd = -1; return f; }
};

void write_all(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path, errno);
    }
    p += w;
    n -= (size_t)w;
  }
}

// Reads `fd` (the file at `path`) to its end, handing each chunk to `sink`.
template <class Sink>
void read_all(int fd, const std::string& path, Sink sink) {
  char buf[1 << 16];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      throw std::runtime_error("cannot read " + path + ": " + errno_text(e));
    }
    if (r == 0) return;
    sink(buf, (size_t)r);
  }
}


// Writes through `fill(fd, tmp)` into a temp file beside `path`, then renames it into place.
// The temp file is removed if anything throws.
template <typename Fill>
void atomic_replace(const std::string& path, Fill fill) {
  // pid and a per-process counter: two threads writing the same key must not share a temp file.
  static std::atomic<uint64_t> counter{0};
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  Fd f(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (f.fd < 0) fail("cannot create", tmp, errno);
  try {
    fill(f.fd, tmp);
    if (::fsync(f.fd) != 0) fail("cannot flush", tmp, errno);
    int fd = f.release();
    if (::close(fd) != 0) fail("cannot close", tmp, errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename " + tmp + " to", path, errno);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  // Best effort here: the rename itself already happened (see sync_parent_dir for callers that
  // must know).
  (void)sync_parent_dir(path);
}

}  // namespace

int sync_parent_dir(const std::string& path) {
  Fd d(::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0) return errno;
  if (::fsync(d.fd) != 0 && errno != EINVAL) return errno;  // EINVAL: the filesystem cannot sync a folder
  int fd = d.release();
  return ::close(fd) != 0 ? errno : 0;
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  atomic_replace(path, [&](int fd, const std::string& tmp) {
    write_all(fd, bytes.data(), bytes.size(), tmp);
  });
}

void copy_file_atomic(const std::string& src, const std::string& dst) {
  Fd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) {
    int e = errno;
    throw std::runtime_error("cannot open " + src + ": " + errno_text(e) +
                             " (the file to copy must exist and be readable)");
  }
  atomic_replace(dst, [&](int fd, const std::string& tmp) {
    read_all(in.fd, src, [&](const char* p, size_t n) { write_all(fd, p, n, tmp); });
  });
}

void make_dirs(const std::string& path) {
  if (path.empty()) return;
  // Walk the prefixes ("a", "a/b", "a/b/c") and create each one that is missing.
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string part = path.substr(0, pos);
    if (part.empty() || part == "/") continue;
    if (::mkdir(part.c_str(), 0755) == 0) continue;
    int e = errno;
    struct stat st;
    if (e == EEXIST && ::stat(part.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) continue;
      throw std::runtime_error("cannot create folder " + path + ": " + part +
                               " exists and is not a folder (remove it or choose another path)");
    }
    fail("cannot create folder", part, e);
  }
}

bool read_file_if_exists(const std::string& path, std::string* out) {
  Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR) return false;
    throw std::runtime_error("cannot open " + path + ": " + errno_text(e) +
                             " (check the path and its permissions)");
  }
  struct stat st;
  if (::fstat(f.fd, &st) == 0 && S_ISDIR(st.st_mode))
    throw std::runtime_error("cannot read " + path + ": it is a folder, not a file");
  std::string s;
  if (st.st_size > 0) s.reserve((size_t)st.st_size);
  read_all(f.fd, path, [&](const char* p, size_t n) { s.append(p, n); });
  *out = std::move(s);
  return true;
}

std::string read_file(const std::string& path) {
  std::string s;
  if (!read_file_if_exists(path, &s))
    throw std::runtime_error("cannot read " + path + ": no such file (check the path)");
  return s;
}

bool is_atomic_temp_name(const std::string& name) {
  const size_t p = name.rfind(".tmp.");
  if (p == std::string::npos || p + 5 == name.size()) return false;
  for (size_t i = p + 5; i < name.size(); ++i)
    if (!((name[i] >= '0' && name[i] <= '9') || name[i] == '.')) return false;
  return true;
}

int remove_stale_temp_files(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string mine = ".tmp." + std::to_string(::getpid()) + ".";
  int removed = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!it->is_regular_file(ec) || !is_atomic_temp_name(name) || name.find(mine) != std::string::npos) continue;
    if (fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace gan
