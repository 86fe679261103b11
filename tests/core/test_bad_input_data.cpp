// Corrupt, truncated and misplaced dataset files: each must be a DataError whose message names
// the offending file (or folder), never a crash or a silently wrong dataset.
#include <gtest/gtest.h>

#include "data/dataset.h"
#include "test_data_util.h"

using namespace gan_test;

namespace {
gan::DatasetOptions opts(const std::string& spec) {
  gan::DatasetOptions o;
  o.spec = spec;
  o.allow_download = false;
  return o;
}

// Loads and expects a DataError mentioning `needle` (a path) and, when given, `also`.
void expect_error(const gan::DatasetOptions& o, const std::string& needle, const std::string& also = "") {
  try {
    gan::Dataset d = gan::load_dataset(o);
    ADD_FAILURE() << "expected a DataError naming " << needle << ", loaded " << d.n << " images";
  } catch (const gan::DataError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(needle), std::string::npos) << "message does not name " << needle << ": " << m;
    if (!also.empty()) {
      EXPECT_NE(m.find(also), std::string::npos) << "message lacks '" << also << "': " << m;
    }
    EXPECT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
  }
}

void good_labels(const TempDir& t, int n) { write_file(t / "train-labels-idx1-ubyte", idx_labels(Bytes(n, 1))); }
}  // namespace

TEST(BadInput, IdxTruncated) {
  TempDir t;
  Bytes im = idx_images(4, 28, 28, Bytes(4 * 784, 9));
  im.resize(im.size() - 100);
  write_file(t / "train-images-idx3-ubyte", im);
  good_labels(t, 4);
  expect_error(opts("idx:" + t.path), t / "train-images-idx3-ubyte", "truncated");
}

TEST(BadInput, IdxHeaderOnlyFragment) {
  TempDir t;
  write_file(t / "train-images-idx3-ubyte", Bytes{0, 0, 8, 3, 0, 0});
  good_labels(t, 4);
  expect_error(opts("idx:" + t.path), t / "train-images-idx3-ubyte", "truncated");
}

TEST(BadInput, IdxWrongMagic) {
  TempDir t;
  // Labels where images belong: magic 0x801 instead of 0x803.
  write_file(t / "train-images-idx3-ubyte", idx_labels(Bytes(4, 1)));
  good_labels(t, 4);
  expect_error(opts("idx:" + t.path), t / "train-images-idx3-ubyte", "magic");
}

TEST(BadInput, IdxLabelOutOfRange) {
  TempDir t;
  write_file(t / "train-images-idx3-ubyte", idx_images(3, 28, 28, Bytes(3 * 784, 9)));
  write_file(t / "train-labels-idx1-ubyte", idx_labels(Bytes{1, 10, 2}));
  expect_error(opts("idx:" + t.path), t / "train-labels-idx1-ubyte", "out of range");
}

TEST(BadInput, IdxCountMismatch) {
  TempDir t;
  write_file(t / "train-images-idx3-ubyte", idx_images(3, 28, 28, Bytes(3 * 784, 9)));
  good_labels(t, 4);
  expect_error(opts("idx:" + t.path), t / "train-labels-idx1-ubyte", "do not belong together");
}

TEST(BadInput, IdxMissingFiles) {
  TempDir t;
  expect_error(opts("idx:" + t.path), t.path, "train-images-idx3-ubyte");
}

TEST(BadInput, GzipBadCrc) {
  TempDir t;
  Bytes gz = gzip(idx_images(2, 28, 28, Bytes(2 * 784, 50)));
  gz[gz.size() - 8] ^= 0x5a;  // CRC-32 in the trailer
  write_file(t / "train-images-idx3-ubyte.gz", gz);
  good_labels(t, 2);
  expect_error(opts("idx:" + t.path), t / "train-images-idx3-ubyte.gz", "CRC");
}

TEST(BadInput, GzipCorruptPayload) {
  TempDir t;
  Bytes raw(2 * 784);
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = (uint8_t)(i * 13);
  Bytes gz = gzip(idx_images(2, 28, 28, raw));
  for (size_t i = 20; i < gz.size() - 8; i += 11) gz[i] ^= 0xff;  // damage the deflate stream
  write_file(t / "train-images-idx3-ubyte.gz", gz);
  good_labels(t, 2);
  expect_error(opts("idx:" + t.path), t / "train-images-idx3-ubyte.gz");
}

TEST(BadInput, GzipTruncated) {
  TempDir t;
  Bytes raw(20 * 784);
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = (uint8_t)((i * i) >> 3);
  Bytes gz = gzip(idx_images(20, 28, 28, raw));
  for (size_t keep : {gz.size() / 2, gz.size() - 3, (size_t)12}) {
    write_file(t / "train-images-idx3-ubyte.gz", Bytes(gz.begin(), gz.begin() + keep));
    good_labels(t, 20);
    expect_error(opts("idx:" + t.path), t / "train-images-idx3-ubyte.gz");
  }
}

TEST(BadInput, GzipNotGzip) {
  TempDir t;
  write_file(t / "train-images-idx3-ubyte.gz", idx_images(1, 28, 28, Bytes(784, 1)));  // raw, misnamed
  good_labels(t, 1);
  expect_error(opts("idx:" + t.path), t / "train-images-idx3-ubyte.gz", "not a gzip file");
}

TEST(BadInput, FolderPngThatIsNotAPng) {
  TempDir t;
  make_dir(t / "cats");
  write_file(t / "cats/cat.png", Bytes{'G', 'I', 'F', '8', '9', 'a', 0, 0, 0});
  expect_error(opts("folder:" + t.path), t / "cats/cat.png");
}

TEST(BadInput, FolderEmpty) {
  TempDir t;
  make_dir(t / "data");
  expect_error(opts("folder:" + (t / "data")), t / "data", "no images");
  make_dir(t / "data/empty_class");
  write_file(t / "data/empty_class/readme.txt", Bytes{'x'});
  expect_error(opts("folder:" + (t / "data")), t / "data", "no images");
}

TEST(BadInput, FolderMissing) {
  TempDir t;
  expect_error(opts("folder:" + (t / "nope")), t / "nope", "not found");
}

TEST(BadInput, CifarMissingDir) {
  TempDir t;
  auto o = opts("cifar10");
  o.data_dir = t.path;
  expect_error(o, t / "cifar-10-batches-bin", "cifar-10-binary.tar.gz");
}

TEST(BadInput, CifarTruncatedBatch) {
  TempDir t;
  make_dir(t / "cifar-10-batches-bin");
  write_file(t / "cifar-10-batches-bin/test_batch.bin", Bytes(3073 * 2 - 5, 1));
  auto o = opts("cifar10");
  o.data_dir = t.path;
  o.train = false;
  expect_error(o, t / "cifar-10-batches-bin/test_batch.bin", "3073");
}

TEST(BadInput, UnknownDatasetSpec) { expect_error(opts("imagenet"), "imagenet", "folder:DIR"); }

TEST(BadInput, BadGeometry) {
  auto o = opts("synthetic");
  o.channels = 2;
  expect_error(o, "channels");
}
