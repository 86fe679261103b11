// Formats library errors (see check.h). Host only, so it compiles with the C++ compiler.
#include "check.h"

#include <cstdio>
#include <stdexcept>

namespace gan::cuda {

static std::string format(const char* lib, int code, const char* message, const char* stmt,
                          const char* file, int line) {
  return std::string(lib) + " error " + std::to_string(code) + " (" + (message ? message : "?") +
         ") in `" + stmt + "` at " + file + ":" + std::to_string(line);
}

void check_failed(const char* lib, int code, const char* message, const char* stmt,
                  const char* file, int line) {
  throw std::runtime_error(format(lib, code, message, stmt, file, line));
}

void check_log(const char* lib, int code, const char* message, const char* stmt, const char* file,
               int line) {
  std::fprintf(stderr, "warning: %s\n", format(lib, code, message, stmt, file, line).c_str());
}

}  // namespace gan::cuda
