// Shared by the libFuzzer harnesses (tests/fuzz/*.cpp; docs/fuzzing.md).
//
// A parser may reject its input by throwing: that is the expected answer to bad bytes. Anything
// else is a finding: a sanitizer report, a crash, a hang (libFuzzer's -timeout), and also
// std::bad_alloc, since every reader bounds what it allocates by the size of its input.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <unistd.h>

namespace fuzz {

// Fails the run with a message (libFuzzer saves the input as a crash).
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz: %s\n", what.c_str());
  std::abort();
}

inline void check(bool ok, const std::string& what) {
  if (!ok) fail(what);
}

// Runs f; an exception derived from std::exception is a rejection (returns false), except
// std::bad_alloc, which is a finding.
template <class F>
bool accepts(F&& f) {
  try {
    f();
    return true;
  } catch (const std::bad_alloc&) {
    fail("std::bad_alloc: an allocation not bounded by the input's size");
  } catch (const std::exception&) {
    return false;
  }
}

// A private temporary folder for parsers that only read files; removed at exit.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/gan-fuzz.XXXXXX";
    if (!mkdtemp(tmpl.data())) fail("cannot create a temporary folder under " + tmpl);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  // Empties the folder (dotfiles included).
  void clear() const {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(path_, ec)) std::filesystem::remove_all(e.path(), ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!f) fail("cannot write " + path);
}

}  // namespace fuzz
