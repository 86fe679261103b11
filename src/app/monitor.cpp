#include "app/monitor.h"

#include "app/commands.h"

namespace gan {

gan::http::MonitorOptions monitor_options(const CliOptions& o) {
  gan::http::MonitorOptions m;
  m.bind = o.monitor_bind;
  m.port = o.monitor_port;
  m.token = o.monitor_token;
  m.poll_seconds = o.monitor_poll;
  return m;
}

std::unique_ptr<gan::http::MonitorServer> start_monitor(const CliOptions& o, Storage& local, const RunState* state) {
  auto server = std::make_unique<gan::http::MonitorServer>(monitor_options(o), local, state);
  try {
    server->start();
  } catch (const std::exception& e) {
    say(std::string("gan: monitor not started: ") + e.what() +
        " (training goes on; choose another --monitor-port, or --no-monitor)\n");
    return nullptr;
  }
  return server;
}

}  // namespace gan
