// Image folder: DIR/<class>/<image>, classes = subfolder names in byte order (so labels are the
// same on every machine), decoded with stb_image, then centre-square-cropped and resized to the
// model size. A folder of loose images with no subfolders is one class. A single undecodable file
// is skipped with a warning (large scraped folders often hold one), but a folder where nothing
// decodes is an error naming the first bad file. Only PNG and JPEG are read, a file's content must
// be the format its extension names, and its size is checked from its header (at most 2^24
// pixels) before it is decoded.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>

#include <stb_image.h>

#include "common/text.h"
#include "data/image.h"
#include "data/io.h"
#include "data/loaders.h"
#include "parallel_errors.h"

namespace gan {
namespace data {

namespace {
// Only PNG and JPEG are read (see stb_impl.cpp). Other image extensions are listed so the user
// hears that those files were left out.
enum class Kind { Png, Jpeg, OtherImage, NotImage };

Kind kind_of_name(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return Kind::NotImage;
  const std::string ext = lower(name.substr(dot + 1));
  if (ext == "png") return Kind::Png;
  if (ext == "jpg" || ext == "jpeg") return Kind::Jpeg;
  static const char* other[] = {"bmp", "gif", "tga", "ppm", "pgm", "psd", "pic", "hdr", "webp", "tif", "tiff"};
  for (const char* k : other)
    if (ext == k) return Kind::OtherImage;
  return Kind::NotImage;
}

bool has_png_signature(const std::vector<uint8_t>& b) {
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return b.size() >= 8 && std::equal(sig, sig + 8, b.begin());
}
bool has_jpeg_signature(const std::vector<uint8_t>& b) {
  return b.size() >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff;  // SOI, then a marker
}

// stb_image (Debian 12's, 2022-09) builds a Huffman table from a DHT segment's 16 code-length
// counts without checking that they add up to at most 256 symbols: larger counts write past the
// table, over the decoder's other state (memory corruption from a crafted .jpg). So every table
// stb could read is checked before stb sees the file: one of more than 256 symbols rejects it.
// Every byte pair FF C4 is taken for a DHT marker (stb reads one wherever it looks for a marker;
// taking them all can only reject more, never less), and its tables are followed through the
// segment's length as stb follows them (bytes past the end read as 0, as stb's do). Linear: the
// chain of tables from a position does not depend on where the segment began, so the distance
// from each position to the first oversized table along its chain is computed once, back to front.
bool jpeg_huffman_tables_fit(const std::vector<uint8_t>& b) {
  const size_t n = b.size();
  constexpr uint16_t kFar = 0xffff;  // no oversized table within a segment's reach (< 65534 bytes)
  std::vector<uint16_t> bad(n, kFar);  // distance from a table at j to the first oversized one
  for (size_t j = n; j-- > 0;) {
    size_t symbols = 0;
    for (size_t k = j + 1; k <= j + 16 && k < n; ++k) symbols += b[k];
    if (symbols > 256) {
      bad[j] = 0;
      continue;
    }
    const size_t next = j + 17 + symbols;
    if (next < n && bad[next] != kFar && next - j + bad[next] < kFar) bad[j] = (uint16_t)(next - j + bad[next]);
  }
  for (size_t i = 0; i + 4 < n; ++i) {
    if (b[i] != 0xff || b[i + 1] != 0xc4) continue;
    const long length = ((long)b[i + 2] << 8 | b[i + 3]) - 2;  // what the segment holds after its length
    if (length > 0 && bad[i + 4] < length) return false;
  }
  return true;
}

// Decoding an RGB photo peaks at about 24 bytes per pixel (the float planes and their square
// crop), per thread: 2^24 pixels (a 12-megapixel photo fits; 4096 x 4096) is about 400 MB.
constexpr int64_t kMaxPixels = int64_t(1) << 24;

// One file: its content must be the format its name says, and its size (from the header, read by
// stbi_info before anything is decoded) at most kMaxPixels.
Image decode_image(const std::string& path, Kind kind, int channels) {
  const std::vector<uint8_t> bytes = read_file(path);
  const bool png = has_png_signature(bytes), jpeg = has_jpeg_signature(bytes);
  if (kind == Kind::Png && !png)
    throw DataError(path + ": named .png but " + (jpeg ? "holds JPEG data: rename it to .jpg" : "is not a PNG file") +
                    " (gan reads PNG and JPEG images)");
  if (kind == Kind::Jpeg && !jpeg)
    throw DataError(path + ": named ." + path.substr(path.rfind('.') + 1) + " but " +
                    (png ? "holds PNG data: rename it to .png" : "is not a JPEG file") + " (gan reads PNG and JPEG images)");
  if (bytes.size() > 0x7fffffff) throw DataError(path + ": over 2 GiB, too large for an image gan can read");
  if (jpeg && !jpeg_huffman_tables_fit(bytes))
    throw DataError(path + ": a corrupt JPEG (a Huffman table of more than 256 symbols); re-encode or remove it");
  int w = 0, h = 0, comp = 0;
  // (stb's failure reason is that of the last decoder it tried, so it cannot tell these apart.)
  if (!stbi_info_from_memory(bytes.data(), (int)bytes.size(), &w, &h, &comp) || w <= 0 || h <= 0)
    throw DataError(path + ": not a decodable " + (png ? "PNG" : "JPEG") +
                    " (a corrupt header, or a side over 65536 pixels)");
  if ((int64_t)w * h > kMaxPixels)
    throw DataError(path + ": " + std::to_string(w) + "x" + std::to_string(h) + " pixels is more than the " +
                    std::to_string(kMaxPixels) + " gan decodes (downscale it)");
  int dw = 0, dh = 0;
  uint8_t* raw = stbi_load_from_memory(bytes.data(), (int)bytes.size(), &dw, &dh, &comp, channels);
  if (!raw) throw DataError(path + ": not a decodable image (" + stbi_failure_reason() + ")");
  std::unique_ptr<uint8_t, void (*)(void*)> own(raw, &stbi_image_free);
  return from_interleaved(raw, dh, dw, channels);
}

struct Listing {
  std::vector<std::string> dirs, images, unsupported;  // images: PNG or JPEG by name
};

Listing list_folder(const std::string& dir) {
  std::vector<std::string> names;
  if (!gan::list_dir(dir, &names)) throw DataError(dir + ": cannot open image folder (" + std::strerror(errno) + ")");
  Listing l;
  for (const std::string& name : names) {
    const std::string path = join_path(dir, name);
    if (dir_exists(path)) l.dirs.push_back(name);
    else if (kind_of_name(name) == Kind::Png || kind_of_name(name) == Kind::Jpeg) l.images.push_back(name);
    else if (kind_of_name(name) == Kind::OtherImage) l.unsupported.push_back(name);
  }
  std::sort(l.dirs.begin(), l.dirs.end());
  std::sort(l.images.begin(), l.images.end());
  return l;
}

void warn_unsupported(const DatasetOptions& o, const std::string& dir, const Listing& l) {
  if (l.unsupported.empty()) return;
  log(o, "warning: " + dir + ": " + std::to_string(l.unsupported.size()) + " image(s) neither PNG nor JPEG (" +
             l.unsupported.front() + (l.unsupported.size() > 1 ? ", ..." : "") +
             ") are not read: convert them to PNG");
}

std::string basename_of(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  size_t s = dir.rfind('/');
  return s == std::string::npos ? dir : dir.substr(s + 1);
}
}  // namespace

Dataset load_folder(const std::string& dir, const DatasetOptions& o) {
  if (!dir_exists(dir)) throw DataError(dir + ": image folder not found: pass --dataset folder:DIR with an existing folder");
  const Listing top = list_folder(dir);
  // (class name, file paths)
  std::vector<std::pair<std::string, std::vector<std::string>>> classes;
  if (top.dirs.empty()) {
    warn_unsupported(o, dir, top);
    std::vector<std::string> files;
    for (const auto& f : top.images) files.push_back(join_path(dir, f));
    classes.push_back({basename_of(dir), files});
  } else {
    if (!top.images.empty())
      log(o, "warning: " + dir + ": " + std::to_string(top.images.size()) +
                 " images directly in the folder are ignored (classes are its subfolders)");
    for (const auto& sub : top.dirs) {
      const std::string sd = join_path(dir, sub);
      const Listing l = list_folder(sd);
      warn_unsupported(o, sd, l);
      if (l.images.empty()) {
        log(o, "warning: " + sd + ": no images, folder skipped");
        continue;
      }
      std::vector<std::string> files;
      for (const auto& f : l.images) files.push_back(join_path(sd, f));
      classes.push_back({sub, files});
    }
  }
  std::vector<std::string> paths;
  std::vector<int32_t> labels;
  for (size_t k = 0; k < classes.size(); ++k)
    for (const auto& p : classes[k].second) {
      paths.push_back(p);
      labels.push_back((int32_t)k);
    }
  if (paths.empty())
    throw DataError(dir + ": no images found (expected PNG/JPEG files in DIR/<class>/): add images or fix the path");

  const int n = (int)paths.size();
  const size_t out_per = (size_t)o.channels * o.size * o.size;
  std::vector<float> px((size_t)n * out_per);
  std::vector<std::string> err(n);
  ParallelErrors errors;  // anything the per-file catch cannot hold (its own bad_alloc)
#pragma omp parallel for schedule(dynamic, 8)
  for (int i = 0; i < n; ++i) {
    errors.run([&] {
      try {
        Image im = square_crop_resize(decode_image(paths[i], kind_of_name(paths[i]), o.channels), o.size);
        std::vector<float> v;
        append_unit(im, &v);
        std::copy(v.begin(), v.end(), px.begin() + (size_t)i * out_per);
      } catch (const std::exception& e) {
        err[i] = e.what();
      }
    });
  }
  errors.rethrow();
  // Keep the decodable ones, in order; classes keep their indices even if one loses every file.
  Dataset d;
  d.name = "folder:" + dir;
  d.c = o.channels;
  d.h = d.w = o.size;
  d.num_classes = (int)classes.size();
  for (const auto& c : classes) d.class_names.push_back(c.first);
  int bad = 0;
  std::string first_bad;
  for (int i = 0; i < n; ++i) {
    if (err[i].empty()) {  // compact in place: no second copy of a large folder
      if (d.n != i) std::copy_n(px.begin() + (size_t)i * out_per, out_per, px.begin() + (size_t)d.n * out_per);
      d.labels.push_back(labels[i]);
      ++d.n;
      continue;
    }
    if (bad++ == 0) first_bad = err[i];
    if (bad <= 5) log(o, "warning: skipped " + err[i]);
  }
  px.resize((size_t)d.n * out_per);
  d.images = std::move(px);
  if (d.n == 0) throw DataError(first_bad + "; no image in " + dir + " could be loaded");
  if (bad > 5) log(o, "warning: skipped " + std::to_string(bad) + " undecodable files in " + dir + " in all");
  return d;
}

}  // namespace data
}  // namespace gan
