// Corrupt, truncated and misplaced dataset files: each must be a DataError whose message names
// the offending file (or folder), never a crash or a silently wrong dataset.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <vector>

#include "data/dataset.h"
#include <zlib.h>

#include "data/io.h"
#include "heap_peak.h"
#include "parallel_errors.h"
#include "test_data_util.h"

using namespace gan_test;

namespace {
gan::DatasetOptions opts(const std::string& spec) {
  gan::DatasetOptions o;
  o.spec = spec;
  o.allow_download = false;
  return o;
}

// Loads `spec`, with every line the loader logs in *log (one per line).
gan::Dataset load_logged(const std::string& spec, std::string* log) {
  auto o = opts(spec);
  o.log = [log](const std::string& m) { *log += m + "\n"; };
  return gan::load_dataset(o);
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

void put_be32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = (uint8_t)(v >> (24 - 8 * i));
}
void put_le32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = (uint8_t)(v >> (8 * i));
}

// A PNG whose IHDR claims w x h (gray, 8 bits) with a proper CRC; its IDAT is a stub.
Bytes png_header_claiming(uint32_t w, uint32_t h) {
  Bytes b{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto chunk = [&](const char* type, const Bytes& data) {
    Bytes c(4 + 4 + data.size() + 4);
    put_be32(c, 0, (uint32_t)data.size());
    std::memcpy(&c[4], type, 4);
    std::copy(data.begin(), data.end(), c.begin() + 8);
    put_be32(c, 8 + data.size(), (uint32_t)::crc32(0L, &c[4], 4 + data.size()));
    b.insert(b.end(), c.begin(), c.end());
  };
  Bytes ihdr(13, 0);
  put_be32(ihdr, 0, w);
  put_be32(ihdr, 4, h);
  ihdr[8] = 8;  // bit depth; colour type 0 (gray), deflate, no filter set, no interlace
  chunk("IHDR", ihdr);
  chunk("IDAT", Bytes{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
  chunk("IEND", Bytes{});
  return b;
}
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

// The review's file: 65536 x 2^20 x 2^28 wraps to 0 in 64 bits, so a 16-byte images file passed
// the size check and the decoding loop died of bad_alloc inside an OpenMP region (exit 134).
TEST(BadInput, IdxDimensionsWhoseProductWrapsAreRefused) {
  TempDir t;
  Bytes im(16, 0);
  put_be32(im, 0, 0x803);
  put_be32(im, 4, 65536);
  put_be32(im, 8, 1u << 20);
  put_be32(im, 12, 1u << 28);
  write_file(t / "train-images-idx3-ubyte", im);
  good_labels(t, 65536);
  expect_error(opts("idx:" + t.path), t / "train-images-idx3-ubyte", "implausible IDX image side 1048576");
  // Within the per-dimension caps the product cannot wrap, and must still match the file.
  put_be32(im, 4, 3);
  put_be32(im, 8, 65536);
  put_be32(im, 12, 65536);
  write_file(t / "train-images-idx3-ubyte", im);
  good_labels(t, 3);
  expect_error(opts("idx:" + t.path), t / "train-images-idx3-ubyte", "promises 12884901888 data bytes");
}

// No exception may leave an OpenMP region (the runtime would call std::terminate): the first one
// comes back on the calling thread, after the region, as itself.
TEST(BadInput, ExceptionInsideAParallelRegionIsRethrownAfterIt) {
  gan::ParallelErrors errors;
  std::atomic<int> ran{0};
#pragma omp parallel for num_threads(4) schedule(static)
  for (int i = 0; i < 4000; ++i) {
    errors.run([&] {
      ran++;
      if (i == 2000) throw std::runtime_error("item 2000 failed");
      if (i == 2001) throw std::bad_alloc();  // same thread, after 2000: never runs
    });
  }
  try {
    errors.rethrow();
    FAIL() << "the exception thrown inside the region was lost";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "item 2000 failed");
  }
  EXPECT_LT(ran.load(), 4000) << "iterations after the failure should return at once";
  gan::ParallelErrors none;
#pragma omp parallel for num_threads(4)
  for (int i = 0; i < 100; ++i) none.run([] {});
  EXPECT_NO_THROW(none.rethrow());
}

// A gzip bomb: 8 MiB of zeros (about 8 KB compressed) whose trailer says 1000 bytes. The decoder's
// buffer is the trailer's size and cannot grow, so it fails without taking the 8 MiB.
TEST(BadInput, GzipBombIsRefusedWithoutTheMemoryItWouldTake) {
  Bytes gz = gzip(Bytes(8 << 20, 0));
  put_le32(gz, gz.size() - 4, 1000);
  int64_t peak = 0;
  std::string e;
  {
    gan_test::HeapPeak heap;
    try {
      gan::data::gunzip(gz, "bomb.gz");
    } catch (const gan::DataError& x) {
      e = x.what();
    }
    peak = heap.bytes();
  }
  EXPECT_NE(e.find("bomb.gz"), std::string::npos) << e;
  EXPECT_NE(e.find("does not decode to the 1000 bytes"), std::string::npos) << e;
  EXPECT_LT(peak, 256 << 10) << "decoding a bomb took " << peak << " bytes";
  // A trailer claiming more than deflate can expand the file to is refused before allocating.
  put_le32(gz, gz.size() - 4, 0x7fffffff);
  try {
    gan::data::gunzip(gz, "bomb.gz");
    FAIL();
  } catch (const gan::DataError& x) {
    EXPECT_NE(std::string(x.what()).find("more than"), std::string::npos) << x.what();
  }
  // Over the in-memory cap (1 GiB) even when the compressed size could hold it.
  Bytes big = gzip(Bytes(16, 0));
  big.insert(big.end() - 8, (size_t)(1200u << 20) / 1000, 0);
  put_le32(big, big.size() - 4, 1200u << 20);
  try {
    gan::data::gunzip(big, "big.gz");
    FAIL();
  } catch (const gan::DataError& x) {
    EXPECT_NE(std::string(x.what()).find("gunzip it"), std::string::npos) << x.what();
  }
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

// Two gzip members back to back (`cat a.gz b.gz`): gan reads one member, so the file is refused
// rather than half of it read.
TEST(BadInput, GzipConcatenatedMembersAreRefused) {
  TempDir t;
  const Bytes images = idx_images(2, 28, 28, Bytes(2 * 784, 9));
  Bytes gz = gzip(Bytes(images.begin(), images.begin() + 800));
  const Bytes rest = gzip(Bytes(images.begin() + 800, images.end()));
  gz.insert(gz.end(), rest.begin(), rest.end());
  write_file(t / "train-images-idx3-ubyte.gz", gz);
  good_labels(t, 2);
  expect_error(opts("idx:" + t.path), t / "train-images-idx3-ubyte.gz");
}

TEST(BadInput, FolderPngThatIsNotAPng) {
  TempDir t;
  make_dir(t / "cats");
  write_file(t / "cats/cat.png", Bytes{'G', 'I', 'F', '8', '9', 'a', 0, 0, 0});
  expect_error(opts("folder:" + t.path), t / "cats/cat.png");
}

// stb sniffs content: with every decoder compiled, GIF, PSD (and PIC, PNM...) files named .png
// were decoded. Only PNG and JPEG decoders exist now, and a file must be what its name says.
TEST(BadInput, FolderImageWhoseContentIsNotItsExtensionIsSkipped) {
  TempDir t;
  make_dir(t / "cats");
  write_png(t / "cats/good.png", 4, 4, 1, Bytes(16, 128));
  // A complete 1x1 GIF89a and a 2x2 RGB PSD (raw channel data): stb decodes both when allowed.
  write_file(t / "cats/gif.png", Bytes{'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0xff, 0xff, 0xff, 0, 0, 0,
                                       0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3b});
  Bytes psd{'8', 'B', 'P', 'S', 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 8, 0, 3,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  psd.insert(psd.end(), 12, 200);
  write_file(t / "cats/psd.png", psd);
  Bytes png_bytes = read_all(t / "cats/good.png");
  write_file(t / "cats/png.jpg", png_bytes);
  write_file(t / "cats/old.gif", Bytes{'G', 'I', 'F'});  // not a format gan reads: left out, said so
  std::string all;
  EXPECT_EQ(load_logged("folder:" + t.path, &all).n, 1);
  EXPECT_NE(all.find(t / "cats/gif.png" + ": named .png but is not a PNG file"), std::string::npos) << all;
  EXPECT_NE(all.find(t / "cats/psd.png" + ": named .png but is not a PNG file"), std::string::npos) << all;
  EXPECT_NE(all.find(t / "cats/png.jpg" + ": named .jpg but holds PNG data"), std::string::npos) << all;
  EXPECT_NE(all.find("old.gif) are not read"), std::string::npos) << all;
}

// stb builds a JPEG Huffman table from 16 code-length counts without checking that they add up to
// at most 256 symbols: a DHT segment whose counts add up to 16 x 255 wrote thousands of bytes past
// the table (found by tests/fuzz/image_folder under UBSan). Such a file is refused before stb reads
// it; a real JPEG (whose DHT segment holds four tables) still decodes.
TEST(BadInput, FolderJpegWithAnOversizedHuffmanTableIsRefused) {
  TempDir t;
  make_dir(t / "cats");
  write_file(t / "cats/good.jpg", gray_jpeg_16x16());
  Bytes bad{0xff, 0xd8, 0xff, 0xc4, 0x10, 0x00, 0x00};  // SOI; DHT of 4094 bytes: class 0, table 0
  bad.insert(bad.end(), 16, 0xff);                     // 16 x 255 = 4080 symbols
  bad.insert(bad.end(), 4080, 0x01);
  bad.push_back(0xff), bad.push_back(0xd9);
  write_file(t / "cats/evil.jpg", bad);
  std::string all;
  EXPECT_EQ(load_logged("folder:" + t.path, &all).n, 1);
  EXPECT_NE(all.find(t / "cats/evil.jpg" + ": a corrupt JPEG (a Huffman table of more than 256 symbols)"), std::string::npos)
      << all;
}

// stb reads decoder state a corrupt JPEG never sets: here an AC Huffman table that no DHT segment
// defines (the table's class byte says DC instead), which tests/fuzz/image_folder found as an
// assertion in stb that came and went with what the heap held before. stb's allocations are
// zeroed (stb_impl.cpp), so the file decodes the same after every thread's heap was left full of
// 0x00 as after 0x11.
TEST(BadInput, FolderJpegWithAnUndefinedHuffmanTableDecodesTheSameWhateverTheHeapHeld) {
  Bytes jpeg = gray_jpeg_16x16();
  size_t dht = 0;
  while (dht + 1 < jpeg.size() && !(jpeg[dht] == 0xff && jpeg[dht + 1] == 0xc4)) ++dht;
  ASSERT_LT(dht + 21, jpeg.size());
  size_t table = dht + 4, symbols = 0;  // the segment's first table (DC 0), then the second: AC 0
  for (size_t k = table + 1; k <= table + 16; ++k) symbols += jpeg[k];
  table += 17 + symbols;
  ASSERT_EQ(jpeg[table], 0x10);
  jpeg[table] = 0x00;
  TempDir t;
  make_dir(t / "cats");
  write_file(t / "cats/a.jpg", jpeg);
  auto load_after_heap_held = [&](uint8_t fill) {
#pragma omp parallel
    {
      std::vector<void*> blocks;
      for (size_t size = 1 << 10; size <= 1 << 16; size <<= 1) blocks.push_back(std::memset(std::malloc(size), fill, size));
      for (void* b : blocks) std::free(b);
    }
    std::string log;
    try {
      const gan::Dataset d = load_logged("folder:" + t.path, &log);
      return std::string(reinterpret_cast<const char*>(d.images.data()), d.images.size() * sizeof(float));
    } catch (const gan::DataError& e) {
      return std::string(e.what());
    }
  };
  EXPECT_TRUE(load_after_heap_held(0x00) == load_after_heap_held(0x11)) << "the decoded file depends on the heap's history";
}

// Sizes come from the header (stbi_info) and are checked before decoding: a small PNG cannot ask
// for gigabytes.
TEST(BadInput, FolderImageClaimingHugeDimensionsIsRefusedBeforeDecoding) {
  TempDir t;
  make_dir(t / "big");
  write_file(t / "big/wide.png", png_header_claiming(8192, 4096));  // 2^25 pixels
  expect_error(opts("folder:" + (t / "big")), t / "big/wide.png", "8192x4096 pixels is more than");
  write_file(t / "big/wide.png", png_header_claiming(70000, 1));
  expect_error(opts("folder:" + (t / "big")), t / "big/wide.png", "a side over 65536 pixels");
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
