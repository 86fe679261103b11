// acgan28 and dcgan64.
//
// A convolution followed by BatchNorm has no bias (with --batchNorm=false it keeps one). BatchNorm
// subtracts the batch mean of each channel, so a per-channel bias added before it cancels
// exactly: the model computes the same function without it, and the bias's true gradient is
// exactly zero. What a backend computes for that gradient is rounding noise, which Adam, dividing
// by √v, turns into steps of about ±lr every mini-batch: a random walk that the training output
// cannot see, that eval mode sees only while running_mean lags it, and that makes two backends
// (or two cuDNN algorithms) disagree by O(1) in that tensor after a few steps. PyTorch's DCGAN example drops these biases for the same reason;
// the reference Keras model had them, and checkpoints written while gan still had them load:
// in train mode the bias cancels, and in eval mode running_mean holds it (running_mean tracks the
// mean of conv(x) + b), so subtracting the bias from running_mean gives the same outputs
// (Model::folded_biases, load_model). dcgan64 follows the PyTorch example: no conv has a bias.
#include <sstream>
#include <stdexcept>

#include "model.h"

namespace gan {

void validate_model_config(const ModelConfig& c) {
  auto bad = [](const std::string& m) { throw std::invalid_argument(m); };
  if (c.latent_dim <= 0) bad("--latent-dim must be positive");
  if (c.channels != 1 && c.channels != 3) bad("--channels must be 1 or 3");
  if (c.dropout < 0 || c.dropout >= 1) bad("--dropout-rate must be in [0, 1)");
  if (c.init_std <= 0) bad("--kernel-init-stddev must be positive");
  if (c.arch == "acgan28") {
    if (c.image_size != 28) bad("acgan28 works on 28×28 images (got --image-size " + std::to_string(c.image_size) + ")");
    if (c.num_classes < 2) bad("acgan28 needs at least 2 classes");
    if (c.label_dim <= 0) bad("--label-dim must be positive");
    if (c.conv_filters.size() != 2) bad("--conv-filters needs two comma-separated widths (one per 28→14→7 block), e.g. 128,128");
    if (c.conv_transpose_filters.size() != 2)
      bad("--conv-transpose-filters needs two comma-separated widths (7→14→28), e.g. 128,128");
    for (int f : c.conv_filters) if (f <= 0) bad("--conv-filters: widths must be positive");
    for (int f : c.conv_transpose_filters) if (f <= 0) bad("--conv-transpose-filters: widths must be positive");
    if (c.generator_input_filters <= 0) bad("--generator-input-filters must be positive");
  } else if (c.arch == "dcgan64") {
    if (c.image_size != 64) bad("dcgan64 works on 64×64 images (got --image-size " + std::to_string(c.image_size) + ")");
    if (c.ngf <= 0 || c.ndf <= 0) bad("--ngf and --ndf must be positive");
  } else {
    bad("unknown --model '" + c.arch + "' (choose acgan28 or dcgan64)");
  }
}

namespace {

// ---------------------------------------------------------------- acgan28

// G: label → Embedding → Linear(49) → 1×7×7; noise → Linear(F·49) → LeakyReLU → F×7×7; concat →
// (F+1)×7×7; per entry of conv_transpose_filters: ConvTranspose(k4 s2 p1, no bias) → BN →
// LeakyReLU → Dropout; Conv(C, k7, p3) → tanh.
class AcGanGenerator final : public Generator {
 public:
  AcGanGenerator(Ops& ops, const ModelConfig& c, int cap, uint64_t seed) : Generator(ops), c_(c), cap_(cap) {
    int F = c.generator_input_filters;
    embed_ = std::make_unique<Embedding>(ps_, "label_embedding", c.num_classes, c.label_dim, cap);
    label_linear_ = std::make_unique<Linear>(ps_, "label_linear", c.label_dim, 49, true, cap);
    noise_linear_ = std::make_unique<Linear>(ps_, "noise_linear", c.latent_dim, F * 49, true, cap);
    noise_act_ = std::make_unique<Activation>(ops, Act::LeakyRelu, c.leaky_alpha, cap);
    int in = F + 1;
    for (size_t i = 0; i < c.conv_transpose_filters.size(); ++i) {
      int out = c.conv_transpose_filters[i];
      std::string k = std::to_string(i);
      up_.add<Conv>("up." + k, ps_, "up." + k, true, in, out, 4, 2, 1, !c.batchnorm, cap);
      if (c.batchnorm) folded_.push_back({"up." + k + ".bias", "bn_up." + k + ".running_mean"});
      if (c.batchnorm && c.fuse_bn_act) {
        up_.add<BnActDropout>("bn_up." + k, ps_, "bn_up." + k, "act_up." + k, "drop_up." + k, out, c.bn_momentum,
                              c.bn_eps, c.leaky_alpha, c.dropout, seed, 1 + (int)i, &phase_, cap);
      } else {
        if (c.batchnorm) up_.add<BatchNorm>("bn_up." + k, ps_, "bn_up." + k, out, c.bn_momentum, c.bn_eps, cap);
        up_.add<Activation>("act_up." + k, ops, Act::LeakyRelu, c.leaky_alpha, cap);
        up_.add<Dropout>("drop_up." + k, ops, c.dropout, seed, 1 + (int)i, &phase_, cap);
      }
      in = out;
    }
    up_.add<Conv>("out_conv", ps_, "out_conv", false, in, c.channels, 7, 1, 3, true, cap);
    up_.add<Activation>("tanh", ops, Act::Tanh, 0.0f, cap);
    concat_ = Tensor(ops, {cap, F + 1, 7, 7});
    dlabel_ = Tensor(ops, {cap, 1, 7, 7});
    dnoise_ = Tensor(ops, {cap, F, 7, 7});
  }

  Tensor forward(const Tensor& noise, const Tensor& labels, Mode mode) override {
    int n = noise.dim(0), F = c_.generator_input_filters;
    Tensor l = label_linear_->forward(embed_->forward(labels, mode), mode);
    Tensor z = noise_act_->forward(noise_linear_->forward(noise, mode), mode);
    Tensor cat = concat_.first(n);
    // The reference concatenates [noise maps, label map] in that order.
    ops().concat_forward(cat.f32(), z.f32(), l.f32(), n, F, 1, 49);
    return up_.forward(cat, mode);
  }

  void backward(const Tensor& dimages) override {
    int n = dimages.dim(0), F = c_.generator_input_filters;
    Tensor dcat = up_.backward(dimages, true);
    Tensor dz = dnoise_.first(n), dl = dlabel_.first(n);
    ops().concat_backward(dz.f32(), dl.f32(), dcat.f32(), n, F, 1, 49);
    noise_linear_->backward(noise_act_->backward(dz.view({n, F * 49}), true), false);
    embed_->backward(label_linear_->backward(dl.view({n, 49}), true), false);
  }

  std::vector<LayerInfo> layers() const override {
    std::vector<LayerInfo> v;
    v.push_back(embed_->info({1}));
    v.push_back(label_linear_->info({c_.label_dim}));
    v.push_back({"label_reshape", "Reshape", {1, 7, 7}, 0});
    v.push_back(noise_linear_->info({c_.latent_dim}));
    LayerInfo a = noise_act_->info({c_.generator_input_filters * 49});
    a.name = "noise_act";
    v.push_back(a);
    v.push_back({"noise_reshape", "Reshape", {c_.generator_input_filters, 7, 7}, 0});
    v.push_back({"concat", "Concat(noise, label)", {c_.generator_input_filters + 1, 7, 7}, 0});
    up_.info({c_.generator_input_filters + 1, 7, 7}, &v);
    return v;
  }

 private:
  Ops& ops() { return ps_.ops(); }
  ModelConfig c_;
  int cap_;
  std::unique_ptr<Embedding> embed_;
  std::unique_ptr<Linear> label_linear_, noise_linear_;
  std::unique_ptr<Activation> noise_act_;
  Sequential up_;
  Tensor concat_, dlabel_, dnoise_;
};

// D: per entry f of conv_filters: [Conv(f, k3 s2 p1), Conv(f, k3 s1 p1)] (no biases), each conv
// followed by BN → LeakyReLU → Dropout; flatten → Linear(1) (real/fake) and Linear(num_classes).
class AcGanDiscriminator final : public Discriminator {
 public:
  AcGanDiscriminator(Ops& ops, const ModelConfig& c, int cap, uint64_t seed) : Discriminator(ops), c_(c) {
    int in = c.channels, idx = 0, size = c.image_size;
    for (int f : c.conv_filters) {
      for (int s : {2, 1}) {
        std::string k = std::to_string(idx);
        trunk_.add<Conv>("conv." + k, ps_, "conv." + k, false, in, f, 3, s, 1, !c.batchnorm, cap);
        if (c.batchnorm) folded_.push_back({"conv." + k + ".bias", "bn." + k + ".running_mean"});
        if (c.batchnorm && c.fuse_bn_act) {
          trunk_.add<BnActDropout>("bn." + k, ps_, "bn." + k, "act." + k, "drop." + k, f, c.bn_momentum, c.bn_eps,
                                   c.leaky_alpha, c.dropout, seed, 16 + idx, &phase_, cap);
        } else {
          if (c.batchnorm) trunk_.add<BatchNorm>("bn." + k, ps_, "bn." + k, f, c.bn_momentum, c.bn_eps, cap);
          trunk_.add<Activation>("act." + k, ops, Act::LeakyRelu, c.leaky_alpha, cap);
          trunk_.add<Dropout>("drop." + k, ops, c.dropout, seed, 16 + idx, &phase_, cap);
        }
        in = f;
        ++idx;
      }
      size = (size + 1) / 2;
    }
    features_ = in * size * size;
    adv_ = std::make_unique<Linear>(ps_, "head_adv", features_, 1, true, cap);
    cls_ = std::make_unique<Linear>(ps_, "head_class", features_, c.num_classes, true, cap);
    dfeat_ = Tensor(ops, {cap, features_});
  }

  void forward(const Tensor& images, Mode mode, Tensor* adv, Tensor* cls) override {
    int n = images.dim(0);
    Tensor h = trunk_.forward(images, mode);
    trunk_shape_ = h.shape();
    Tensor flat = h.view({n, features_});
    *adv = adv_->forward(flat, mode);
    *cls = cls_->forward(flat, mode);
  }

  Tensor backward(const Tensor& dadv, const Tensor& dcls, bool need_dimages) override {
    int n = dadv.dim(0);
    // Both heads read the same features: their input gradients add.
    Tensor d1 = adv_->backward(dadv, true);
    Tensor d2 = cls_->backward(dcls, true);
    Tensor df = dfeat_.first(n);
    ps_.ops().copy_device(df.f32(), d1.f32(), d1.bytes());
    ps_.ops().axpy(df.f32(), d2.f32(), d2.numel(), 1.0f);
    return trunk_.backward(df.view(trunk_shape_), need_dimages);
  }

  bool has_class_head() const override { return true; }

  std::vector<LayerInfo> layers() const override {
    std::vector<LayerInfo> v;
    std::vector<int> s = trunk_.info({c_.channels, c_.image_size, c_.image_size}, &v);
    (void)s;
    v.push_back({"flatten", "Flatten", {features_}, 0});
    v.push_back(adv_->info({features_}));
    v.push_back(cls_->info({features_}));
    return v;
  }

 private:
  ModelConfig c_;
  Sequential trunk_;
  int features_ = 0;
  std::vector<int> trunk_shape_;
  std::unique_ptr<Linear> adv_, cls_;
  Tensor dfeat_;
};

// ---------------------------------------------------------------- dcgan64
// Layer indices follow the PyTorch example's nn.Sequential, so names match (main.0.weight, ...).

class DcGanGenerator final : public Generator {
 public:
  DcGanGenerator(Ops& ops, const ModelConfig& c, int cap) : Generator(ops), c_(c) {
    int g = c.ngf;
    int widths[] = {g * 8, g * 4, g * 2, g};
    int in = c.latent_dim, idx = 0;
    for (int i = 0; i < 4; ++i) {
      std::string k = std::to_string(idx);
      main_.add<Conv>("main." + k, ps_, "main." + k, true, in, widths[i], 4, i == 0 ? 1 : 2, i == 0 ? 0 : 1, false, cap);
      std::string b = std::to_string(idx + 1);
      auto& bn = main_.add<BatchNorm>("main." + b, ps_, "main." + b, widths[i], c.bn_momentum, c.bn_eps, cap);
      (void)bn;
      main_.add<Activation>("main." + std::to_string(idx + 2), ops, Act::Relu, 0.0f, cap);
      in = widths[i];
      idx += 3;
    }
    main_.add<Conv>("main.12", ps_, "main.12", true, in, c.channels, 4, 2, 1, false, cap);
    main_.add<Activation>("main.13", ops, Act::Tanh, 0.0f, cap);
    // PyTorch's example initialises BatchNorm weights N(1, 0.02).
    for (auto& p : ps_.params())
      if (p->init == Param::Init::Ones) p->init = Param::Init::NormalAroundOne;
  }
  Tensor forward(const Tensor& noise, const Tensor&, Mode mode) override {
    return main_.forward(noise.view({noise.dim(0), c_.latent_dim, 1, 1}), mode);
  }
  void backward(const Tensor& dimages) override { main_.backward(dimages, false); }
  std::vector<LayerInfo> layers() const override {
    std::vector<LayerInfo> v;
    main_.info({c_.latent_dim, 1, 1}, &v);
    return v;
  }

 private:
  ModelConfig c_;
  Sequential main_;
};

class DcGanDiscriminator final : public Discriminator {
 public:
  DcGanDiscriminator(Ops& ops, const ModelConfig& c, int cap) : Discriminator(ops), c_(c) {
    int d = c.ndf;
    main_.add<Conv>("main.0", ps_, "main.0", false, c.channels, d, 4, 2, 1, false, cap);
    main_.add<Activation>("main.1", ops, Act::LeakyRelu, 0.2f, cap);
    int in = d, idx = 2;
    for (int w : {d * 2, d * 4, d * 8}) {
      std::string k = std::to_string(idx), b = std::to_string(idx + 1);
      main_.add<Conv>("main." + k, ps_, "main." + k, false, in, w, 4, 2, 1, false, cap);
      if (c.fuse_bn_act) {
        main_.add<BnActDropout>("main." + b, ps_, "main." + b, "main." + std::to_string(idx + 2), "", w,
                                c.bn_momentum, c.bn_eps, 0.2f, 0.0f, 0, 0, &phase_, cap);
      } else {
        main_.add<BatchNorm>("main." + b, ps_, "main." + b, w, c.bn_momentum, c.bn_eps, cap);
        main_.add<Activation>("main." + std::to_string(idx + 2), ops, Act::LeakyRelu, 0.2f, cap);
      }
      in = w;
      idx += 3;
    }
    main_.add<Conv>("main.11", ps_, "main.11", false, in, 1, 4, 1, 0, false, cap);
    for (auto& p : ps_.params())
      if (p->init == Param::Init::Ones) p->init = Param::Init::NormalAroundOne;
  }
  void forward(const Tensor& images, Mode mode, Tensor* adv, Tensor* cls) override {
    Tensor y = main_.forward(images, mode);
    *adv = y.view({images.dim(0), 1});
    *cls = Tensor();
  }
  Tensor backward(const Tensor& dadv, const Tensor&, bool need_dimages) override {
    return main_.backward(dadv.view({dadv.dim(0), 1, 1, 1}), need_dimages);
  }
  bool has_class_head() const override { return false; }
  std::vector<LayerInfo> layers() const override {
    std::vector<LayerInfo> v;
    main_.info({c_.channels, c_.image_size, c_.image_size}, &v);
    v.push_back({"(sigmoid in the loss)", "BCEWithLogits", {1}, 0});
    return v;
  }

 private:
  ModelConfig c_;
  Sequential main_;
};

}  // namespace

namespace {
// The architecture's model (ACGAN or DCGAN), its weights initialised from `seed` mixed with `salt`.
template <class Base, class AcGan, class DcGan>
std::unique_ptr<Base> make_model(Ops& ops, const ModelConfig& cfg, int capacity, uint64_t seed, uint64_t salt) {
  validate_model_config(cfg);
  std::unique_ptr<Base> m;
  if (cfg.arch == "acgan28") m = std::make_unique<AcGan>(ops, cfg, capacity, seed);
  else m = std::make_unique<DcGan>(ops, cfg, capacity);
  m->params().initialise(seed ^ salt, cfg.init_std);
  return m;
}
}  // namespace

std::unique_ptr<Generator> make_generator(Ops& ops, const ModelConfig& cfg, int capacity, uint64_t seed) {
  return make_model<Generator, AcGanGenerator, DcGanGenerator>(ops, cfg, capacity, seed, 0x47656e65ULL /* "Gene" */);
}

std::unique_ptr<Discriminator> make_discriminator(Ops& ops, const ModelConfig& cfg, int capacity, uint64_t seed) {
  return make_model<Discriminator, AcGanDiscriminator, DcGanDiscriminator>(ops, cfg, capacity, seed,
                                                                           0x44697363ULL /* "Disc" */);
}

std::string model_summary(const Model& m, const std::vector<int>& input_desc) {
  std::ostringstream o;
  auto rows = m.layers();
  char line[256];
  snprintf(line, sizeof line, "%-16s %-37s %-16s %12s\n", "layer", "kind", "output", "params");
  o << line;
  int64_t total = 0;
  for (auto& r : rows) {
    snprintf(line, sizeof line, "%-16s %-37s %-16s %12lld\n", r.name.c_str(), r.kind.c_str(),
             shape_str(r.out_shape).c_str(), (long long)r.params);
    o << line;
    total += r.params;
  }
  snprintf(line, sizeof line, "%s: %lld trainable parameters (%.2f MB float32), input %s\n", m.name().c_str(),
           (long long)total, total * 4.0 / 1e6, shape_str(input_desc).c_str());
  o << line;
  return o.str();
}

}  // namespace gan
