#include "cli.h"

#include "common/monitor_token.h"


#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <functional>
#include <sstream>

#include "common/atomic_file.h"
#include "common/fs.h"
#include "common/text.h"

namespace gan {

namespace {

struct Flag {
  std::vector<std::string> names;  // first = canonical
  const char* arg;                 // value placeholder for --help; nullptr = no value
  const char* help;
  std::function<void(CliOptions&, const std::string&)> set;
  bool optional_value = false;     // a bool switch that may take =true/=false
};

int to_int(const std::string& flag, const std::string& v, long lo, long hi) {
  errno = 0;
  char* end = nullptr;
  long x = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || errno)
    throw CliError(flag + ": expected an integer, got '" + v + "'");
  if (x < lo || x > hi)
    throw CliError(flag + ": " + v + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
  return (int)x;
}

float to_float(const std::string& flag, const std::string& v, double lo, double hi, bool lo_open = false) {
  errno = 0;
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end || errno || !std::isfinite(x)) throw CliError(flag + ": expected a number, got '" + v + "'");
  if (x < lo || x > hi || (lo_open && x == lo)) {
    std::ostringstream o;
    o << flag << ": " << v << " is out of range (" << (lo_open ? "(" : "[") << lo << ", " << hi << "])";
    throw CliError(o.str());
  }
  return (float)x;
}

bool to_bool(const std::string& flag, const std::string& v) {
  if (v.empty() || v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  throw CliError(flag + ": expected true or false, got '" + v + "'");
}

std::vector<int> to_int_list(const std::string& flag, const std::string& v, long lo, long hi) {
  std::vector<int> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(to_int(flag, item, lo, hi));
  if (out.empty()) throw CliError(flag + ": expected a comma-separated list of integers, got '" + v + "'");
  return out;
}

// The token from --monitor-token or GAN_MONITOR_TOKEN (`source`), checked (see monitor_token.h).
std::string checked_token(const std::string& source, const std::string& v) {
  const std::string problem = token_problem(v);
  if (!problem.empty()) throw CliError(source + ": " + problem);
  return v;
}

// The token in `path` (one line; surrounding whitespace and the newline are dropped), checked.
std::string token_from_file(const std::string& path) {
  const std::string flag = "--monitor-token-file";
  std::ifstream f(path, std::ios::binary);
  if (!f) throw CliError(flag + ": cannot read " + path + " (" + std::strerror(errno) + "); write the token into it, e.g. openssl rand -hex 16 > " + path);
  std::string t((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (t.size() > 4096) throw CliError(flag + ": " + path + " is longer than a token; it should hold one line");
  t = trim(t);
  if (t.empty()) throw CliError(flag + ": " + path + " is empty; write the token into it, e.g. openssl rand -hex 16 > " + path);
  const std::string problem = token_problem(t);
  if (!problem.empty()) throw CliError(flag + ": " + path + ": " + problem);
  return t;
}

void set_mode(CliOptions& o, CliOptions::Mode m, const std::string& flag) {
  if (o.mode != CliOptions::Mode::None && o.mode != m)
    throw CliError(flag + ": only one of --train, --summary, --generate/--inference, --evaluate, --monitor, --presign at a time");
  o.mode = m;
}

const std::vector<Flag>& flags() {
  using M = CliOptions::Mode;
  static const std::vector<Flag> f = {
      // modes
      {{"--train"}, nullptr, "train a model (the default configuration is the reference system's)",
       [](CliOptions& o, const std::string&) { set_mode(o, M::Train, "--train"); }},
      {{"--summary"}, nullptr, "print each layer's output shape and parameter count, and the totals",
       [](CliOptions& o, const std::string&) { set_mode(o, M::Summary, "--summary"); }},
      {{"--generate", "--inference"}, nullptr, "write a grid of generated images from a checkpoint (see --checkpoint)",
       [](CliOptions& o, const std::string&) { set_mode(o, M::Generate, "--generate"); }},
      {{"--evaluate"}, "RUN",
       "compute the quality metrics (FD, class agreement, precision, recall) of every evaluation epoch of RUN "
       "(a run id in --out, or a run folder) and store them in its summary.json files and best.json",
       [](CliOptions& o, const std::string& v) {
         set_mode(o, M::Evaluate, "--evaluate");
         o.evaluate_run = v;
       }},
      {{"--monitor"}, nullptr, "serve the monitoring page for the runs in --storage (no training)",
       [](CliOptions& o, const std::string&) { set_mode(o, M::Monitor, "--monitor"); }},
      {{"--presign"}, "URL",
       "print a presigned download URL for an object (s3://bucket/key, gs://bucket/key, az://account/container/key)",
       [](CliOptions& o, const std::string& v) {
         set_mode(o, M::Presign, "--presign");
         o.presign_url = v;
       }},
      {{"--help", "-h"}, nullptr, "this help", [](CliOptions& o, const std::string&) { o.mode = M::Help; }},
      // training
      {{"--epochs", "-e"}, "N", "epochs to train (100)",
       [](CliOptions& o, const std::string& v) { o.cfg.epochs = to_int("--epochs", v, 1, 1000000); }},
      {{"--batchsize", "-b", "--batch-size"}, "N", "mini-batch size B, even; each D step sees B/2 (128)",
       [](CliOptions& o, const std::string& v) {
         o.cfg.batch = to_int("--batchsize", v, 2, 65536);
         if (o.cfg.batch % 2) throw CliError("--batchsize: must be even (each D step sees half), got " + v);
       }},
      {{"--evalfreq", "-v", "--eval-freq"}, "N", "evaluate and write artifacts every N epochs (10)",
       [](CliOptions& o, const std::string& v) { o.cfg.evalfreq = to_int("--evalfreq", v, 1, 1000000); }},
      {{"--eval-samples"}, "N", "real and generated samples per evaluation (150)",
       [](CliOptions& o, const std::string& v) { o.cfg.eval_samples = to_int("--eval-samples", v, 1, 100000); }},
      {{"--quality-samples"}, "N",
       "generated and held-out real images per evaluation epoch for the quality metrics (10000; CPU preset 1000; 0: off)",
       [](CliOptions& o, const std::string& v) { o.cfg.quality_samples = to_int("--quality-samples", v, 0, 1000000); }},
      {{"--subset", "-s"}, "N", "train on N images only (0 = all)",
       [](CliOptions& o, const std::string& v) { o.cfg.subset = to_int("--subset", v, 0, 1 << 30); }},
      {{"--seed"}, "N", "random seed; the same seed gives the same run (1)",
       [](CliOptions& o, const std::string& v) { o.cfg.seed = (uint64_t)to_int("--seed", v, 0, 2147483647); }},
      {{"--shuffle"}, nullptr, "shuffled epochs (default); --shuffle=false draws real batches with replacement",
       [](CliOptions& o, const std::string& v) { o.cfg.shuffle = to_bool("--shuffle", v); }, true},
      {{"--adamLearningRate", "--adam-learning-rate", "--lr"}, "X", "Adam learning rate (0.0002)",
       [](CliOptions& o, const std::string& v) { o.cfg.adam.lr = to_float("--adamLearningRate", v, 0, 10, true); }},
      {{"--adamBeta1", "--adam-beta1"}, "X", "Adam beta1 (0.5)",
       [](CliOptions& o, const std::string& v) { o.cfg.adam.beta1 = to_float("--adamBeta1", v, 0, 0.999999); }},
      {{"--adam-beta2"}, "X", "Adam beta2 (0.999)",
       [](CliOptions& o, const std::string& v) { o.cfg.adam.beta2 = to_float("--adam-beta2", v, 0, 0.999999); }},
      // model
      {{"--model"}, "NAME", "acgan28 (default) or dcgan64",
       [](CliOptions& o, const std::string& v) {
         if (v != "acgan28" && v != "dcgan64") throw CliError("--model: unknown model '" + v + "' (acgan28 or dcgan64)");
         o.cfg.model.arch = v;
         o.cfg.model.image_size = v == "acgan28" ? 28 : 64;
       }},
      {{"--latentDim", "-d", "--latent-dim"}, "N", "noise dimensions (100)",
       [](CliOptions& o, const std::string& v) { o.cfg.model.latent_dim = to_int("--latentDim", v, 1, 65536); }},
      {{"--labelDim", "-l", "--label-dim"}, "N", "label embedding dimensions (50)",
       [](CliOptions& o, const std::string& v) { o.cfg.model.label_dim = to_int("--labelDim", v, 1, 65536); }},
      {{"--convFilters", "--conv-filters"}, "A,B", "discriminator block widths (128,128)",
       [](CliOptions& o, const std::string& v) { o.cfg.model.conv_filters = to_int_list("--convFilters", v, 1, 8192); }},
      {{"--convTransposeFilters", "--conv-transpose-filters"}, "A,B", "generator block widths (128,128)",
       [](CliOptions& o, const std::string& v) {
         o.cfg.model.conv_transpose_filters = to_int_list("--convTransposeFilters", v, 1, 8192);
       }},
      {{"--generatorInputFilters", "--generator-input-filters"}, "N", "generator 7×7 input maps from the noise (128)",
       [](CliOptions& o, const std::string& v) {
         o.cfg.model.generator_input_filters = to_int("--generatorInputFilters", v, 1, 8192);
       }},
      {{"--kernelInitStdDev", "--kernel-init-stddev"}, "X", "weight init standard deviation (0.02)",
       [](CliOptions& o, const std::string& v) { o.cfg.model.init_std = to_float("--kernelInitStdDev", v, 0, 10, true); }},
      {{"--leakyReluAlpha", "--leaky-relu-alpha"}, "X", "LeakyReLU slope (0.2)",
       [](CliOptions& o, const std::string& v) { o.cfg.model.leaky_alpha = to_float("--leakyReluAlpha", v, 0, 1); }},
      {{"--dropoutRate", "--dropout-rate"}, "X", "dropout rate (0.4)",
       [](CliOptions& o, const std::string& v) { o.cfg.model.dropout = to_float("--dropoutRate", v, 0, 0.99); }},
      {{"--batchNorm", "--batchnorm"}, nullptr, "batch normalisation on (default); --batchNorm=false or --no-batchnorm turns it off",
       [](CliOptions& o, const std::string& v) { o.cfg.model.batchnorm = to_bool("--batchNorm", v); }, true},
      {{"--unfused-bn"}, nullptr, "run BatchNorm, LeakyReLU and dropout as three ops (default: one fused op; the same results)",
       [](CliOptions& o, const std::string&) { o.cfg.model.fuse_bn_act = false; }},
      {{"--no-batchnorm"}, nullptr, "batch normalisation off",
       [](CliOptions& o, const std::string&) { o.cfg.model.batchnorm = false; }},
      {{"--channels"}, "N", "image channels, 1 or 3 (1; dcgan64 on colour data: 3)",
       [](CliOptions& o, const std::string& v) { o.cfg.model.channels = to_int("--channels", v, 1, 3); }},
      {{"--ngf"}, "N", "dcgan64 generator width (64)",
       [](CliOptions& o, const std::string& v) { o.cfg.model.ngf = to_int("--ngf", v, 1, 4096); }},
      {{"--ndf"}, "N", "dcgan64 discriminator width (64)",
       [](CliOptions& o, const std::string& v) { o.cfg.model.ndf = to_int("--ndf", v, 1, 4096); }},
      // data and device
      {{"--dataset"}, "NAME", "fashion-mnist (default) | mnist | cifar10 | synthetic | idx:DIR | folder:DIR",
       [](CliOptions& o, const std::string& v) {
         bool ok = v == "fashion-mnist" || v == "mnist" || v == "cifar10" || v == "synthetic" ||
                   (v.rfind("idx:", 0) == 0 && v.size() > 4) || (v.rfind("folder:", 0) == 0 && v.size() > 7);
         if (!ok)
           throw CliError("--dataset: unknown dataset '" + v +
                          "' (fashion-mnist, mnist, cifar10, synthetic, idx:DIR or folder:DIR)");
         o.dataset = v;
       }},
      {{"--data-dir"}, "DIR", "where datasets are looked for and downloaded (data)",
       [](CliOptions& o, const std::string& v) { o.data_dir = v; }},
      {{"--no-download"}, nullptr, "never download datasets",
       [](CliOptions& o, const std::string&) { o.download = false; }},
      {{"--device"}, "auto|cpu|cuda", "where to train (auto: CUDA when a GPU is present)",
       [](CliOptions& o, const std::string& v) {
         if (v != "auto" && v != "cpu" && v != "cuda") throw CliError("--device: expected auto, cpu or cuda, got '" + v + "'");
         o.device = v;
       }},
      {{"--threads"}, "N", "CPU threads (all cores)",
       [](CliOptions& o, const std::string& v) { o.threads = to_int("--threads", v, 1, 4096); }},
      {{"--precision"}, "fp32|tf32|bf16",
       "matrix precision (fp32): tf32 or bf16 inputs with fp32 sums, master weights, BatchNorm statistics and "
       "losses; the CPU backend emulates the GPU's rounding",
       [](CliOptions& o, const std::string& v) {
         if (!parse_precision(v, &o.cfg.precision))
           throw CliError("--precision: expected fp32, tf32 or bf16, got '" + v + "'");
       }},
      // output and storage
      {{"--out", "--evalDirLocal", "-o"}, "DIR", "local run folder (eval); with --generate, the PNG to write",
       [](CliOptions& o, const std::string& v) { o.out = v; }},
      {{"--run-id"}, "NAME", "name of the run folder (default: the UTC start time)",
       [](CliOptions& o, const std::string& v) {
         if (v.empty() || v.find('/') != std::string::npos || v == "." || v == "..")
           throw CliError("--run-id: '" + v + "' is not a valid folder name");
         o.run_id = v;
       }},
      {{"--resume"}, "RUN", "continue RUN (a run id in --out, or 'latest') from its last checkpoint",
       [](CliOptions& o, const std::string& v) {
         if (v.empty() || v.find('/') != std::string::npos) throw CliError("--resume: '" + v + "' is not a run id");
         o.resume = v;
         if (o.mode == CliOptions::Mode::None) o.mode = CliOptions::Mode::Train;
       }},
      {{"--resume-if-exists"}, nullptr, "with --run-id: resume that run when it has a checkpoint, else start it",
       [](CliOptions& o, const std::string&) { o.resume_if_exists = true; }},
      {{"--storage"}, "URL", "where runs are kept: a folder, s3://bucket/prefix, az://account/container/prefix, gs://bucket/prefix",
       [](CliOptions& o, const std::string& v) {
         o.storage = v;
         o.azure_reference = false;  // the last storage flag wins, as with -c
       }},
      {{"-c"}, "aws_s3|azure_storage", "the reference system's storage choice (bucket/container gan-training-storage)",
       [](CliOptions& o, const std::string& v) {
         if (v != "aws_s3" && v != "azure_storage") throw CliError("-c: expected aws_s3 or azure_storage, got '" + v + "'");
         // azure_storage: the account comes from the environment, resolved by the storage layer
         // (reference_azure_storage_url in src/storage/azure_storage.h) before anything runs.
         o.azure_reference = v == "azure_storage";
         o.storage = v == "aws_s3" ? "s3://gan-training-storage" : "";
       }},
      {{"--s3-endpoint"}, "URL", "an S3-compatible endpoint (MinIO, Ceph, ...)",
       [](CliOptions& o, const std::string& v) { o.s3_endpoint = v; }},
      {{"--region"}, "NAME", "the bucket's region (else AWS_REGION, the config file, or the instance's)",
       [](CliOptions& o, const std::string& v) { o.region = v; }},
      {{"--azure-endpoint"}, "URL", "the Blob endpoint (Azurite, sovereign clouds)",
       [](CliOptions& o, const std::string& v) { o.azure_endpoint = v; }},
      {{"--upload-timeout"}, "SECONDS", "at the end, how long to wait for uploads still queued (600)",
       [](CliOptions& o, const std::string& v) { o.upload_timeout = to_int("--upload-timeout", v, 0, 86400 * 7); }},
      {{"--expires"}, "SECONDS", "lifetime of a --presign URL (3600)",
       [](CliOptions& o, const std::string& v) { o.expires = to_int("--expires", v, 1, 604800); }},
      // monitor
      {{"--no-monitor"}, nullptr, "do not serve the monitoring page while training",
       [](CliOptions& o, const std::string&) { o.monitor = false; }},
      {{"--monitor-port"}, "PORT", "monitor port (8080)",
       [](CliOptions& o, const std::string& v) { o.monitor_port = to_int("--monitor-port", v, 0, 65535); }},
      {{"--monitor-bind"}, "ADDR", "monitor address (127.0.0.1: this machine only; 0.0.0.0 opens it to others, with a token)",
       [](CliOptions& o, const std::string& v) { o.monitor_bind = v; }},
      {{"--monitor-token"}, "TOKEN", "require this token (32-256 of [A-Za-z0-9_-]) to open the monitor (or GAN_MONITOR_TOKEN)",
       [](CliOptions& o, const std::string& v) {
         o.monitor_token = checked_token("--monitor-token", v);
         o.monitor_token_file.clear();
       }},
      {{"--monitor-token-file"}, "FILE", "read the monitor token from FILE (not visible in the process list)",
       [](CliOptions& o, const std::string& v) {
         o.monitor_token = token_from_file(v);
         o.monitor_token_file = v;
       }},
      {{"--monitor-poll"}, "SECONDS", "how often a standalone monitor re-reads storage (5)",
       [](CliOptions& o, const std::string& v) { o.monitor_poll = to_int("--monitor-poll", v, 1, 3600); }},
      // generate
      {{"--checkpoint"}, "FILE", "generator.safetensors, checkpoint/state.safetensors, or RUN:best (the epoch best.json names) for --generate",
       [](CliOptions& o, const std::string& v) { o.checkpoint = v; }},
      {{"--labels"}, "A,B,...", "classes to generate, one column each (all classes)",
       [](CliOptions& o, const std::string& v) { o.labels = to_int_list("--labels", v, 0, 1 << 20); }},
      {{"--n"}, "N", "images per class for --generate (10)",
       [](CliOptions& o, const std::string& v) { o.n = to_int("--n", v, 1, 1000); }},
      {{"--quiet", "-q"}, nullptr, "no progress bar", [](CliOptions& o, const std::string&) { o.quiet = true; }},
  };
  return f;
}

const Flag* find_flag(const std::string& name) {
  for (const Flag& f : flags())
    for (const std::string& n : f.names)
      if (n == name) return &f;
  return nullptr;
}

}  // namespace

CliOptions parse_cli(const std::vector<std::string>& args) {
  CliOptions o;
  if (const char* t = std::getenv("GAN_MONITOR_TOKEN")) o.monitor_token = t;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i], value;
    bool has_value = false;
    size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    const Flag* f = find_flag(a);
    if (!f) {
      if (a.rfind("-", 0) == 0) throw CliError("unknown flag " + a + " (./gan --help lists them)");
      throw CliError("unexpected argument '" + a + "' (flags start with --; ./gan --help lists them)");
    }
    if (f->arg) {
      if (!has_value) {
        if (i + 1 >= args.size()) throw CliError(a + ": needs a value (" + f->arg + ")");
        value = args[++i];
      }
    } else if (has_value && !f->optional_value) {
      throw CliError(a + ": takes no value");
    }
    try {
      f->set(o, value);
    } catch (const CliError& e) {
      // The setters name the flag by its first spelling; the message leads with the one typed.
      std::string m = e.what();
      if (a != f->names[0] && m.rfind(f->names[0] + ":", 0) == 0) m = a + " (" + f->names[0] + ")" + m.substr(f->names[0].size());
      throw CliError(m);
    }
    o.given.insert(f->names[0]);
  }
  if (o.given.count("--model") && !o.given.count("--channels") && o.cfg.model.arch == "dcgan64" &&
      (o.dataset == "cifar10" || o.dataset.rfind("folder:", 0) == 0))
    o.cfg.model.channels = 3;
  if (o.resume_if_exists && o.run_id.empty()) throw CliError("--resume-if-exists: needs --run-id NAME");
  // GAN_TF32=1, the older switch, is an alias for --precision tf32 (the flag wins when both are given).
  if (const char* e = std::getenv("GAN_TF32")) {
    const std::string v = e;
    if (v != "0" && v != "1" && !v.empty())
      throw CliError("GAN_TF32: expected 0 or 1, got '" + v + "' (--precision fp32|tf32|bf16 replaces it)");
    if (v == "1" && !o.given.count("--precision")) o.cfg.precision = Precision::Tf32;
  }
  // The environment's token, checked only where a monitor will use it.
  const bool serves = o.mode == CliOptions::Mode::Monitor || (o.mode == CliOptions::Mode::Train && o.monitor);
  if (serves && !o.given.count("--monitor-token") && !o.given.count("--monitor-token-file")) checked_token("GAN_MONITOR_TOKEN", o.monitor_token);
  return o;
}

std::string cli_help() {
  std::ostringstream s;
  s << "gan — trains GANs on the GPU (or the CPU), stores every evaluation epoch, serves a live monitor.\n\n"
       "usage:\n"
       "  ./gan --train [flags]                 train (with no flags: the reference AC-GAN on Fashion-MNIST)\n"
       "  ./gan --summary [model flags]         the model's layers, shapes and parameter counts\n"
       "  ./gan --generate [--checkpoint FILE] [--labels 0,3,9] [--n N] --out FILE.png\n"
       "  ./gan --evaluate RUN [--out DIR]      quality metrics for every evaluation epoch of an earlier run\n"
       "  ./gan --monitor --storage URL         serve the monitoring page for stored runs\n"
       "  ./gan --presign s3://bucket/key|gs://bucket/key|az://account/container/key [--expires SECONDS]\n\n"
       "flags:\n";
  for (const Flag& f : flags()) {
    std::string names;
    for (size_t i = 0; i < f.names.size(); ++i) names += (i ? ", " : "") + f.names[i];
    if (f.arg) names += std::string(" ") + f.arg;
    char line[512];
    snprintf(line, sizeof line, "  %-44s %s\n", names.c_str(), f.help);
    s << line;
  }
  return s.str();
}

Json cli_hyperparameters(const CliOptions& o) {
  Json j = train_config_json(o.cfg);
  j.set("dataset", o.dataset);
  j.set("device", o.device);
  j.set("out", o.out);
  if (!o.storage.empty()) j.set("storage", o.storage);
  // The reference system's spellings, so its monitor shows familiar names.
  j.set("epochs", o.cfg.epochs);
  j.set("batchsize", o.cfg.batch);
  j.set("evalfreq", o.cfg.evalfreq);
  j.set("latentDim", o.cfg.model.latent_dim);
  j.set("labelDim", o.cfg.model.label_dim);
  return j;
}

std::string apply_cpu_preset(CliOptions& o) {
  // Sized so that 2 cores show recognisable class-conditional samples within a few minutes:
  // quarter-width convolutions (about 1/16 of the reference's work per image), half batches, and
  // 1,000 mini-batches whatever the dataset's size (5 epochs of a 12,800-image subset; 44 of a
  // 1,500-image set: size_cpu_preset picks the epochs once the data is loaded), with about five
  // evaluation epochs so progress is visible. On the synthetic set the last grid's columns are
  // classified as their conditioning class 90%+ of the time (tests/core/test_train.cpp checks ≥ 80%).
  std::string changed;
  auto set = [&](const char* flag, auto apply, const std::string& shown) {
    if (o.given.count(flag)) return;
    apply();
    changed += std::string(changed.empty() ? "" : " ") + flag + " " + shown;
  };
  if (o.cfg.model.arch == "acgan28") {
    set("--convFilters", [&] { o.cfg.model.conv_filters = {32, 32}; }, "32,32");
    set("--convTransposeFilters", [&] { o.cfg.model.conv_transpose_filters = {32, 32}; }, "32,32");
    set("--generatorInputFilters", [&] { o.cfg.model.generator_input_filters = 32; }, "32");
  } else {
    set("--ngf", [&] { o.cfg.model.ngf = 16; }, "16");
    set("--ndf", [&] { o.cfg.model.ndf = 16; }, "16");
  }
  set("--batchsize", [&] { o.cfg.batch = 64; }, "64");
  set("--subset", [&] { o.cfg.subset = 12800; }, "12800");
  // The epochs for the full 12,800-image subset; size_cpu_preset re-sizes them for a smaller set.
  set("--epochs", [&] {
    o.cfg.epochs = 5;
    o.preset_minibatches = kCpuPresetMiniBatches;
  }, "sized to " + std::to_string(kCpuPresetMiniBatches) + " mini-batches");
  set("--evalfreq", [&] { o.cfg.evalfreq = 1; }, o.preset_minibatches ? "sized to about 5 evaluation epochs" : "1");
  set("--quality-samples", [&] { o.cfg.quality_samples = 1000; }, "1000");
  return changed;
}

std::string size_cpu_preset(CliOptions& o, int images) {
  if (o.preset_minibatches <= 0) return "";
  const int per_epoch = std::max(1, images / std::max(1, o.cfg.batch));
  o.cfg.epochs = (o.preset_minibatches + per_epoch - 1) / per_epoch;
  std::string line = "CPU preset: " + std::to_string(o.preset_minibatches) + " mini-batches = " +
                     std::to_string(o.cfg.epochs) + " epoch" + (o.cfg.epochs == 1 ? "" : "s") + " of " +
                     std::to_string(per_epoch) + " (" + std::to_string(images) + " images, batch " +
                     std::to_string(o.cfg.batch) + ")";
  if (!o.given.count("--evalfreq")) {
    o.cfg.evalfreq = std::max(1, (o.cfg.epochs + 4) / 5);
    line += o.cfg.evalfreq == 1 ? ", an evaluation epoch after each"
                                : ", an evaluation epoch every " + std::to_string(o.cfg.evalfreq) + " epochs";
  }
  return line;
}

std::string resolve_checkpoint(const std::string& spec, const std::string& runs_dir) {
  const std::string suffix = ":best";
  if (spec.size() <= suffix.size() || spec.compare(spec.size() - suffix.size(), suffix.size(), suffix) != 0) return spec;
  const std::string run = spec.substr(0, spec.size() - suffix.size());
  const std::string dir = folder_named(run, runs_dir);
  std::string text;
  if (!read_file_if_exists(dir + "/best.json", &text))
    throw std::runtime_error("--checkpoint " + spec + ": " + dir + "/best.json does not exist (a run written before the "
                             "quality metrics? `./gan --evaluate " + run + "` makes it)");
  Json best = Json::parse(text, dir + "/best.json");
  const Json* e = best.find("epoch");
  if (!e || !e->is_number())
    throw std::runtime_error("--checkpoint " + spec + ": " + dir + "/best.json names no epoch");
  const std::string g = dir + "/epoch/" + std::to_string(e->as_int()) + "/generator.safetensors";
  if (!file_exists(g))
    throw std::runtime_error("--checkpoint " + spec + ": best.json names epoch " + std::to_string(e->as_int()) + " but " + g +
                             " does not exist");
  return g;
}

}  // namespace gan
