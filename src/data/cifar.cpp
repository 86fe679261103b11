// CIFAR-10, binary version: records of 1 label byte + 3072 pixel bytes (1024 R, 1024 G, 1024 B,
// row-major 32x32). Not downloaded automatically: the archive is 160 MB and has no small mirror,
// so a missing folder is an error that says where to get it and where to put it.
#include <vector>

#include "data/image.h"
#include "data/io.h"
#include "data/loaders.h"
#include "parallel_errors.h"

namespace gan {
namespace data {

Dataset load_cifar10(const DatasetOptions& o) {
  const std::string dir = join_path(o.data_dir, "cifar-10-batches-bin");
  if (!dir_exists(dir))
    throw DataError(dir + ": CIFAR-10 not found: download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz "
                    "and extract it into " + o.data_dir + " (it creates cifar-10-batches-bin/)");
  std::vector<std::string> files;
  if (o.train)
    for (int i = 1; i <= 5; ++i) files.push_back(join_path(dir, "data_batch_" + std::to_string(i) + ".bin"));
  else
    files.push_back(join_path(dir, "test_batch.bin"));

  const int rec = 3073, side = 32;
  Dataset d;
  d.name = "cifar10";
  d.c = o.channels;
  d.h = d.w = o.size;
  d.num_classes = 10;
  d.class_names = {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  const size_t out_per = (size_t)d.c * d.h * d.w;
  for (const std::string& path : files) {
    if (!file_exists(path))
      throw DataError(path + ": missing CIFAR-10 batch file: re-extract cifar-10-binary.tar.gz into " + o.data_dir);
    const std::vector<uint8_t> b = read_file(path);
    if (b.empty() || b.size() % rec != 0)
      throw DataError(path + ": size " + std::to_string(b.size()) + " is not a multiple of the 3073-byte "
                      "CIFAR-10 record: truncated or not the binary version; re-extract it");
    const int count = (int)(b.size() / rec);
    for (int i = 0; i < count; ++i)
      if (b[(size_t)i * rec] >= 10)
        throw DataError(path + ": label " + std::to_string(b[(size_t)i * rec]) + " in record " +
                        std::to_string(i) + " is out of range 0..9: corrupt file");
    const size_t base = d.images.size();
    d.images.resize(base + (size_t)count * out_per);
    ParallelErrors errors;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < count; ++i) {
      errors.run([&] {
        const uint8_t* r = &b[(size_t)i * rec];
        Image im = to_channels(resize(from_planar(r + 1, 3, side, side), d.h, d.w), d.c);
        std::vector<float> v;
        append_unit(im, &v);
        std::copy(v.begin(), v.end(), d.images.begin() + base + (size_t)i * out_per);
      });
    }
    errors.rethrow();
    for (int i = 0; i < count; ++i) d.labels.push_back(b[(size_t)i * rec]);
    d.n += count;
  }
  return d;
}

}  // namespace data
}  // namespace gan
