#include "config.h"

#include <stdexcept>

namespace gan {

namespace {

// Every saved setting once: its key and its field. The writer and the reader below walk the same
// list, so the file's keys (and their order) and what is read back cannot drift apart.
template <class Io>
void model_fields(Io& io, ModelConfig& m) {
  io("model", m.arch);
  io("image_size", m.image_size);
  io("channels", m.channels);
  io("num_classes", m.num_classes);
  io("latent_dim", m.latent_dim);
  io("label_dim", m.label_dim);
  io("conv_filters", m.conv_filters);
  io("conv_transpose_filters", m.conv_transpose_filters);
  io("generator_input_filters", m.generator_input_filters);
  io("leaky_relu_alpha", m.leaky_alpha);
  io("dropout_rate", m.dropout);
  io("kernel_init_stddev", m.init_std);
  io("batchnorm", m.batchnorm);
  io("ngf", m.ngf);
  io("ndf", m.ndf);
  io("bn_momentum", m.bn_momentum);
  io("bn_eps", m.bn_eps);
}

template <class Io>
void train_fields(Io& io, TrainConfig& c) {
  model_fields(io, c.model);
  io("batch_size", c.batch);
  io("epochs", c.epochs);
  io("eval_freq", c.evalfreq);
  io("eval_samples", c.eval_samples);
  // Files written before the quality metrics existed have no such key: those runs had none.
  io.optional("quality_samples", c.quality_samples, 0);
  io("subset", c.subset);
  io("shuffle", c.shuffle);
  io("seed", c.seed);
  io("adam_learning_rate", c.adam.lr);
  io("adam_beta1", c.adam.beta1);
  io("adam_beta2", c.adam.beta2);
  io("adam_eps", c.adam.eps);
  io.optional("dataset", c.dataset, c.dataset);
}

struct Writer {
  Json& j;
  template <class T>
  void operator()(const char* key, const T& v) { j.set(key, v); }
  void operator()(const char* key, uint64_t v) { j.set(key, (long long)v); }
  void operator()(const char* key, const std::vector<int>& v) {
    Json a = Json::array();
    for (int x : v) a.push(x);
    j.set(key, a);
  }
  template <class T>
  void optional(const char* key, const T& v, const T&) { (*this)(key, v); }
};

struct Reader {
  const Json& j;
  void get(const Json& v, int& x) { x = (int)v.as_int(); }
  void get(const Json& v, uint64_t& x) { x = (uint64_t)v.as_int(); }
  void get(const Json& v, float& x) { x = (float)v.as_double(); }
  void get(const Json& v, bool& x) { x = v.as_bool(); }
  void get(const Json& v, std::string& x) { x = v.as_string(); }
  void get(const Json& v, std::vector<int>& x) {
    x.clear();
    for (auto& e : v.items()) x.push_back((int)e.as_int());
  }
  template <class T>
  void operator()(const char* key, T& x) { get(j.at(key), x); }
  template <class T>
  void optional(const char* key, T& x, const T& absent) {
    if (const Json* v = j.find(key)) get(*v, x);
    else x = absent;
  }
};

}  // namespace

Json model_config_json(const ModelConfig& m) {
  Json j = Json::object();
  Writer w{j};
  ModelConfig copy = m;
  model_fields(w, copy);
  return j;
}

ModelConfig model_config_from_json(const Json& j) {
  ModelConfig m;
  Reader r{j};
  model_fields(r, m);
  return m;
}

Json train_config_json(const TrainConfig& c) {
  Json j = Json::object();
  Writer w{j};
  TrainConfig copy = c;
  train_fields(w, copy);
  j.set("precision", precision_name(c.precision));
  return j;
}

TrainConfig train_config_from_json(const Json& j) {
  TrainConfig c;
  Reader r{j};
  train_fields(r, c);
  // Runs written before the precision was recorded trained in fp32.
  if (const Json* p = j.find("precision")) {
    if (!parse_precision(p->as_string(), &c.precision))
      throw std::invalid_argument("precision: expected fp32, tf32 or bf16, got '" + p->as_string() + "'");
  }
  return c;
}

}  // namespace gan
