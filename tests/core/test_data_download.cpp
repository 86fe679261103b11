// OpenSSL's SHA-256 (as ./gan passes it) against the FIPS 180-2 example vectors, and the download path with an injected fetcher
// (this machine has no internet): success, checksum mismatch, fetch failure, and the fallback to
// the synthetic set that only the implicit default dataset gets.
#include <gtest/gtest.h>

#include <map>

#include "app/digest.h"
#include "data/dataset.h"
#include "data/download.h"
#include "data/io.h"
#include "test_data_util.h"

using namespace gan_test;

namespace {
std::string sha(const std::string& s) { return gan::sha256_hex(s); }

// Options whose downloads are served from memory by `f`, checked with OpenSSL's SHA-256 as
// ./gan's are, into `data_dir`.
gan::DatasetOptions served(gan::Fetcher f, const std::string& data_dir = "data", int subset = 0) {
  gan::DatasetOptions o;
  o.download = {std::move(f), [](const std::vector<std::string_view>& p) { return gan::sha256_hex(p); }};
  o.data_dir = data_dir;
  o.subset = subset;
  return o;
}

std::string as_string(const Bytes& b) { return std::string(b.begin(), b.end()); }
}  // namespace

TEST(Data, Sha256Fips180Vectors) {
  EXPECT_EQ(sha("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // One million 'a', fed in uneven pieces (the evaluator's fingerprint digests several).
  const std::string chunk(997, 'a');
  std::vector<std::string_view> pieces;
  for (size_t left = 1000000; left > 0; left -= std::min(left, chunk.size()))
    pieces.emplace_back(chunk.data(), std::min(left, chunk.size()));
  EXPECT_EQ(gan::sha256_hex(pieces), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Data, DownloadVerifiesAndSavesAtomically) {
  TempDir t;
  // A stand-in dataset whose checksums are those of generated files.
  const Bytes images = gzip(idx_images(3, 28, 28, Bytes(3 * 784, 77)));
  const Bytes labels = gzip(idx_labels(Bytes{1, 2, 3}));
  const Bytes t10k_images = gzip(idx_images(1, 28, 28, Bytes(784, 5)));
  const std::string si = sha(as_string(images));
  const std::string sl = sha(as_string(labels));
  const std::string sti = sha(as_string(t10k_images));
  gan::data::RemoteDataset rd{"fake",
                              {"http://dead.example/", "http://mirror.example/d/"},
                              {{"train-images-idx3-ubyte.gz", si.c_str()},
                               {"train-labels-idx1-ubyte.gz", sl.c_str()},
                               {"t10k-images-idx3-ubyte.gz", sti.c_str()},
                               {"t10k-labels-idx1-ubyte.gz", sl.c_str()}},
                              {}};
  std::vector<std::string> asked;
  std::map<std::string, Bytes> files = {{"http://mirror.example/d/train-images-idx3-ubyte.gz", images},
                                         {"http://mirror.example/d/train-labels-idx1-ubyte.gz", labels},
                                         {"http://mirror.example/d/t10k-images-idx3-ubyte.gz", t10k_images}};
  gan::DatasetOptions o = served([&](const std::string& url, std::string* body, std::string* err) {
    asked.push_back(url);
    auto it = files.find(url);
    if (it == files.end()) {
      *err = "Could not resolve host";
      return false;
    }
    *body = as_string(it->second);
    return true;
  });
  std::vector<std::string> logs;
  o.log = [&](const std::string& m) { logs.push_back(m); };
  gan::data::ensure_idx_files(rd, t.path, "train", o);
  // train: first mirror fails, second serves; then the other split, best effort: t10k images
  // arrive, t10k labels fail on both mirrors, which is only a warning.
  ASSERT_EQ(asked.size(), 8u);
  EXPECT_EQ(asked[1], "http://mirror.example/d/train-images-idx3-ubyte.gz");
  EXPECT_EQ(read_all(t / "train-images-idx3-ubyte.gz"), images);
  EXPECT_EQ(read_all(t / "t10k-images-idx3-ubyte.gz"), t10k_images);
  EXPECT_FALSE(gan::file_exists(t / "t10k-labels-idx1-ubyte.gz"));
  EXPECT_FALSE(gan::file_exists(t / "train-images-idx3-ubyte.gz.part"));
  ASSERT_FALSE(logs.empty());
  EXPECT_NE(logs.back().find("warning"), std::string::npos) << logs.back();
  EXPECT_NE(logs.back().find("t10k-labels-idx1-ubyte.gz"), std::string::npos) << logs.back();
  // Present files are not fetched again, and they load.
  gan::data::ensure_idx_files(rd, t.path, "train", o);
  EXPECT_EQ(asked.size(), 8u);
  o.spec = "idx:" + t.path;
  gan::Dataset d = gan::load_dataset(o);
  EXPECT_EQ(d.n, 3);
  EXPECT_EQ(d.labels, (std::vector<int32_t>{1, 2, 3}));
}

TEST(Data, DownloadChecksumMismatchFallsBackToSynthetic) {
  TempDir t;
  gan::DatasetOptions o = served([](const std::string&, std::string* body, std::string*) {
    *body = "this is not fashion-mnist";
    return true;
  }, t.path, 10);
  std::string reason;
  gan::Dataset d = gan::load_dataset_or_synthetic(o, /*explicit_choice=*/false, &reason);
  EXPECT_EQ(d.name, "synthetic");
  EXPECT_EQ(d.n, 10);
  EXPECT_NE(reason.find("SHA-256 mismatch"), std::string::npos) << reason;
  EXPECT_NE(reason.find("train-images-idx3-ubyte.gz"), std::string::npos) << reason;
  // Nothing was saved, not even a partial file.
  EXPECT_FALSE(gan::file_exists(t / "fashion-mnist/train-images-idx3-ubyte.gz"));
  EXPECT_FALSE(gan::file_exists(t / "fashion-mnist/train-images-idx3-ubyte.gz.part"));
}

TEST(Data, DownloadFailureFallsBackOnlyForImplicitDefault) {
  TempDir t;
  std::vector<std::string> asked;
  gan::DatasetOptions o = served([&](const std::string& url, std::string*, std::string* err) {
    asked.push_back(url);
    *err = "Could not resolve host: fashion-mnist.s3-website.eu-central-1.amazonaws.com";
    return false;
  }, t.path, 5);
  std::string reason;
  gan::Dataset d = gan::load_dataset_or_synthetic(o, false, &reason);
  EXPECT_EQ(d.name, "synthetic");
  EXPECT_NE(reason.find("Could not resolve host"), std::string::npos) << reason;
  ASSERT_FALSE(asked.empty());
  EXPECT_EQ(asked[0], "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz");

  // Chosen explicitly: an error, not a silent substitute.
  EXPECT_THROW(gan::load_dataset_or_synthetic(o, true, &reason), gan::DataError);
  // Other datasets never fall back.
  o.spec = "mnist";
  try {
    gan::load_dataset_or_synthetic(o, false, &reason);
    FAIL() << "mnist download failure must throw";
  } catch (const gan::DataError& e) {
    EXPECT_NE(std::string(e.what()).find("ossci-datasets"), std::string::npos) << e.what();
  }
}

TEST(Data, NoFetcherOrDownloadsDisabledSaysWhereToPutFiles) {
  TempDir t;
  gan::DatasetOptions o;
  o.data_dir = t.path;
  o.subset = 5;
  try {
    gan::load_dataset(o);
    FAIL();
  } catch (const gan::DataError& e) {
    EXPECT_NE(std::string(e.what()).find(t / "fashion-mnist"), std::string::npos) << e.what();
  }
  o.allow_download = false;
  std::string reason;
  EXPECT_EQ(gan::load_dataset_or_synthetic(o, false, &reason).name, "synthetic");
  EXPECT_NE(reason.find("downloads are disabled"), std::string::npos) << reason;
  // A successful load leaves no reason behind.
  o.spec = "synthetic";
  o.subset = 3;
  gan::load_dataset_or_synthetic(o, false, &reason);
  EXPECT_TRUE(reason.empty());
}
