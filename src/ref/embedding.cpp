// Embedding (kernels/embedding.cu's twin): labels are checked on the host, where a bad one can be
// named (the device does not range-check them).
#include <cstring>
#include <stdexcept>
#include <string>

#include "ops.h"

namespace gan::ref {
namespace {

void check_label(int32_t label, int num, int b, const char* op) {
  if (label < 0 || label >= num)
    throw std::out_of_range(std::string(op) + ": label " + std::to_string(label) + " at batch row " +
                            std::to_string(b) + " is outside [0, " + std::to_string(num) +
                            "); check the dataset's labels against the model's class count");
}

}  // namespace

void embedding_forward(float* out, const int32_t* labels, const float* table, int B, int num,
                       int dim) {
  for (int b = 0; b < B; ++b) check_label(labels[b], num, b, "embedding_forward");
  for (int b = 0; b < B; ++b)
    std::memcpy(out + (int64_t)b * dim, table + (int64_t)labels[b] * dim, (size_t)dim * sizeof(float));
}

// Rows that share a label add up in batch order, so the sum is the same on every run.
void embedding_backward(float* dtable, const float* dout, const int32_t* labels, int B, int num,
                        int dim) {
  if (!dtable) return;
  for (int b = 0; b < B; ++b) check_label(labels[b], num, b, "embedding_backward");
  for (int b = 0; b < B; ++b) {
    float* t = dtable + (int64_t)labels[b] * dim;
    const float* d = dout + (int64_t)b * dim;
    for (int j = 0; j < dim; ++j) t[j] += d[j];
  }
}

}  // namespace gan::ref
