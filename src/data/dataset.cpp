// load_dataset: picks the loader from the spec, applies --subset, then brings the result to the
// model geometry (loaders other than synthetic already decode into it). The subset is a seeded Fisher-Yates shuffle with our own splitmix64 (std::
// distributions differ between standard libraries), so the same seed keeps the same images
// everywhere.
#include <algorithm>
#include <utility>

#include "data/dataset.h"
#include "data/download.h"
#include "data/image.h"
#include "data/io.h"
#include "data/loaders.h"
#include "parallel_errors.h"
#include "splitmix.h"

namespace gan {
namespace data {

void log(const DatasetOptions& o, const std::string& msg) {
  if (o.log) o.log(msg);
}

namespace {
bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// Resize / channel-convert a dataset whose images are not yet in the model geometry (synthetic is
// always 28x28x1; the other loaders already produce the right geometry).
void conform(Dataset* d, const DatasetOptions& o) {
  if (d->h == o.size && d->w == o.size && d->c == o.channels) return;
  const size_t in_per = (size_t)d->c * d->h * d->w, out_per = (size_t)o.channels * o.size * o.size;
  std::vector<float> out((size_t)d->n * out_per);
  ParallelErrors errors;
#pragma omp parallel for schedule(static)
  for (int i = 0; i < d->n; ++i) {
    errors.run([&] {
      Image im{d->c, d->h, d->w, std::vector<float>(in_per)};
      for (size_t k = 0; k < in_per; ++k) im.px[k] = (d->images[i * in_per + k] + 1.f) * 127.5f;
      std::vector<float> v;
      append_unit(to_channels(square_crop_resize(im, o.size), o.channels), &v);
      std::copy(v.begin(), v.end(), out.begin() + i * out_per);
    });
  }
  errors.rethrow();
  d->images.swap(out);
  d->c = o.channels;
  d->h = d->w = o.size;
}

// The first `subset` indices of a seeded Fisher-Yates shuffle of 0..n-1; all of 0..n-1 in order
// when subset is 0 or not smaller than n.
std::vector<int> subset_indices(int n, int subset, uint64_t seed) {
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  if (subset <= 0 || subset >= n) return order;
  SplitMix rng{seed ^ 0x5375627365744Bull};  // "Subset": independent of other uses of the seed
  for (int i = n - 1; i > 0; --i) {
    // Multiply-shift range reduction (Lemire): bias below 2^-32 for these sizes.
    const int j = (int)(((rng.next() >> 32) * (uint64_t)(i + 1)) >> 32);
    std::swap(order[i], order[j]);
  }
  order.resize(subset);
  return order;
}

void take_subset(Dataset* d, int subset, uint64_t seed) {
  if (subset <= 0 || subset >= d->n) return;
  const std::vector<int> order = subset_indices(d->n, subset, seed);
  const size_t per = (size_t)d->c * d->h * d->w;
  std::vector<float> images((size_t)subset * per);
  std::vector<int32_t> labels(subset);
  for (int k = 0; k < subset; ++k) {
    std::copy_n(d->images.begin() + order[k] * per, per, images.begin() + k * per);
    labels[k] = d->labels[order[k]];
  }
  d->images.swap(images);
  d->labels.swap(labels);
  d->n = subset;
}

Dataset load_remote_idx(const std::string& name, const DatasetOptions& o) {
  const RemoteDataset* rd = find_remote(name);
  const std::string dir = join_path(o.data_dir, name), stem = o.train ? "train" : "t10k";
  ensure_idx_files(*rd, dir, stem, o);
  Dataset d = load_idx_dir(dir, stem, o);
  d.name = name;
  d.class_names = rd->class_names;
  return d;
}
}  // namespace
}  // namespace data

Dataset load_dataset(const DatasetOptions& o) {
  using namespace data;
  if (o.size < 4 || o.size > 4096) throw DataError("image size " + std::to_string(o.size) + " is out of range 4..4096");
  if (o.channels != 1 && o.channels != 3)
    throw DataError("image channels must be 1 or 3, not " + std::to_string(o.channels));
  if (o.subset < 0) throw DataError("subset must be >= 0, not " + std::to_string(o.subset));
  const std::string& s = o.spec;
  Dataset d;
  if (s == "fashion-mnist" || s == "mnist") {
    d = load_remote_idx(s, o);
  } else if (s == "cifar10" || s == "cifar-10") {
    d = load_cifar10(o);
  } else if (s == "synthetic") {
    // Each synthetic image is a pure function of (seed, split, index), so only the selected
    // indices are drawn: same result as drawing all and then subsetting, at a fraction of the cost.
    d = make_synthetic(o, subset_indices(synthetic_count(o.train), o.subset, o.seed));
    conform(&d, o);
    return d;
  } else if (starts_with(s, "idx:")) {
    d = load_idx_dir(s.substr(4), o.train ? "train" : "t10k", o);
    d.name = s;
    for (int k = 0; k < d.num_classes; ++k) d.class_names.push_back(std::to_string(k));
  } else if (starts_with(s, "folder:")) {
    d = load_folder(s.substr(7), o);
  } else {
    throw DataError("unknown dataset '" + s + "': use fashion-mnist, mnist, cifar10, synthetic, idx:DIR or folder:DIR");
  }
  take_subset(&d, o.subset, o.seed);
  conform(&d, o);
  return d;
}

Dataset load_dataset_or_synthetic(const DatasetOptions& o, bool explicit_choice, std::string* fallback_reason) {
  if (fallback_reason) fallback_reason->clear();
  try {
    return load_dataset(o);
  } catch (const DataError& e) {
    if (explicit_choice || o.spec != "fashion-mnist") throw;
    // Not logged here: the caller reports *fallback_reason (once) in its own words.
    if (fallback_reason) *fallback_reason = e.what();
    DatasetOptions so = o;
    so.spec = "synthetic";
    return load_dataset(so);
  }
}

}  // namespace gan
