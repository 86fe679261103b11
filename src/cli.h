// The command line: every flag of the reference system as it spelled them, GNU-style long options,
// and the modes (--train, --summary, --generate/--inference, --monitor, --presign).
//
// Parsing is table-driven: each flag has its spellings, whether it takes a value, and a setter
// that validates the value. Errors are CliError with a one-line message naming the flag.
#pragma once
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/json.h"
#include "train/config.h"

namespace gan {

// The CPU preset trains this many mini-batches whatever the dataset's size (README's promise:
// recognisable samples within a few minutes on 2 cores).
constexpr int kCpuPresetMiniBatches = 1000;

struct CliError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CliOptions {
  enum class Mode { None, Train, Summary, Generate, Monitor, Presign, Evaluate, Help };
  Mode mode = Mode::None;
  TrainConfig cfg;
  std::set<std::string> given;  // canonical names of the flags given on the command line

  std::string device = "auto";  // auto | cpu | cuda
  int threads = 0;              // CPU threads (0: all cores)
  std::string dataset = "fashion-mnist";
  std::string data_dir = "data";
  bool download = true;
  std::string out = "eval";     // local run folder (--evalDirLocal); the PNG path for --generate
  std::string run_id;
  std::string resume;           // run id to continue, or "latest"
  bool resume_if_exists = false;

  // storage
  std::string storage;          // path | s3://bucket/prefix | az://account/container/prefix | gs://bucket/prefix
  bool azure_reference = false; // -c azure_storage: main fills `storage` from the environment
  std::string s3_endpoint, region, azure_endpoint;
  std::string presign_url;
  int64_t expires = 3600;
  double upload_timeout = 600;  // seconds to wait for the upload queue at the end

  // monitor
  bool monitor = true;
  int monitor_port = 8080;
  std::string monitor_bind = "127.0.0.1";
  std::string monitor_token;
  std::string monitor_token_file;  // where monitor_token came from, when --monitor-token-file set it
  int monitor_poll = 5;

  // the CPU preset's length in mini-batches (0: --epochs was given, or no preset): the epochs are
  // chosen from it once the dataset's size is known (size_cpu_preset)
  int preset_minibatches = 0;

  // evaluate
  std::string evaluate_run;     // a run id in --out, or a run folder

  // generate
  std::string checkpoint;       // a file, or RUN:best
  std::vector<int> labels;      // empty: every class
  int n = 10;                   // images per label

  bool quiet = false;
};

CliOptions parse_cli(const std::vector<std::string>& args);
std::string cli_help();
// Every setting of a run, for hyperparameters.json.
Json cli_hyperparameters(const CliOptions& o);
// The smaller CPU configuration: applied to every setting the user did not give. Returns the
// one-line description printed at start.
std::string apply_cpu_preset(CliOptions& o);
// The preset's epochs for a training set of `images` images: ceil(preset_minibatches / mini-batches
// per epoch), and (unless --evalfreq was given) an evaluation epoch every ceil(epochs / 5) epochs.
// Returns the line that says what it chose (empty when the preset does not size this run).
std::string size_cpu_preset(CliOptions& o, int images);
// "RUN:best" → the generator.safetensors that RUN's best.json names. RUN is a run folder, or a run
// id in `runs_dir`. Anything else is returned unchanged. Throws naming what is missing.
std::string resolve_checkpoint(const std::string& spec, const std::string& runs_dir);

}  // namespace gan
