// Helpers for the training and quality tests: the synthetic data they train on and the options of
// a quiet run.
#pragma once
#include <string>

#include "data/dataset.h"
#include "common/json.h"
#include "train/loop.h"

namespace gan_test {

// `n` images of the built-in synthetic set (its train or held-out split), seed 3.
inline gan::Dataset synthetic(int n, bool train = true) {
  gan::DatasetOptions o;
  o.spec = "synthetic";
  o.subset = n;
  o.seed = 3;
  o.train = train;
  return gan::load_dataset(o);
}

// A quiet run of `c` on `d` in <out>/<run>, its hyperparameters.json the configuration's JSON.
inline gan::RunOptions run_options(const gan::TrainConfig& c, const gan::Dataset& d, const std::string& out,
                                   const std::string& run) {
  gan::RunOptions o;
  o.cfg = c;
  o.out_dir = out;
  o.run_id = run;
  o.hyperparameters = gan::train_config_json(c);
  o.train = &d;
  o.quiet = true;
  return o;
}

}  // namespace gan_test
