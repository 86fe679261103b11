// ./gan: the command line. Parses the flags and runs one command (src/app/commands.h), which
// composes the training core, storage and the monitor; this file only wires them: the signal
// handler that stops training cleanly, and the dispatch.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "app/commands.h"
#include "cli.h"
#include "storage/azure_storage.h"

using namespace gan;

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
  if (g_stop.exchange(true)) _exit(130);  // a second Ctrl-C stops at once
  const char msg[] = "\ngan: stopping after this mini-batch (Ctrl-C again to quit at once)\n";
  ssize_t r = write(2, msg, sizeof msg - 1);
  (void)r;
}

}  // namespace

int main(int argc, char** argv) {
  // OpenMP threads that spin while waiting collapse throughput when the machine is busy with
  // other work (measured: 10× slower with 2 threads on a loaded 2-core machine). libgomp reads its
  // settings when it loads, before main, so a passive wait policy needs one re-exec.
  if (!std::getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    execv("/proc/self/exe", argv);  // on failure, carry on with the default policy
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  CliOptions o;
  try {
    o = parse_cli(args);
  } catch (const CliError& e) {
    say(std::string("gan: ") + e.what() + "\n");
    return 2;
  }
  if (o.azure_reference) {
    try {
      o.storage = reference_azure_storage_url();
    } catch (const std::exception& e) {
      say(std::string("gan: ") + e.what() + "\n");
      return 2;
    }
  }
  AppContext app;
  app.stop = &g_stop;
  app.catch_signals = [] {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
  };
  try {
    switch (o.mode) {
      case CliOptions::Mode::Help:
        std::cout << cli_help();
        return 0;
      case CliOptions::Mode::None:
        if (args.empty()) {
          std::cout << cli_help();
          return 0;
        }
        say("gan: flags but no mode: add --train, --summary, --generate, --evaluate, --monitor or --presign (./gan --help)\n");
        return 2;
      case CliOptions::Mode::Summary:
        return cmd_summary(o);
      case CliOptions::Mode::Generate:
        return cmd_generate(o);
      case CliOptions::Mode::Train:
        return cmd_train(o, app);
      case CliOptions::Mode::Evaluate:
        return cmd_evaluate(o);
      case CliOptions::Mode::Monitor:
        return cmd_monitor(o, app);
      case CliOptions::Mode::Presign:
        return cmd_presign(o);
    }
  } catch (const std::exception& e) {
    say(std::string("gan: ") + e.what() + "\n");
    return 1;
  }
  return 0;
}
