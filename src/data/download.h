// Download of the IDX datasets (fashion-mnist, mnist) into <data_dir>/<name>/, each .gz checked
// against its published SHA-256 before it is renamed into place.
#pragma once
#include <string>
#include <vector>

#include "data/dataset.h"

namespace gan {
namespace data {

struct RemoteFile {
  const char* name;    // e.g. "train-images-idx3-ubyte.gz"
  const char* sha256;  // lowercase hex
};

struct RemoteDataset {
  const char* name;                  // "fashion-mnist" (also the folder under data_dir)
  std::vector<const char*> mirrors;  // base URLs ending in '/', tried in order
  std::vector<RemoteFile> files;
  std::vector<std::string> class_names;
};

const RemoteDataset* find_remote(const std::string& name);  // nullptr when not downloadable

// Makes sure <dir>/<stem>-{images-idx3,labels-idx1}-ubyte[.gz] exist, downloading the missing
// .gz files. DataError (saying why, and where to put the files by hand) when that fails. After a
// download it also fetches the other split's missing files (train <-> t10k), failures there
// being only logged.
void ensure_idx_files(const RemoteDataset& ds, const std::string& dir, const std::string& stem,
                      const DatasetOptions& o);

}  // namespace data
}  // namespace gan
