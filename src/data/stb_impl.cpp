// The one translation unit that compiles stb_image (Debian's libstb-dev header), for the
// image-folder loader. Decoding from memory only: files are read by our own code so errors name
// the path.
//
// Only the decoders for the formats gan documents (PNG and JPEG) are compiled: stb sniffs the
// content, so with every decoder present a file named .png could be parsed as GIF, PSD or PIC,
// decoders that see far less scrutiny. STBI_MAX_DIMENSIONS lowers stb's own per-side limit from
// 2^24; folder.cpp also caps the pixel count (from stbi_info, before decoding).
//
// stb allocates its decoder state with malloc and reads parts a corrupt file never sets (a scan
// whose AC Huffman table no DHT segment defines reads the table from whatever the heap held
// before: found by tests/fuzz/image_folder as an assertion that came and went with the heap's
// history). Zeroed allocations make such a file decode the same way every time (an all-zero
// table ends each block at once), with no stale memory read.
#include <cstdlib>
#define STBI_MALLOC(size) std::calloc(1, size)
#define STBI_REALLOC(p, size) std::realloc(p, size)
#define STBI_FREE(p) std::free(p)
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
