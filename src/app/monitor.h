// The monitor as ./gan's commands start it: its options from the command line, and a start that
// never stops training.
#pragma once
#include <memory>

#include "../http/monitor.h"
#include "cli.h"
#include "storage/storage.h"
#include "train/run_state.h"

namespace gan {

gan::http::MonitorOptions monitor_options(const CliOptions& o);

// The monitor while training: it reads the local run folder (every artifact lands there first)
// and the live RunState. A monitor that cannot start does not stop training (null, said why).
std::unique_ptr<gan::http::MonitorServer> start_monitor(const CliOptions& o, Storage& local, const RunState* state);

}  // namespace gan
