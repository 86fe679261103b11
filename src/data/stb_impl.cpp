// The one translation unit that compiles stb_image (Debian's libstb-dev header). It serves the
// image-folder loader and, through its zlib decoder, gzip.cpp, so the core links neither zlib nor
// libpng. Decoding from memory only: files are read by our own code so errors name the path.
//
// Only the decoders for the formats gan documents (PNG and JPEG) are compiled: stb sniffs the
// content, so with every decoder present a file named .png could be parsed as GIF, PSD or PIC,
// decoders that see far less scrutiny. STBI_MAX_DIMENSIONS lowers stb's own per-side limit from
// 2^24; folder.cpp also caps the pixel count (from stbi_info, before decoding).
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_MAX_DIMENSIONS (1 << 16)
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#include <stb_image.h>
