// Dataset loaders: IDX (raw and gzip), CIFAR-10 binary, image folders, the synthetic set, subset
// selection. All fixtures are generated here, in a temporary folder.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "data/dataset.h"
#include "data/io.h"
#include "test_data_util.h"

using namespace gan_test;

namespace {
Bytes pattern(size_t n, uint32_t seed) {  // deterministic, non-constant bytes
  Bytes b(n);
  uint32_t s = seed * 2654435761u + 1;
  for (auto& v : b) {
    s = s * 1664525u + 1013904223u;
    v = (uint8_t)(s >> 24);
  }
  return b;
}

gan::DatasetOptions opts(const std::string& spec) {
  gan::DatasetOptions o;
  o.spec = spec;
  o.allow_download = false;
  return o;
}

float unit(uint8_t v) { return v * (2.f / 255.f) - 1.f; }

void write_idx_pair(const TempDir& t, const std::string& stem, int n, int h, int w, const Bytes& px,
                    const Bytes& labels, bool gz) {
  Bytes im = idx_images(n, h, w, px), lb = idx_labels(labels);
  if (gz) {
    write_file(t / (stem + "-images-idx3-ubyte.gz"), gzip(im, true));
    write_file(t / (stem + "-labels-idx1-ubyte.gz"), gzip(lb));
  } else {
    write_file(t / (stem + "-images-idx3-ubyte"), im);
    write_file(t / (stem + "-labels-idx1-ubyte"), lb);
  }
}
}  // namespace

class DataIdx : public ::testing::TestWithParam<bool> {};

TEST_P(DataIdx, RoundTripExactValues) {
  const bool gz = GetParam();
  TempDir t;
  const int n = 37;
  const Bytes px = pattern((size_t)n * 784, 1), labels = [] {
    Bytes l(37);
    for (int i = 0; i < 37; ++i) l[i] = (uint8_t)((i * 7) % 10);
    return l;
  }();
  write_idx_pair(t, "train", n, 28, 28, px, labels, gz);
  const Bytes tpx = pattern(5 * 784, 2);
  write_idx_pair(t, "t10k", 5, 28, 28, tpx, Bytes{9, 8, 7, 6, 5}, gz);

  gan::Dataset d = gan::load_dataset(opts("idx:" + t.path));
  ASSERT_EQ(d.n, n);
  EXPECT_EQ(d.c, 1);
  EXPECT_EQ(d.h, 28);
  EXPECT_EQ(d.w, 28);
  EXPECT_EQ(d.num_classes, 10);
  EXPECT_EQ(d.class_names.size(), 10u);
  ASSERT_EQ(d.images.size(), (size_t)n * 784);
  for (size_t i = 0; i < d.images.size(); ++i) ASSERT_FLOAT_EQ(d.images[i], unit(px[i])) << "pixel " << i;
  for (int i = 0; i < n; ++i) EXPECT_EQ(d.labels[i], labels[i]);

  auto o = opts("idx:" + t.path);
  o.train = false;
  gan::Dataset e = gan::load_dataset(o);
  ASSERT_EQ(e.n, 5);
  EXPECT_EQ(e.labels, (std::vector<int32_t>{9, 8, 7, 6, 5}));
  EXPECT_FLOAT_EQ(e.images[100], unit(tpx[100]));
}
INSTANTIATE_TEST_SUITE_P(Data, DataIdx, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Gzip" : "Raw"; });

TEST(Data, IdxLargeGzipDecodes) {  // several deflate blocks and a growing output buffer
  TempDir t;
  const int n = 300;
  Bytes px((size_t)n * 784);
  for (size_t i = 0; i < px.size(); ++i) px[i] = (uint8_t)((i / 784) % 2 ? (i * 31) % 256 : i % 7);
  Bytes labels(n, 3);
  write_idx_pair(t, "train", n, 28, 28, px, labels, true);
  gan::Dataset d = gan::load_dataset(opts("idx:" + t.path));
  ASSERT_EQ(d.n, n);
  for (size_t i = 0; i < px.size(); i += 97) ASSERT_FLOAT_EQ(d.images[i], unit(px[i]));
}

TEST(Data, IdxResizedAndReplicated) {
  TempDir t;
  // Image 0: constant 200 -> stays 200 under any resampling. Image 1: 2x2 blocks of one value ->
  // area downsampling to 14x14 gives exactly that value.
  Bytes px(2 * 784);
  for (int i = 0; i < 784; ++i) px[i] = 200;
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x) px[784 + y * 28 + x] = (uint8_t)((y / 2) * 14 + (x / 2));
  write_idx_pair(t, "train", 2, 28, 28, px, Bytes{1, 2}, false);

  auto o = opts("idx:" + t.path);
  o.size = 14;
  o.channels = 3;
  gan::Dataset d = gan::load_dataset(o);
  ASSERT_EQ(d.c, 3);
  ASSERT_EQ(d.h, 14);
  ASSERT_EQ(d.images.size(), 2u * 3 * 14 * 14);
  for (int k = 0; k < 3 * 196; ++k) ASSERT_NEAR(d.images[k], unit(200), 1e-5);
  for (int ch = 0; ch < 3; ++ch)
    for (int y = 0; y < 14; ++y)
      for (int x = 0; x < 14; ++x)
        ASSERT_NEAR(d.images[3 * 196 + ch * 196 + y * 14 + x], unit((uint8_t)(y * 14 + x)), 1e-5)
            << "ch " << ch << " y " << y << " x " << x;

  o.size = 64;
  o.channels = 1;
  gan::Dataset up = gan::load_dataset(o);
  ASSERT_EQ(up.h, 64);
  for (int k = 0; k < 64 * 64; ++k) ASSERT_NEAR(up.images[k], unit(200), 1e-5);
  for (float v : up.images) ASSERT_TRUE(v >= -1.f && v <= 1.f);
}

TEST(Data, CifarBinary) {
  TempDir t;
  const std::string dir = t / "cifar-10-batches-bin";
  make_dir(dir);
  Bytes recs;
  for (int r = 0; r < 3; ++r) {
    recs.push_back((uint8_t)(r * 3));
    for (int ch = 0; ch < 3; ++ch)
      for (int i = 0; i < 1024; ++i) recs.push_back((uint8_t)(ch == 0 ? 255 : ch == 1 ? r * 50 : i % 256));
  }
  write_file(dir + "/test_batch.bin", recs);
  auto o = opts("cifar10");
  o.data_dir = t.path;
  o.train = false;
  o.size = 32;
  o.channels = 3;
  gan::Dataset d = gan::load_dataset(o);
  ASSERT_EQ(d.n, 3);
  EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 3, 6}));
  EXPECT_EQ(d.class_names[3], "cat");
  EXPECT_FLOAT_EQ(d.images[0], 1.f);                          // R plane of record 0
  EXPECT_FLOAT_EQ(d.images[3072 + 1024 + 5], unit(50));      // G plane of record 1
  EXPECT_FLOAT_EQ(d.images[2 * 3072 + 2048 + 300], unit(300 % 256));

  o.channels = 1;
  o.size = 16;
  gan::Dataset g = gan::load_dataset(o);
  ASSERT_EQ(g.c, 1);
  ASSERT_EQ(g.images.size(), 3u * 256);
  // Record 1: R=255, G=50, B=i%256 (a ramp); the first 2x2 block averages B over {0,1,32,33}.
  const float luma = 0.299f * 255 + 0.587f * 50 + 0.114f * 16.5f;
  EXPECT_NEAR(g.images[256], luma / 127.5f - 1.f, 1e-4);
}

TEST(Data, FolderClassesCropAndResize) {
  TempDir t;
  const std::string root = t / "shapes";
  make_dir(root + "/b_dark");
  make_dir(root + "/a_light");
  make_dir(root + "/.hidden");
  // 40 wide x 20 high RGB: the centred 20x20 square is white, the side bands black; after
  // "centre crop to a square, resize" only white remains.
  Bytes wide(40 * 20 * 3);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 40; ++x)
      for (int k = 0; k < 3; ++k) wide[(y * 40 + x) * 3 + k] = (x >= 10 && x < 30) ? 255 : 0;
  write_png(root + "/a_light/wide.png", 40, 20, 3, wide);
  // 8x8 gray, left half 0 and right half 255 -> upscaled to 16: left/right quarters keep values.
  Bytes halves(64);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) halves[y * 8 + x] = x < 4 ? 0 : 255;
  write_png(root + "/b_dark/halves.png", 8, 8, 1, halves);
  write_file(root + "/b_dark/notes.txt", Bytes{'h', 'i'});  // not an image: ignored

  auto o = opts("folder:" + root);
  o.size = 16;
  gan::Dataset d = gan::load_dataset(o);
  ASSERT_EQ(d.n, 2);
  EXPECT_EQ(d.num_classes, 2);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"a_light", "b_dark"}));
  EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 1}));
  for (int k = 0; k < 256; ++k) ASSERT_NEAR(d.images[k], 1.f, 1e-5) << k;
  const float* h = &d.images[256];
  for (int y = 0; y < 16; ++y) {
    EXPECT_NEAR(h[y * 16 + 0], -1.f, 1e-5);
    EXPECT_NEAR(h[y * 16 + 15], 1.f, 1e-5);
    EXPECT_GT(h[y * 16 + 8], h[y * 16 + 7]);  // the edge is interpolated, monotone
  }

  o.channels = 3;
  o.size = 10;  // downscale (area) to an even size: still all white, 3 planes
  gan::Dataset c = gan::load_dataset(o);
  ASSERT_EQ(c.images.size(), 2u * 300);
  for (int k = 0; k < 300; ++k) ASSERT_NEAR(c.images[k], 1.f, 1e-5);
}

TEST(Data, FolderSkipsOneUndecodableFileWithWarning) {
  TempDir t;
  make_dir(t / "cls");
  write_png(t / "cls/good.png", 4, 4, 1, Bytes(16, 128));
  write_file(t / "cls/bad.png", Bytes{'n', 'o', 't', ' ', 'p', 'n', 'g'});
  auto o = opts("folder:" + t.path);
  std::vector<std::string> logs;
  o.log = [&](const std::string& m) { logs.push_back(m); };
  gan::Dataset d = gan::load_dataset(o);
  EXPECT_EQ(d.n, 1);
  ASSERT_FALSE(logs.empty());
  EXPECT_NE(logs[0].find("bad.png"), std::string::npos) << logs[0];
}

TEST(Data, FolderOfLooseImagesIsOneClass) {
  TempDir t;
  write_png(t / "x.png", 28, 28, 1, Bytes(784, 0));
  write_png(t / "y.png", 28, 28, 1, Bytes(784, 255));
  write_file(t / "z.JPG", gray_jpeg_16x16());  // JPEG, RGB, upper-case extension
  gan::Dataset d = gan::load_dataset(opts("folder:" + t.path));
  EXPECT_EQ(d.n, 3);
  EXPECT_EQ(d.num_classes, 1);
  EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 0, 0}));
  EXPECT_FLOAT_EQ(d.images[0], -1.f);
  EXPECT_FLOAT_EQ(d.images[784], 1.f);
  for (int k = 0; k < 784; ++k) ASSERT_NEAR(d.images[2 * 784 + k], unit(128), 3.f / 127.5f) << k;  // lossy
}

TEST(Data, SyntheticDeterministicAndInRange) {
  auto o = opts("synthetic");
  o.train = false;  // 10,000 images keeps the test quick
  gan::Dataset a = gan::load_dataset(o), b = gan::load_dataset(o);
  ASSERT_EQ(a.n, 10000);
  EXPECT_EQ(a.class_names.size(), 10u);
  ASSERT_EQ(a.images.size(), 10000u * 784);
  EXPECT_TRUE(a.images == b.images);  // bit-identical
  EXPECT_EQ(a.labels, b.labels);
  std::vector<int> count(10);
  for (int l : a.labels) count.at(l)++;
  for (int k = 0; k < 10; ++k) EXPECT_EQ(count[k], 1000);
  float lo = 1, hi = -1;
  for (float v : a.images) {
    ASSERT_TRUE(std::isfinite(v));
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_GE(lo, -1.f);
  EXPECT_LE(hi, 1.f);
  EXPECT_LT(lo, -0.7f);  // uses the range: dark background, bright strokes
  EXPECT_GT(hi, 0.7f);

  // Another seed, or the train split, gives other images (subsets keep this quick; compared
  // against the same number of leading images of `a`).
  auto differs = [&](const gan::Dataset& x) {
    for (int i = 0; i < x.n; ++i)
      if (std::equal(x.images.begin() + i * 784, x.images.begin() + (i + 1) * 784, a.images.begin() + i * 784))
        return false;
    return true;
  };
  o.subset = 1000;
  o.seed = 2;
  EXPECT_TRUE(differs(gan::load_dataset(o)));
  o.seed = 1;
  o.train = true;
  gan::Dataset tr = gan::load_dataset(o);
  ASSERT_EQ(tr.n, 1000);
  EXPECT_TRUE(differs(tr));
}

TEST(Data, SyntheticClassesAreDistinct) {
  // Nearest-centroid on raw pixels: 5000 training images give the class means, 1000 fresh images
  // (the test split) must be classified at > 95%.
  auto o = opts("synthetic");
  o.subset = 5000;
  gan::Dataset tr = gan::load_dataset(o);
  o.train = false;
  o.subset = 1000;
  gan::Dataset te = gan::load_dataset(o);
  std::vector<double> mean(10 * 784, 0.0);
  std::vector<int> cnt(10, 0);
  for (int i = 0; i < tr.n; ++i) {
    cnt[tr.labels[i]]++;
    for (int k = 0; k < 784; ++k) mean[tr.labels[i] * 784 + k] += tr.images[(size_t)i * 784 + k];
  }
  for (int c = 0; c < 10; ++c) {
    ASSERT_GT(cnt[c], 0);
    for (int k = 0; k < 784; ++k) mean[c * 784 + k] /= cnt[c];
  }
  int right = 0;
  std::vector<int> confusion(100, 0);
  for (int i = 0; i < te.n; ++i) {
    int best = -1;
    double bd = 1e300;
    for (int c = 0; c < 10; ++c) {
      double d = 0;
      for (int k = 0; k < 784; ++k) {
        const double e = te.images[(size_t)i * 784 + k] - mean[c * 784 + k];
        d += e * e;
      }
      if (d < bd) bd = d, best = c;
    }
    right += best == te.labels[i];
    confusion[te.labels[i] * 10 + best]++;
  }
  std::string conf;
  for (int r = 0; r < 10; ++r) {
    for (int c = 0; c < 10; ++c) conf += std::to_string(confusion[r * 10 + c]) + " ";
    conf += "\n";
  }
  std::printf("nearest-centroid accuracy %.1f%%\n", right / 10.0);
  EXPECT_GT(right, 950) << "accuracy " << right / 10.0 << "%, confusion (row = true class):\n" << conf;
}

TEST(Data, SyntheticConformsToModelGeometry) {
  auto o = opts("synthetic");
  o.train = false;
  o.subset = 8;
  o.size = 64;
  o.channels = 3;
  gan::Dataset d = gan::load_dataset(o);
  ASSERT_EQ(d.images.size(), 8u * 3 * 64 * 64);
  EXPECT_EQ(d.c, 3);
  EXPECT_EQ(d.h, 64);
  // replicated channels are equal
  for (int k = 0; k < 4096; k += 13) ASSERT_FLOAT_EQ(d.images[k], d.images[4096 + k]);
}

TEST(Data, SubsetIsSeededShuffleOfWholeRecords) {
  TempDir t;
  const int n = 50;
  Bytes px((size_t)n * 784), labels(n);
  for (int i = 0; i < n; ++i) {
    std::fill_n(px.begin() + (size_t)i * 784, 784, (uint8_t)(i * 5));
    labels[i] = (uint8_t)(i % 10);
  }
  write_idx_pair(t, "train", n, 28, 28, px, labels, false);
  auto o = opts("idx:" + t.path);
  o.subset = 20;
  auto pick = [&](uint64_t seed) {
    o.seed = seed;
    gan::Dataset d = gan::load_dataset(o);
    EXPECT_EQ(d.n, 20);
    EXPECT_EQ(d.images.size(), 20u * 784);
    std::vector<int> rows;
    for (int k = 0; k < d.n; ++k) {
      const int row = (int)std::lround((d.images[(size_t)k * 784] + 1.f) * 127.5f / 5.f);
      EXPECT_EQ(d.labels[k], row % 10) << "label travels with its image";
      EXPECT_FLOAT_EQ(d.images[(size_t)k * 784 + 783], d.images[(size_t)k * 784]);
      rows.push_back(row);
    }
    EXPECT_EQ(std::set<int>(rows.begin(), rows.end()).size(), 20u) << "no duplicates";
    return rows;
  };
  const auto a = pick(1), b = pick(1), c = pick(2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<int> first20(20);
  for (int i = 0; i < 20; ++i) first20[i] = i;
  EXPECT_NE(a, first20) << "shuffled, not the first rows";
  o.subset = 500;  // more than there are: everything
  o.seed = 1;
  EXPECT_EQ(gan::load_dataset(o).n, n);
}
