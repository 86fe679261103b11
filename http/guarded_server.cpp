#include "http/guarded_server.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "http/worker_pool.h"

namespace gan::http {
namespace {

using Clock = std::chrono::steady_clock;

std::string numeric_host(const sockaddr_storage& addr, socklen_t len, int* port) {
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof host, serv, sizeof serv,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return "";
  if (port) *port = std::atoi(serv);
  return host;
}

std::string peer_address(int sock, int* port = nullptr) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  return numeric_host(addr, len, port);
}

int poll_one(int sock, short events, int timeout_ms) {
  pollfd p{sock, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, std::max(0, timeout_ms));
  } while (r < 0 && errno == EINTR);
  if (r > 0 && !(p.revents & (events | POLLHUP | POLLERR))) return 0;
  return r;
}

// A socket stream (httplib's own is internal to the library) with a deadline and a byte budget
// for reading each request.
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(int sock, int read_timeout_ms, int write_timeout_ms)
      : sock_(sock), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms), buf_(4096) {}

  // Waits up to `timeout_ms` for the first byte of the next request; false when none comes, the
  // peer closed, or the server is stopping (`listener` invalid).
  bool wait_for_request(int timeout_ms, const std::atomic<socket_t>& listener) {
    if (off_ < len_) return true;
    const auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (listener != INVALID_SOCKET) {
      int r = poll_one(sock_, POLLIN, 20);
      if (r < 0) return false;
      if (r > 0) return true;
      if (Clock::now() >= end) return false;
    }
    return false;
  }
  // The request starting now must be read within `deadline_ms` and `max_bytes`.
  void start_request(int deadline_ms, size_t max_bytes) {
    deadline_ = Clock::now() + std::chrono::milliseconds(deadline_ms);
    reading_ = true;
    budget_ = max_bytes;
  }

  bool is_readable() const override { return off_ < len_ || poll_one(sock_, POLLIN, read_wait_ms()) > 0; }
  bool is_writable() const override {
    if (poll_one(sock_, POLLOUT, write_timeout_ms_) <= 0) return false;
    // Alive unless the peer has closed (readable with nothing to read).
    if (poll_one(sock_, POLLIN, 0) == 0) return true;
    char c;
    return ::recv(sock_, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
  }
  ssize_t read(char* ptr, size_t size) override {
    if (off_ >= len_) {
      // Too large, or too slow: httplib answers 400, and the connection ends after it.
      if (reading_ && (budget_ == 0 || Clock::now() >= deadline_)) {
        over_ = true;
        return -1;
      }
      if (!is_readable()) {  // the read timeout, or the request's deadline
        over_ = reading_;
        return -1;
      }
      size_t want = buf_.size();
      if (reading_) want = std::min(want, budget_);
      ssize_t n;
      do {
        n = ::recv(sock_, buf_.data(), want, 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      if (reading_) budget_ -= (size_t)n;
      off_ = 0;
      len_ = (size_t)n;
    }
    const size_t k = std::min(size, len_ - off_);
    std::copy(buf_.data() + off_, buf_.data() + off_ + k, ptr);
    off_ += k;
    return (ssize_t)k;
  }
  ssize_t write(const char* ptr, size_t size) override {
    reading_ = false;  // the response has begun: the request's deadline is over
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = peer_address(sock_, &port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) ip = numeric_host(addr, len, &port);
  }
  socket_t socket() const override { return sock_; }
  // Whether a request ran past its deadline or its size: the connection must end.
  bool over() const { return over_; }

 private:
  int read_wait_ms() const {
    if (!reading_) return read_timeout_ms_;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    return (int)std::max<long long>(0, std::min<long long>(left, read_timeout_ms_));
  }

  int sock_;
  int read_timeout_ms_, write_timeout_ms_;
  std::vector<char> buf_;
  size_t off_ = 0, len_ = 0;
  bool reading_ = false;
  bool over_ = false;
  Clock::time_point deadline_;
  size_t budget_ = 0;
};

}  // namespace

void refuse_connection(int sock, int status, const char* reason, const char* body) {
  // Take in what the client has sent (a little of it): closing a socket with unread data resets
  // the connection, and the client would see the reset instead of the answer.
  char buf[4096];
  for (int i = 0; i < 16 && ::recv(sock, buf, sizeof buf, MSG_DONTWAIT) > 0; ++i) {
  }
  char head[256];
  const size_t body_len = std::char_traits<char>::length(body);
  int n = std::snprintf(head, sizeof head,
                        "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
                        "Retry-After: 5\r\nConnection: close\r\n\r\n",
                        status, reason, body_len);
  std::string out(head, (size_t)std::max(0, n));
  out += body;
  (void)!::send(sock, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  if (WorkerPool::overflowing()) {
    ++refused_;
    refuse_connection(sock, 503, "Service Unavailable", "the monitor is busy; try again in a few seconds\n");
    return false;
  }
  const std::string client = peer_address(sock);
  {
    std::lock_guard<std::mutex> lk(mu_);
    int& n = per_client_[client];
    if (n >= limits.max_per_client) {
      if (n == 0) per_client_.erase(client);
      ++refused_;
      refuse_connection(sock, 429, "Too Many Requests", "too many connections from this address\n");
      return false;
    }
    ++n;
  }
  ++open_;
  bool ret = false;
  {
    DeadlineStream strm(sock, (int)(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000),
                        (int)(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000));
    size_t count = keep_alive_max_count_;
    const int idle_ms = (int)(keep_alive_timeout_sec_ * 1000);
    while (count > 0 && strm.wait_for_request(idle_ms, svr_sock_)) {
      strm.start_request(limits.header_timeout_ms, limits.max_request_bytes);
      bool connection_closed = false;
      try {
        ret = process_request(strm, count == 1, connection_closed, [](httplib::Request& req) {
          if (req.ranges.size() > 1) req.ranges.clear();  // serve it whole, never multipart
        });
      } catch (const std::exception& e) {
        std::fprintf(stderr, "monitor: connection from %s dropped: %s\n", client.c_str(), e.what());
        ret = false;
      } catch (...) {
        ret = false;
      }
      if (!ret || connection_closed || strm.over()) break;
      --count;
    }
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  --open_;
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = per_client_.find(client);
    if (it != per_client_.end() && --it->second <= 0) per_client_.erase(it);
  }
  return ret;
}

}  // namespace gan::http
