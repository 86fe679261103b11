// The one translation unit that compiles stb_image (Debian's libstb-dev header). It serves the
// image-folder loader (PNG/JPEG/BMP/...) and, through its zlib decoder, gzip.cpp, so the core
// links neither zlib nor libpng. Decoding from memory only: files are read by our own code so
// errors name the path.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#include <stb_image.h>
