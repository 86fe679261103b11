// Scratch folders for the tests, written once (the data, artifact, storage, training and quality
// tests all need them).
#pragma once
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace gan_test {

// $TMPDIR (or /tmp) as the tests' scratch root.
inline std::string temp_root() {
  const char* base = std::getenv("TMPDIR");
  return base && *base ? base : "/tmp";
}

// A fresh folder "<root>/<prefix>-XXXXXX", removed with everything in it at scope exit.
struct TempDir {
  explicit TempDir(const std::string& prefix = "gan-test") : path(temp_root() + "/" + prefix + "-XXXXXX") {
    if (!::mkdtemp(path.data())) throw std::runtime_error("mkdtemp failed for " + path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return path + "/" + name; }

  std::string path;
};

// "<root>/<prefix>-<name>-<pid>", emptied and created: a folder a test names (and may keep).
inline std::string fresh_dir(const std::string& prefix, const std::string& name) {
  const std::string d = temp_root() + "/" + prefix + "-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace gan_test
