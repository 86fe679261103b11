// Configuration: every hyperparameter of the models and the training loop, with the reference
// system's defaults. The CLI (src/main.cpp) fills it; hyperparameters.json is its dump.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "../ops.h"
#include "common/json.h"

namespace gan {

struct ModelConfig {
  std::string arch = "acgan28";  // acgan28 | dcgan64
  int image_size = 28, channels = 1, num_classes = 10;
  int latent_dim = 100;
  // acgan28 (the reference system's flags)
  int label_dim = 50;                                // Embedding(num_classes, label_dim)
  std::vector<int> conv_filters = {128, 128};        // D: one block of [s2 conv, s1 conv] per entry
  std::vector<int> conv_transpose_filters = {128, 128};  // G: one ConvTranspose(k4,s2,p1) per entry
  int generator_input_filters = 128;                 // G: noise → Linear → this many 7×7 maps
  float leaky_alpha = 0.2f, dropout = 0.4f, init_std = 0.02f;
  bool batchnorm = true;
  // dcgan64 (PyTorch's DCGAN example)
  int ngf = 64, ndf = 64;
  float bn_momentum = 0.1f, bn_eps = 1e-5f;
  // BatchNorm → LeakyReLU (→ Dropout) as one op (BnActDropout; the same results, bit for bit on
  // the CPU). false builds the three layers (--unfused-bn). Not part of the saved configuration:
  // it changes neither parameters nor results.
  bool fuse_bn_act = true;
};

struct TrainConfig {
  ModelConfig model;
  int batch = 128;          // B; each D step sees B/2 real or B/2 fake images
  int epochs = 100;
  int evalfreq = 10;
  int eval_samples = 150;   // real and generated samples per evaluation
  // Generated and held-out real images per evaluation epoch for the quality metrics (Fréchet
  // distance, class agreement, precision/recall; src/train/quality/); 0 turns them off.
  int quality_samples = 10000;
  int subset = 0;           // train on the first N images only (0 = all)
  bool shuffle = true;      // shuffled epochs; false = draw real batches with replacement (reference)
  uint64_t seed = 1;
  AdamHyper adam;
  // Matrix precision (src/precision.h); the default stays fp32 until a GPU run shows bf16 training
  // as well as fp32 does.
  Precision precision = Precision::Fp32;
  // Parameters, gradients and Adam moments in one flat buffer each (ParamSet::flatten): one fill
  // zeroes the gradients and one Adam call updates a model. false keeps a buffer per tensor (the
  // results are bit-identical; tests/core/test_train.cpp checks).
  bool flat_params = true;
  int metrics_flush = 16;   // mini-batches between metric read-backs from the device
  std::string dataset;      // the --dataset spec trained on, so --resume reloads the same data
};

// The configuration as JSON (hyperparameters.json, checkpoint and generator metadata) and back.
// The readers throw naming the missing or mistyped key.
Json model_config_json(const ModelConfig& m);
ModelConfig model_config_from_json(const Json& j);
Json train_config_json(const TrainConfig& c);
TrainConfig train_config_from_json(const Json& j);

}  // namespace gan
