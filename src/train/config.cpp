#include "config.h"

#include <stdexcept>

namespace gan {

static Json int_list(const std::vector<int>& v) {
  Json a = Json::array();
  for (int x : v) a.push(x);
  return a;
}

Json model_config_json(const ModelConfig& m) {
  Json j = Json::object();
  j.set("model", m.arch);
  j.set("image_size", m.image_size);
  j.set("channels", m.channels);
  j.set("num_classes", m.num_classes);
  j.set("latent_dim", m.latent_dim);
  j.set("label_dim", m.label_dim);
  j.set("conv_filters", int_list(m.conv_filters));
  j.set("conv_transpose_filters", int_list(m.conv_transpose_filters));
  j.set("generator_input_filters", m.generator_input_filters);
  j.set("leaky_relu_alpha", m.leaky_alpha);
  j.set("dropout_rate", m.dropout);
  j.set("kernel_init_stddev", m.init_std);
  j.set("batchnorm", m.batchnorm);
  j.set("ngf", m.ngf);
  j.set("ndf", m.ndf);
  j.set("bn_momentum", m.bn_momentum);
  j.set("bn_eps", m.bn_eps);
  return j;
}

ModelConfig model_config_from_json(const Json& j) {
  ModelConfig m;
  auto list = [](const Json& a) {
    std::vector<int> v;
    for (auto& x : a.items()) v.push_back((int)x.as_int());
    return v;
  };
  m.arch = j.at("model").as_string();
  m.image_size = (int)j.at("image_size").as_int();
  m.channels = (int)j.at("channels").as_int();
  m.num_classes = (int)j.at("num_classes").as_int();
  m.latent_dim = (int)j.at("latent_dim").as_int();
  m.label_dim = (int)j.at("label_dim").as_int();
  m.conv_filters = list(j.at("conv_filters"));
  m.conv_transpose_filters = list(j.at("conv_transpose_filters"));
  m.generator_input_filters = (int)j.at("generator_input_filters").as_int();
  m.leaky_alpha = (float)j.at("leaky_relu_alpha").as_double();
  m.dropout = (float)j.at("dropout_rate").as_double();
  m.init_std = (float)j.at("kernel_init_stddev").as_double();
  m.batchnorm = j.at("batchnorm").as_bool();
  m.ngf = (int)j.at("ngf").as_int();
  m.ndf = (int)j.at("ndf").as_int();
  m.bn_momentum = (float)j.at("bn_momentum").as_double();
  m.bn_eps = (float)j.at("bn_eps").as_double();
  return m;
}

Json train_config_json(const TrainConfig& c) {
  Json j = model_config_json(c.model);
  j.set("batch_size", c.batch);
  j.set("epochs", c.epochs);
  j.set("eval_freq", c.evalfreq);
  j.set("eval_samples", c.eval_samples);
  j.set("quality_samples", c.quality_samples);
  j.set("subset", c.subset);
  j.set("shuffle", c.shuffle);
  j.set("seed", (long long)c.seed);
  j.set("adam_learning_rate", c.adam.lr);
  j.set("adam_beta1", c.adam.beta1);
  j.set("adam_beta2", c.adam.beta2);
  j.set("adam_eps", c.adam.eps);
  j.set("dataset", c.dataset);
  return j;
}

TrainConfig train_config_from_json(const Json& j) {
  TrainConfig c;
  c.model = model_config_from_json(j);
  c.batch = (int)j.at("batch_size").as_int();
  c.epochs = (int)j.at("epochs").as_int();
  c.evalfreq = (int)j.at("eval_freq").as_int();
  c.eval_samples = (int)j.at("eval_samples").as_int();
  c.subset = (int)j.at("subset").as_int();
  c.shuffle = j.at("shuffle").as_bool();
  c.seed = (uint64_t)j.at("seed").as_int();
  c.adam.lr = (float)j.at("adam_learning_rate").as_double();
  c.adam.beta1 = (float)j.at("adam_beta1").as_double();
  c.adam.beta2 = (float)j.at("adam_beta2").as_double();
  c.adam.eps = (float)j.at("adam_eps").as_double();
  if (const Json* d = j.find("dataset")) c.dataset = d->as_string();
  // Files written before the quality metrics existed have no such key: those runs had none.
  const Json* q = j.find("quality_samples");
  c.quality_samples = q ? (int)q->as_int() : 0;
  return c;
}

}  // namespace gan
