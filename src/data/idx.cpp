// IDX (LeCun's MNIST format): big-endian magic 0x0000TTDD (TT = 0x08 unsigned bytes, DD = number
// of dimensions), DD big-endian uint32 sizes, then the data. Sizes are checked exactly against
// the file length so a truncated download or a mixed-up file fails here, naming the file, rather
// than training on garbage.
#include <algorithm>
#include <cstdio>
#include <new>
#include <vector>

#include "data/image.h"
#include "data/io.h"
#include "data/loaders.h"
#include "parallel_errors.h"

namespace gan {
namespace data {

namespace {
// Items are counted in an int; an image side beyond 2^16 is no dataset gan can train on.
constexpr uint32_t kMaxItems = 0x7fffffff, kMaxSide = 1u << 16;

uint32_t be32(const uint8_t* p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

// Returns the dims after validating magic and total size.
std::vector<uint32_t> parse_header(const std::vector<uint8_t>& b, const std::string& path, int want_dims) {
  const std::string what = want_dims == 3 ? "images (idx3-ubyte)" : "labels (idx1-ubyte)";
  if (b.size() < 4) throw DataError(path + ": truncated IDX file (" + std::to_string(b.size()) + " bytes)");
  if (b[0] != 0 || b[1] != 0 || b[2] != 0x08 || b[3] != want_dims) {
    char got[16];
    std::snprintf(got, sizeof got, "0x%08x", (unsigned)be32(b.data()));
    char want[16];
    std::snprintf(want, sizeof want, "0x%08x", 0x800u + (unsigned)want_dims);
    throw DataError(path + ": bad IDX magic " + got + " (expected " + want + " for " + what +
                    "): wrong or corrupt file");
  }
  const size_t header = 4 + 4 * (size_t)want_dims;
  if (b.size() < header) throw DataError(path + ": truncated IDX header");
  std::vector<uint32_t> dims;
  // Every size is capped and every product checked for overflow before it is compared with the
  // file's length (65536 x 2^20 x 2^28 wraps to 0 in 64 bits, which a 16-byte file then matched).
  uint64_t total = 1;
  for (int d = 0; d < want_dims; ++d) {
    dims.push_back(be32(&b[4 + 4 * d]));
    const uint32_t cap = d == 0 ? kMaxItems : kMaxSide;
    if (dims.back() > cap)
      throw DataError(path + ": implausible IDX " + (d == 0 ? "item count " : "image side ") +
                      std::to_string(dims.back()) + " (at most " + std::to_string(cap) +
                      "): wrong or corrupt file");
    if (__builtin_mul_overflow(total, (uint64_t)dims.back(), &total))
      throw DataError(path + ": implausible IDX dimensions: corrupt file");
  }
  if (b.size() - header < total)
    throw DataError(path + ": truncated IDX file: header promises " + std::to_string(total) +
                    " data bytes, file holds " + std::to_string(b.size() - header) +
                    "; delete it and download it again");
  if (b.size() - header > total)
    throw DataError(path + ": IDX file has " + std::to_string(b.size() - header - total) +
                    " bytes after the data: wrong or corrupt file");
  return dims;
}
}  // namespace

Dataset decode_idx(const std::vector<uint8_t>& images, const std::string& images_path,
                   const std::vector<uint8_t>& labels, const std::string& labels_path,
                   const DatasetOptions& o) {
  const auto idim = parse_header(images, images_path, 3);
  const auto ldim = parse_header(labels, labels_path, 1);
  if (idim[0] != ldim[0])
    throw DataError(images_path + ": holds " + std::to_string(idim[0]) + " images but " + labels_path +
                    " holds " + std::to_string(ldim[0]) + " labels: the two files do not belong together");
  if (idim[0] == 0) throw DataError(images_path + ": holds no images");
  if (idim[1] == 0 || idim[2] == 0) throw DataError(images_path + ": zero-sized images");
  Dataset d;
  d.n = (int)idim[0];
  d.c = o.channels;
  d.h = d.w = o.size;
  d.num_classes = 10;
  const uint8_t* lab = &labels[8];
  for (int i = 0; i < d.n; ++i)
    if (lab[i] >= d.num_classes)
      throw DataError(labels_path + ": label " + std::to_string(lab[i]) + " at index " + std::to_string(i) +
                      " is out of range 0..9: wrong or corrupt file");
  d.labels.assign(lab, lab + d.n);
  const int ih = (int)idim[1], iw = (int)idim[2];
  const size_t per = (size_t)ih * iw, out_per = (size_t)d.c * d.h * d.w;
  try {
    d.images.resize((size_t)d.n * out_per);
  } catch (const std::bad_alloc&) {
    throw DataError(images_path + ": " + std::to_string(d.n) + " images need " +
                    std::to_string((size_t)d.n * out_per * sizeof(float) >> 20) +
                    " MiB once decoded: not enough memory for this dataset at this image size");
  }
  const uint8_t* px = &images[16];
  const bool same = ih == d.h && iw == d.w && d.c == 1;
  ParallelErrors errors;
#pragma omp parallel for schedule(static)
  for (int i = 0; i < d.n; ++i) {
    errors.run([&] {
      float* dst = &d.images[(size_t)i * out_per];
      if (same) {  // the common case: no resampling, just the value map
        for (size_t k = 0; k < per; ++k) dst[k] = px[(size_t)i * per + k] * (2.f / 255.f) - 1.f;
        return;
      }
      Image im = to_channels(resize(from_planar(px + (size_t)i * per, 1, ih, iw), d.h, d.w), d.c);
      std::vector<float> v;
      append_unit(im, &v);
      std::copy(v.begin(), v.end(), dst);
    });
  }
  errors.rethrow();
  return d;
}

Dataset load_idx_dir(const std::string& dir, const std::string& stem, const DatasetOptions& o) {
  auto load = [&](const std::string& base, std::string* used) {
    const std::string raw = join_path(dir, base), gz = raw + ".gz";
    if (file_exists(raw)) {
      *used = raw;
      return read_file(raw);
    }
    if (file_exists(gz)) {
      *used = gz;
      return gunzip(read_file(gz), gz);
    }
    throw DataError(dir + ": missing " + base + " (or " + base + ".gz): put the IDX files there");
  };
  std::string ip, lp;
  std::vector<uint8_t> images = load(stem + "-images-idx3-ubyte", &ip);
  std::vector<uint8_t> labels = load(stem + "-labels-idx1-ubyte", &lp);
  return decode_idx(images, ip, labels, lp, o);
}

}  // namespace data
}  // namespace gan
