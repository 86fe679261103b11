// --generate: a grid of images drawn by a saved generator (a run's generator.safetensors or the
// generator in a checkpoint): one row per noise vector, one column per class label.
#pragma once
#include <string>
#include <vector>

#include "../ops.h"
#include "artifacts/safetensors.h"
#include "config.h"

namespace gan {

struct GridPlan {
  std::string path;  // the model file
  safetensors::File file;
  TrainConfig cfg;          // the configuration saved in it
  std::vector<int> labels;  // the columns
  int rows = 0;
};

// Reads the model file and checks the labels against its classes (none given: every class, at
// most 10). Throws naming the file or the label.
GridPlan plan_grid(const std::string& path, const std::vector<int>& labels, int rows);

// The grid as PNG bytes: noise fixed by `seed` (row r shares noise vector r), 2-pixel gaps.
std::string draw_grid(Ops& ops, const GridPlan& plan, uint64_t seed);

}  // namespace gan
