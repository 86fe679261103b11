// --evaluate: the quality metrics of every evaluation epoch of a run that has generators but no
// metrics (written before they existed, or elsewhere), stored as training stores them: each
// epoch's summary.json gains the quality keys, and best.json and evaluator.json are written.
#pragma once
#include <string>
#include <vector>

#include "../data/dataset.h"
#include "../ops.h"
#include "common/json.h"
#include "prepare.h"
#include "quality/evaluator.h"

namespace gan {

// The epochs of `dir` that have an epoch/<N>/generator.safetensors, ascending.
std::vector<int> generator_epochs(const std::string& dir);

// evaluator.json: what the quality metrics' evaluator is (training adds its architecture).
Json evaluator_json(const quality::EvaluatorInfo& info, int samples, bool with_architecture);

struct EvaluateRunOptions {
  std::string dir;          // the run folder
  std::vector<int> epochs;  // generator_epochs(dir), not empty
  TrainConfig cfg;          // the configuration the generators were saved with
  int samples = 1000;       // quality samples per epoch
  quality::EvaluatorCache cache;
};

void evaluate_run(Ops& ops, const Dataset& train, const Dataset* eval, const EvaluateRunOptions& o, const Say& say);

}  // namespace gan
