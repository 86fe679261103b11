#include "common/fs.h"

#include <dirent.h>
#include <sys/stat.h>

#include <memory>

namespace gan {

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool dir_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string join_path(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

std::string folder_named(const std::string& name, const std::string& parent) {
  std::string dir = name.find('/') != std::string::npos || dir_exists(name) ? name : parent + "/" + name;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

int64_t mtime_ns(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

bool list_dir(const std::string& dir, std::vector<std::string>* names) {
  names->clear();
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) return false;
  while (dirent* e = ::readdir(d.get()))
    if (e->d_name[0] != '.') names->push_back(e->d_name);  // ., .., hidden (.DS_Store, ...)
  return true;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  list_dir(dir, &names);
  return names;
}

}  // namespace gan
