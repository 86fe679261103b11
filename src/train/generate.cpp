#include "generate.h"

#include <algorithm>
#include <stdexcept>

#include "../nn/model.h"
#include "../ref/ops.h"
#include "artifacts/png.h"
#include "checkpoint.h"

namespace gan {

GridPlan plan_grid(const std::string& path, const std::vector<int>& labels, int rows) {
  GridPlan p;
  p.path = path;
  p.file = read_model_file(path, &p.cfg);
  const ModelConfig& m = p.cfg.model;
  p.labels = labels;
  if (p.labels.empty())
    for (int c = 0; c < (m.arch == "acgan28" ? m.num_classes : 10); ++c) p.labels.push_back(c);
  for (int l : p.labels)
    if (l >= m.num_classes)
      throw std::runtime_error("--labels: class " + std::to_string(l) + " does not exist (the model has " +
                               std::to_string(m.num_classes) + " classes: 0.." + std::to_string(m.num_classes - 1) + ")");
  p.rows = rows;
  return p;
}

std::string draw_grid(Ops& ops, const GridPlan& plan, uint64_t seed) {
  const ModelConfig& m = plan.cfg.model;
  const int rows = plan.rows, cols = (int)plan.labels.size(), n = rows * cols;
  auto G = make_generator(ops, m, n, plan.cfg.seed);
  const auto fmt = plan.file.metadata.find("format");
  const bool is_checkpoint = fmt != plan.file.metadata.end() && fmt->second == "gan-checkpoint";
  load_model(*G, plan.file, is_checkpoint ? "G." : "", false, plan.path);
  std::vector<float> noise((size_t)rows * m.latent_dim), z((size_t)n * m.latent_dim);
  ref::randn(noise.data(), (int64_t)noise.size(), 0.0f, 1.0f, seed ^ 0x67656eULL, 0);
  std::vector<int32_t> y(n);
  for (int i = 0; i < n; ++i) {
    y[i] = plan.labels[i % cols];
    std::copy(noise.begin() + (i / cols) * m.latent_dim, noise.begin() + (i / cols + 1) * m.latent_dim,
              z.begin() + (size_t)i * m.latent_dim);
  }
  Tensor zt(ops, {n, m.latent_dim}), yt(ops, {n}, DType::I32);
  zt.from_host(z);
  yt.from_host_i32(y);
  Tensor img = G->forward(zt, yt, Mode::Eval);
  const int pad = 2, S = m.image_size;
  const int h = rows * S + (rows - 1) * pad, w = cols * S + (cols - 1) * pad;
  Tensor grid(ops, {h, w, m.channels}, DType::U8);
  ops.image_grid(grid.u8(), img.f32(), n, m.channels, S, S, rows, cols, pad);
  std::vector<uint8_t> px(grid.numel());
  ops.copy_to_host(px.data(), grid.u8(), px.size());
  return encode_png(w, h, m.channels, px.data());
}

}  // namespace gan
