// Internal: one function per source format, composed by dataset.cpp. Each returns a Dataset in
// the model geometry of `o` (size, channels); subset selection happens once, in dataset.cpp.
#pragma once
#include <string>
#include <vector>

#include "data/dataset.h"

namespace gan {
namespace data {

// IDX pair (images idx3-ubyte, labels idx1-ubyte) in dir; `stem` is "train" or "t10k"; each file
// may be raw or .gz. Missing files are a DataError naming the directory.
Dataset load_idx_dir(const std::string& dir, const std::string& stem, const DatasetOptions& o);
// One IDX image/label pair already in memory (decompressed); paths only name them in errors.
Dataset decode_idx(const std::vector<uint8_t>& images, const std::string& images_path,
                   const std::vector<uint8_t>& labels, const std::string& labels_path,
                   const DatasetOptions& o);

Dataset load_cifar10(const DatasetOptions& o);
Dataset load_folder(const std::string& dir, const DatasetOptions& o);
// Synthetic images number `which` (indices into the split of synthetic_count(o.train) images).
int synthetic_count(bool train);
Dataset make_synthetic(const DatasetOptions& o, const std::vector<int>& which);

void log(const DatasetOptions& o, const std::string& msg);

}  // namespace data
}  // namespace gan
