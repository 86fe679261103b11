// IDX reader and gzip (src/data/idx.cpp, src/data/gzip.cpp): the input is split into an image
// file and a label file (byte 0: flags, bytes 1-2: where the split falls); flag bit 0 and 1 say
// whether each part is gunzipped first, as the loader does for .gz files.
#include <vector>

#include "data/dataset.h"
#include "data/io.h"
#include "data/loaders.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("OMP_NUM_THREADS", "1", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint8_t flags = data[0];
  size_t split = static_cast<size_t>(data[1]) | static_cast<size_t>(data[2]) << 8;
  data += 3, size -= 3;
  if (split > size) split = size;
  std::vector<uint8_t> images(data, data + split), labels(data + split, data + size);
  if ((flags & 1) && !fuzz::accepts([&] { images = gan::data::gunzip(images, "images.gz"); })) return 0;
  if ((flags & 2) && !fuzz::accepts([&] { labels = gan::data::gunzip(labels, "labels.gz"); })) return 0;
  gan::DatasetOptions o;
  o.size = (flags & 4) ? 8 : 28;
  o.channels = (flags & 8) ? 3 : 1;
  o.log = [](const std::string&) {};
  fuzz::accepts([&] {
    gan::Dataset d = gan::data::decode_idx(images, "images", labels, "labels", o);
    (void)d;
  });
  return 0;
}
