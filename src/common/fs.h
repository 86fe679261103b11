// Small filesystem queries every layer needs (loaders, the trainer's resume, the command line):
// written once here. POSIX stat/opendir rather than <filesystem> so callers can report strerror.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gan {

bool file_exists(const std::string& path);  // a regular file (or a link to one)
bool dir_exists(const std::string& path);
std::string join_path(const std::string& a, const std::string& b);  // "a/b" (no doubled '/')

// The folder `name` stands for: itself when it is a path (holds a '/') or an existing folder,
// else <parent>/<name>; without trailing '/'. (A run named by id in --out, or by its folder.)
std::string folder_named(const std::string& name, const std::string& parent);

// Modification time in nanoseconds; -1 when `path` does not exist.
int64_t mtime_ns(const std::string& path);

// The entries of folder `dir` but for hidden ones (names starting with '.'), unsorted. False
// (errno set, *names empty) when the folder cannot be opened.
bool list_dir(const std::string& dir, std::vector<std::string>* names);
// As above; none when `dir` does not exist or cannot be read.
std::vector<std::string> list_dir(const std::string& dir);

}  // namespace gan
