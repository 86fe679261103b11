// Datasets: every source (IDX files, CIFAR-10 binary, an image folder, the procedural synthetic
// set) is decoded once into one flat in-memory Dataset in the model's own geometry (size,
// channels, pixel range [-1,1], NCHW). Loading is where resizing and channel conversion happen, so
// the trainer never sees the on-disk format. Every failure is a DataError whose one-line message
// names the file and says what to do.
#pragma once
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/digest.h"

namespace gan {

struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Dataset {  // images in [-1,1], NCHW float, labels 0..num_classes-1 (0 for unlabelled)
  std::string name;  // "fashion-mnist", "synthetic", "folder:/path", ...
  int n = 0, c = 1, h = 28, w = 28, num_classes = 10;
  std::vector<float> images;             // n*c*h*w
  std::vector<int32_t> labels;           // n
  std::vector<std::string> class_names;  // num_classes entries (folder names, "T-shirt/top", ...)
};

// ---- download (fashion-mnist, mnist) ----
// fetch(url, &body, &error) -> true on success; sha256 checks what arrived against the published
// digest. Passed in, so the core has neither network nor crypto: ./gan passes curl_downloader()
// (src/data/fetch_curl.h: libcurl and OpenSSL), tests serve bytes from memory. Without a fetch,
// downloads fail with a message saying where to put the files.
using Fetcher = std::function<bool(const std::string& url, std::string* body, std::string* error)>;
struct Downloader {
  Fetcher fetch;
  Sha256 sha256;
};

struct DatasetOptions {
  std::string spec = "fashion-mnist";  // fashion-mnist|mnist|cifar10|synthetic|idx:DIR|folder:DIR
  std::string data_dir = "data";       // where downloads go / are looked for
  int size = 28, channels = 1;  // model geometry: every source is resized/cropped/converted to it
  int subset = 0;               // keep only the first N (after a seeded shuffle) when > 0
  uint64_t seed = 1;
  bool train = true;  // train split (the eval/test split when false)
  bool allow_download = true;
  std::function<void(const std::string&)> log;  // progress/warnings for the user
  Downloader download;  // fashion-mnist, mnist: how missing files are fetched and checked
};

// Throws DataError (one line naming the file and what to do).
Dataset load_dataset(const DatasetOptions& o);

// load_dataset, except that when the spec is the default "fashion-mnist" and the user did not
// choose it explicitly (explicit_choice == false), a DataError falls back to the synthetic set and
// *fallback_reason receives the error's message (it is left empty when no fallback happened).
// An explicit choice that fails rethrows.
Dataset load_dataset_or_synthetic(const DatasetOptions& o, bool explicit_choice,
                                  std::string* fallback_reason);

}  // namespace gan
