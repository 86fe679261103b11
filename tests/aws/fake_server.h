// An HTTP server on 127.0.0.1 whose every answer the test writes (cpp-httplib): for responses no
// real service gives on purpose, such as a listing whose continuation token never changes. Every
// method is routed to the one handler; the server stops and joins when destroyed.
#pragma once
#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "http/httplib_inc.h"

namespace gan_test {

class FakeServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  explicit FakeServer(Handler handler) : handler_(std::move(handler)) {
    auto route = [this](const httplib::Request& req, httplib::Response& res) {
      requests_++;
      handler_(req, res);
    };
    server_.Get(".*", route);
    server_.Put(".*", route);
    server_.Post(".*", route);
    server_.Delete(".*", route);
    server_.Options(".*", route);
    // One request per connection: a kept-alive connection would hold stop() for its read timeout.
    server_.set_keep_alive_max_count(1);
    port_ = server_.bind_to_any_port("127.0.0.1");  // listening from here on: no race with the client
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeServer() {
    server_.stop();
    thread_.join();
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }

 private:
  Handler handler_;
  httplib::Server server_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace gan_test
