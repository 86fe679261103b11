#include "checkpoint.h"

#include <cmath>
#include <stdexcept>

namespace gan {

namespace {

std::vector<int64_t> shape64(const Tensor& t) { return std::vector<int64_t>(t.shape().begin(), t.shape().end()); }

void add_model(safetensors::File& f, Model& m, const std::string& prefix, bool with_adam) {
  ParamSet& ps = m.params();
  for (auto& p : ps.params()) {
    f.add_f32(prefix + p->name, shape64(p->value), p->value.to_host().data());
    if (with_adam) {
      f.add_f32(prefix + "adam_m." + p->name, shape64(p->m), p->m.to_host().data());
      f.add_f32(prefix + "adam_v." + p->name, shape64(p->v), p->v.to_host().data());
    }
  }
  for (auto& [name, t] : ps.buffers()) f.add_f32(prefix + name, shape64(t), t.to_host().data());
  int64_t tracked = ps.batches_tracked;
  for (auto& name : ps.counters()) f.add_i64(prefix + name, {}, &tracked);
}

void copy_in(Tensor& t, const safetensors::File& f, const std::string& name, const std::string& source) {
  const safetensors::Tensor* s = f.find(name);
  if (!s)
    throw std::runtime_error(source + ": no tensor '" + name +
                             "': the file was made by a different model or configuration");
  std::vector<int64_t> want = shape64(t);
  if (s->shape != want) {
    std::string a = "[", b = "[";
    for (size_t i = 0; i < s->shape.size(); ++i) a += (i ? "," : "") + std::to_string(s->shape[i]);
    for (size_t i = 0; i < want.size(); ++i) b += (i ? "," : "") + std::to_string(want[i]);
    throw std::runtime_error(source + ": tensor '" + name + "' has shape " + a + "] but the model expects " + b +
                             "]: the file was made by a different model or configuration");
  }
  t.from_host(f.f32(name));
}

// History tables: one row per mini-batch / evaluation, float32 (steps stay exact below 2^24).
enum { HEpoch, HEpochs, HBatch, HBatches, HStep, HDr, HDf, HG, HC, HAr, HAf, HAc, HSec, HCols };
enum { EEpoch, EEpochs, EDr, EDf, EG, EC, EAr, EAf, EAc, EElapsed, EIps, ECols };

}  // namespace

void save_generator(const std::string& path, Generator& g, const TrainConfig& cfg, int epoch, int64_t step) {
  safetensors::File f;
  add_model(f, g, "", false);
  f.metadata["format"] = "gan-generator";
  f.metadata["config"] = train_config_json(cfg).dump(-1);
  f.metadata["epoch"] = std::to_string(epoch);
  f.metadata["step"] = std::to_string(step);
  safetensors::save(path, f);
}

safetensors::File read_model_file(const std::string& path, TrainConfig* cfg) {
  safetensors::File f = safetensors::load(path);
  auto it = f.metadata.find("config");
  if (it == f.metadata.end())
    throw std::runtime_error(path + ": not a gan generator or checkpoint file (its metadata has no 'config'); "
                             "pass a generator.safetensors from a run's epoch folder or a checkpoint/state.safetensors");
  try {
    TrainConfig read = train_config_from_json(Json::parse(it->second, path + " metadata"));
    if (cfg) *cfg = read;
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": its configuration cannot be read (" + e.what() + ")");
  }
  return f;
}

void load_model(Model& m, const safetensors::File& f, const std::string& prefix, bool with_adam,
                const std::string& source) {
  ParamSet& ps = m.params();
  for (auto& p : ps.params()) {
    copy_in(p->value, f, prefix + p->name, source);
    if (with_adam) {
      copy_in(p->m, f, prefix + "adam_m." + p->name, source);
      copy_in(p->v, f, prefix + "adam_v." + p->name, source);
    }
  }
  for (auto& [name, t] : ps.buffers()) copy_in(t, f, prefix + name, source);
  // Files written while the convs before BatchNorm still had biases: running_mean tracked the
  // mean of conv(x) + b, so running_mean − b is what the bias-free conv needs for the same eval
  // output (models.cpp). Their Adam moments are dropped with them.
  for (const Model::FoldedBias& fb : m.folded_biases()) {
    const safetensors::Tensor* b = f.find(prefix + fb.bias);
    if (!b) continue;
    Tensor* mean = nullptr;
    for (auto& [name, t] : ps.buffers())
      if (name == fb.running_mean) mean = &t;
    if (!mean) throw std::logic_error("load_model: no buffer " + fb.running_mean + " to fold " + fb.bias + " into");
    if (b->shape != shape64(*mean))
      throw std::runtime_error(source + ": tensor '" + prefix + fb.bias + "' does not match '" + prefix +
                               fb.running_mean + "' in shape: the file was made by a different model or configuration");
    std::vector<float> rm = mean->to_host();
    const std::vector<float> bias = f.f32(prefix + fb.bias);
    for (size_t i = 0; i < rm.size(); ++i) rm[i] -= bias[i];
    mean->from_host(rm);
  }
}

void save_checkpoint(const std::string& path, GanTrainer& t, const CheckpointState& s) {
  safetensors::File f;
  add_model(f, t.generator(), "G.", true);
  add_model(f, t.discriminator(), "D.", true);
  std::vector<float> h(s.history.size() * HCols);
  for (size_t i = 0; i < s.history.size(); ++i) {
    const BatchRow& r = s.history[i];
    float* o = &h[i * HCols];
    o[HEpoch] = r.epoch; o[HEpochs] = r.epochs; o[HBatch] = r.batch; o[HBatches] = r.batches;
    o[HStep] = (double)r.step; o[HDr] = r.d_loss_real; o[HDf] = r.d_loss_fake; o[HG] = r.g_loss;
    o[HC] = r.class_loss; o[HAr] = r.d_acc_real; o[HAf] = r.d_acc_fake; o[HAc] = r.class_acc; o[HSec] = r.seconds;
  }
  std::vector<float> e(s.evals.size() * ECols);
  for (size_t i = 0; i < s.evals.size(); ++i) {
    const EvalRow& r = s.evals[i];
    float* o = &e[i * ECols];
    o[EEpoch] = r.epoch; o[EEpochs] = r.epochs; o[EDr] = r.d_loss_real; o[EDf] = r.d_loss_fake; o[EG] = r.g_loss;
    o[EC] = r.class_loss; o[EAr] = r.real_acc; o[EAf] = r.fake_acc; o[EAc] = r.class_acc; o[EElapsed] = r.elapsed;
    o[EIps] = r.images_per_sec;
  }
  f.add_f32("history", {(int64_t)s.history.size(), HCols}, h.data());
  f.add_f32("evals", {(int64_t)s.evals.size(), ECols}, e.data());
  f.metadata["format"] = "gan-checkpoint";
  f.metadata["config"] = train_config_json(t.config()).dump(-1);
  f.metadata["run_id"] = s.run_id;
  f.metadata["epoch"] = std::to_string(s.epoch);
  f.metadata["step"] = std::to_string(s.step);
  char buf[64];
  snprintf(buf, sizeof buf, "%.17g", s.elapsed);
  f.metadata["elapsed"] = buf;
  safetensors::save(path, f);
}

CheckpointState load_checkpoint(const safetensors::File& f, GanTrainer& t, const std::string& source) {
  auto meta = [&](const char* k) {
    auto it = f.metadata.find(k);
    if (it == f.metadata.end())
      throw std::runtime_error(source + ": not a gan checkpoint (metadata has no '" + k + "')");
    return it->second;
  };
  if (meta("format") != "gan-checkpoint")
    throw std::runtime_error(source + ": this is a " + meta("format") + " file, not a training checkpoint");
  CheckpointState s;
  s.run_id = meta("run_id");
  s.epoch = std::stoi(meta("epoch"));
  s.step = std::stoll(meta("step"));
  s.elapsed = std::stod(meta("elapsed"));
  load_model(t.generator(), f, "G.", true, source);
  load_model(t.discriminator(), f, "D.", true, source);
  t.set_step(s.step);
  std::vector<float> h = f.f32("history"), e = f.f32("evals");
  if (h.size() % HCols || e.size() % ECols) throw std::runtime_error(source + ": history tables have the wrong width");
  for (size_t i = 0; i < h.size() / HCols; ++i) {
    const float* o = &h[i * HCols];
    BatchRow r;
    r.epoch = (int)o[HEpoch]; r.epochs = (int)o[HEpochs]; r.batch = (int)o[HBatch]; r.batches = (int)o[HBatches];
    r.step = (int64_t)o[HStep]; r.d_loss_real = (float)o[HDr]; r.d_loss_fake = (float)o[HDf]; r.g_loss = (float)o[HG];
    r.class_loss = (float)o[HC]; r.d_acc_real = (float)o[HAr]; r.d_acc_fake = (float)o[HAf];
    r.class_acc = (float)o[HAc]; r.seconds = (float)o[HSec];
    s.history.push_back(r);
  }
  for (size_t i = 0; i < e.size() / ECols; ++i) {
    const float* o = &e[i * ECols];
    EvalRow r;
    r.epoch = (int)o[EEpoch]; r.epochs = (int)o[EEpochs]; r.d_loss_real = (float)o[EDr]; r.d_loss_fake = (float)o[EDf];
    r.g_loss = (float)o[EG]; r.class_loss = (float)o[EC]; r.real_acc = (float)o[EAr]; r.fake_acc = (float)o[EAf];
    r.class_acc = (float)o[EAc]; r.elapsed = o[EElapsed]; r.images_per_sec = o[EIps];
    s.evals.push_back(r);
  }
  return s;
}

}  // namespace gan
