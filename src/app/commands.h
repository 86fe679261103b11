// ./gan's commands, one function each; src/main.cpp parses the command line and calls one. App
// side (compiled into ./gan and the tests, not the core): they wire the training core to storage,
// the upload queue, libcurl downloads and the monitor.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "cli.h"
#include "ops.h"
#include "storage/open.h"

namespace gan {

// What main() hands the commands: the flag its signal handler sets (stop after this mini-batch),
// and the call that installs that handler (done once a command may be stopped cleanly).
struct AppContext {
  std::atomic<bool>* stop = nullptr;
  std::function<void()> catch_signals;
};

// A message to stderr, flushed at once.
void say(const std::string& s);
// Resolves --device into a backend and says what it picked.
std::unique_ptr<Ops> open_device(CliOptions& o);

int cmd_summary(CliOptions& o);
int cmd_generate(CliOptions& o);
int cmd_train(CliOptions& o, const AppContext& app);
int cmd_evaluate(CliOptions& o);
int cmd_monitor(CliOptions& o, const AppContext& app);
int cmd_presign(CliOptions& o);

// Storage selection (src/app/remote.cpp).
StorageOptions remote_options(const CliOptions& o);

}  // namespace gan
