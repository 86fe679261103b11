// Image decoders through the folder loader (src/data/folder.cpp, stb): the input becomes one
// file of an image folder; byte 0 picks its name (.png, .jpg, .jpeg, .gif) and the model
// geometry.
#include "data/dataset.h"
#include "data/loaders.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("OMP_NUM_THREADS", "1", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::TempDir dir;
  if (size < 1) return 0;
  static const char* names[] = {"a.png", "a.jpg", "a.jpeg", "a.gif"};
  const uint8_t sel = data[0];
  const std::string cls = dir.path() + "/class";
  dir.clear();
  std::filesystem::create_directory(cls);
  fuzz::write_file(cls + "/" + names[sel & 3], data + 1, size - 1);
  gan::DatasetOptions o;
  o.size = (sel & 4) ? 8 : 28;
  o.channels = (sel & 8) ? 3 : 1;
  o.log = [](const std::string&) {};
  fuzz::accepts([&] {
    gan::Dataset d = gan::data::load_folder(dir.path(), o);
    (void)d;
  });
  return 0;
}
