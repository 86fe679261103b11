// Downloads go through the Downloader in DatasetOptions (the libcurl + OpenSSL one lives in
// fetch_curl.cpp and is linked only into ./gan), so the core has no network or crypto dependency
// and tests serve bytes from memory. A
// file is written as <name>.part and renamed only after its SHA-256 matches, so an interrupted or
// tampered download never leaves a file the loader would trust.
//
// Checksums: SHA-256 of the .gz files as listed by TensorFlow Datasets
// (tensorflow_datasets/url_checksums/fashion_mnist.txt and mnist.txt); they belong to the same
// files as the MD5s torchvision checks (Fashion-MNIST train images 8d4fb7e6c68d591d4c3dfef9ec88bf0d).
#include "data/download.h"

#include <cstdio>
#include <cerrno>
#include <cstring>
#include <memory>
#include <sys/stat.h>

#include "data/io.h"
#include "data/loaders.h"

namespace gan {

namespace data {

namespace {
const RemoteDataset kFashion = {
    "fashion-mnist",
    {"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"},
    {{"train-images-idx3-ubyte.gz", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"},
     {"train-labels-idx1-ubyte.gz", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"},
     {"t10k-images-idx3-ubyte.gz", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"},
     {"t10k-labels-idx1-ubyte.gz", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"}},
    {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}};

// yann.lecun.com no longer serves the files reliably; these two mirrors hold identical bytes.
const RemoteDataset kMnist = {
    "mnist",
    {"https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"},
    {{"train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
     {"train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
     {"t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
     {"t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"}},
    {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}};

void make_dirs(const std::string& dir) {
  std::string cur;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      if (!cur.empty() && !dir_exists(cur) && ::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
        throw DataError(cur + ": cannot create folder for the download (" + std::strerror(errno) + ")");
    }
    if (i < dir.size()) cur += dir[i];
  }
}

void write_atomically(const std::string& path, const std::string& body) {
  const std::string part = path + ".part";
  {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(part.c_str(), "wb"), &std::fclose);
    if (!f) throw DataError(part + ": cannot write (" + std::strerror(errno) + ")");
    if (std::fwrite(body.data(), 1, body.size(), f.get()) != body.size() || std::fflush(f.get()) != 0) {
      std::remove(part.c_str());
      throw DataError(part + ": write failed (" + std::strerror(errno) + "): is the disk full?");
    }
  }
  if (std::rename(part.c_str(), path.c_str()) != 0) {
    std::remove(part.c_str());
    throw DataError(path + ": cannot rename the finished download into place (" + std::strerror(errno) + ")");
  }
}

// Fetches one file from the first mirror that serves the right bytes.
void download_one(const RemoteDataset& ds, const RemoteFile& f, const std::string& dir, const DatasetOptions& o) {
  const Fetcher& fetch = o.download.fetch;
  const std::string by_hand = "; put the four " + std::string(ds.name) + " .gz files into " + dir + " by hand";
  if (!fetch || !o.download.sha256) throw DataError(join_path(dir, f.name) + ": missing, and this program has no downloader" + by_hand);
  std::string why;
  for (const char* mirror : ds.mirrors) {
    const std::string url = std::string(mirror) + f.name;
    log(o, "downloading " + url);
    std::string body, err;
    if (!fetch(url, &body, &err)) {
      why += (why.empty() ? "" : "; ") + url + ": " + (err.empty() ? "download failed" : err);
      continue;
    }
    const std::string got = o.download.sha256({body});
    if (got != f.sha256) {
      why += (why.empty() ? "" : "; ") + url + ": SHA-256 mismatch (got " + got + ", expected " + f.sha256 +
             "), not saved";
      continue;
    }
    make_dirs(dir);
    write_atomically(join_path(dir, f.name), body);
    log(o, "saved " + join_path(dir, f.name) + " (" + std::to_string(body.size()) + " bytes, SHA-256 ok)");
    return;
  }
  throw DataError("could not download " + std::string(ds.name) + " " + f.name + " (" + why + ")" + by_hand);
}
}  // namespace

const RemoteDataset* find_remote(const std::string& name) {
  if (name == kFashion.name) return &kFashion;
  if (name == kMnist.name) return &kMnist;
  return nullptr;
}

namespace {
// Downloads the missing .gz files of one split; returns how many were fetched.
int fetch_split(const RemoteDataset& ds, const std::string& dir, const std::string& stem, const DatasetOptions& o) {
  int fetched = 0;
  for (const std::string& base : {stem + "-images-idx3-ubyte", stem + "-labels-idx1-ubyte"}) {
    const std::string raw = join_path(dir, base);
    if (file_exists(raw) || file_exists(raw + ".gz")) continue;
    const RemoteFile* rf = nullptr;
    for (const auto& f : ds.files)
      if (base + ".gz" == f.name) rf = &f;
    if (!rf) throw DataError(raw + ".gz: no known download for this file");
    if (!o.allow_download)
      throw DataError(raw + ".gz: missing and downloads are disabled: put the " + std::string(ds.name) +
                      " files into " + dir);
    download_one(ds, *rf, dir, o);
    ++fetched;
  }
  return fetched;
}
}  // namespace

void ensure_idx_files(const RemoteDataset& ds, const std::string& dir, const std::string& stem,
                      const DatasetOptions& o) {
  if (fetch_split(ds, dir, stem, o) == 0) return;
  // Online now: fetch the other split too, so a later offline run (or the evaluation split, often
  // loaded with downloads off) finds the whole dataset. Best effort: the split asked for is here.
  const std::string other = stem == "train" ? "t10k" : "train";
  bool known = false;
  for (const auto& f : ds.files) known |= std::string(f.name).rfind(other + "-", 0) == 0;
  if (!known) return;
  try {
    fetch_split(ds, dir, other, o);
  } catch (const DataError& e) {
    log(o, std::string("warning: ") + e.what());
  }
}

}  // namespace data
}  // namespace gan
