// Image folder: DIR/<class>/<image>, classes = subfolder names in byte order (so labels are the
// same on every machine), decoded with stb_image, then centre-square-cropped and resized to the
// model size. A folder of loose images with no subfolders is one class. A single undecodable file
// is skipped with a warning (large scraped folders often hold one), but a folder where nothing
// decodes is an error naming the first bad file.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <memory>

#include <stb_image.h>

#include "data/image.h"
#include "data/io.h"
#include "data/loaders.h"

namespace gan {
namespace data {

namespace {
bool is_image_name(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  std::string ext = name.substr(dot + 1);
  for (char& ch : ext) ch = (char)std::tolower((unsigned char)ch);
  static const char* known[] = {"png", "jpg", "jpeg", "bmp", "gif", "tga", "ppm", "pgm", "psd"};
  for (const char* k : known)
    if (ext == k) return true;
  return false;
}

struct Listing {
  std::vector<std::string> dirs, images, others;
};

Listing list_dir(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), &closedir);
  if (!d) throw DataError(dir + ": cannot open image folder (" + std::strerror(errno) + ")");
  Listing l;
  while (dirent* e = readdir(d.get())) {
    std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;  // ., .., hidden (.DS_Store, .ipynb_checkpoints)
    const std::string path = join_path(dir, name);
    if (dir_exists(path)) l.dirs.push_back(name);
    else if (is_image_name(name)) l.images.push_back(name);
    else l.others.push_back(name);
  }
  std::sort(l.dirs.begin(), l.dirs.end());
  std::sort(l.images.begin(), l.images.end());
  return l;
}

std::string basename_of(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  size_t s = dir.rfind('/');
  return s == std::string::npos ? dir : dir.substr(s + 1);
}
}  // namespace

Dataset load_folder(const std::string& dir, const DatasetOptions& o) {
  if (!dir_exists(dir)) throw DataError(dir + ": image folder not found: pass --dataset folder:DIR with an existing folder");
  const Listing top = list_dir(dir);
  // (class name, file paths)
  std::vector<std::pair<std::string, std::vector<std::string>>> classes;
  if (top.dirs.empty()) {
    std::vector<std::string> files;
    for (const auto& f : top.images) files.push_back(join_path(dir, f));
    classes.push_back({basename_of(dir), files});
  } else {
    if (!top.images.empty())
      log(o, "warning: " + dir + ": " + std::to_string(top.images.size()) +
                 " images directly in the folder are ignored (classes are its subfolders)");
    for (const auto& sub : top.dirs) {
      const std::string sd = join_path(dir, sub);
      const Listing l = list_dir(sd);
      if (l.images.empty()) {
        log(o, "warning: " + sd + ": no images, folder skipped");
        continue;
      }
      std::vector<std::string> files;
      for (const auto& f : l.images) files.push_back(join_path(sd, f));
      classes.push_back({sub, files});
    }
  }
  std::vector<std::string> paths;
  std::vector<int32_t> labels;
  for (size_t k = 0; k < classes.size(); ++k)
    for (const auto& p : classes[k].second) {
      paths.push_back(p);
      labels.push_back((int32_t)k);
    }
  if (paths.empty())
    throw DataError(dir + ": no images found (expected PNG/JPEG files in DIR/<class>/): add images or fix the path");

  const int n = (int)paths.size();
  const size_t out_per = (size_t)o.channels * o.size * o.size;
  std::vector<float> px((size_t)n * out_per);
  std::vector<std::string> err(n);
#pragma omp parallel for schedule(dynamic, 8)
  for (int i = 0; i < n; ++i) {
    try {
      const std::vector<uint8_t> bytes = read_file(paths[i]);
      int w = 0, h = 0, comp = 0;
      uint8_t* raw = stbi_load_from_memory(bytes.data(), (int)bytes.size(), &w, &h, &comp, o.channels);
      if (!raw) {
        err[i] = paths[i] + ": not a decodable image (" + stbi_failure_reason() + ")";
        continue;
      }
      std::unique_ptr<uint8_t, void (*)(void*)> own(raw, &stbi_image_free);
      Image im = square_crop_resize(from_interleaved(raw, h, w, o.channels), o.size);
      std::vector<float> v;
      append_unit(im, &v);
      std::copy(v.begin(), v.end(), px.begin() + (size_t)i * out_per);
    } catch (const std::exception& e) {
      err[i] = e.what();
    }
  }
  // Keep the decodable ones, in order; classes keep their indices even if one loses every file.
  Dataset d;
  d.name = "folder:" + dir;
  d.c = o.channels;
  d.h = d.w = o.size;
  d.num_classes = (int)classes.size();
  for (const auto& c : classes) d.class_names.push_back(c.first);
  int bad = 0;
  std::string first_bad;
  for (int i = 0; i < n; ++i) {
    if (err[i].empty()) {  // compact in place: no second copy of a large folder
      if (d.n != i) std::copy_n(px.begin() + (size_t)i * out_per, out_per, px.begin() + (size_t)d.n * out_per);
      d.labels.push_back(labels[i]);
      ++d.n;
      continue;
    }
    if (bad++ == 0) first_bad = err[i];
    if (bad <= 5) log(o, "warning: skipped " + err[i]);
  }
  px.resize((size_t)d.n * out_per);
  d.images = std::move(px);
  if (d.n == 0) throw DataError(first_bad + "; no image in " + dir + " could be loaded");
  if (bad > 5) log(o, "warning: skipped " + std::to_string(bad) + " undecodable files in " + dir + " in all");
  return d;
}

}  // namespace data
}  // namespace gan
