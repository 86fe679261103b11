// Checkpoints and generator snapshots as safetensors.
//
// generator.safetensors holds the generator's parameters and BatchNorm buffers under the PyTorch
// module's names (benchmarks/torch_ref.py loads it with load_state_dict), plus the model
// configuration in its metadata, so `./gan --generate` rebuilds the right model from the file.
// checkpoint/state.safetensors holds everything --resume needs in ONE file, written atomically:
// both models ("G." / "D." prefixes), both Adam states ("G.adam_m." ...), the mini-batch history
// and evaluation rows as tables, and the step, epoch and configuration in the metadata. Nothing
// else is needed to continue bit-identically: every random stream is a function of (seed, step).
#pragma once
#include <string>
#include <vector>

#include "artifacts/safetensors.h"
#include "config.h"
#include "run_state.h"
#include "trainer.h"

namespace gan {

void save_generator(const std::string& path, Generator& g, const TrainConfig& cfg, int epoch, int64_t step);
// Reads a generator.safetensors or a checkpoint/state.safetensors and the configuration in it
// (into *cfg unless null; it is checked either way). Throws naming the file when it is neither.
safetensors::File read_model_file(const std::string& path, TrainConfig* cfg);
// Copies the file's tensors into the model (prefix "" for a generator file, "G." in a checkpoint).
// Throws naming the file and tensor on a missing tensor or a shape mismatch.
void load_model(Model& m, const safetensors::File& f, const std::string& prefix, bool with_adam,
                const std::string& source);

struct CheckpointState {
  std::string run_id;
  int epoch = 0;         // epochs completed
  int64_t step = 0;      // mini-batches completed
  double elapsed = 0;    // training seconds so far
  std::vector<BatchRow> history;
  std::vector<EvalRow> evals;
};

void save_checkpoint(const std::string& path, GanTrainer& t, const CheckpointState& s);
// Loads the models, moments and step into `t` (built from the checkpoint's configuration, see
// read_model_file) and returns the rest.
CheckpointState load_checkpoint(const safetensors::File& f, GanTrainer& t, const std::string& source);

}  // namespace gan
