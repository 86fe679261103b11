#include "http/worker_pool.h"

#include <algorithm>
#include <cerrno>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace gan::http {

void lower_thread_priority(int increment) {
  const pid_t tid = (pid_t)syscall(SYS_gettid);
  errno = 0;
  int now = getpriority(PRIO_PROCESS, (id_t)tid);
  if (errno == 0) setpriority(PRIO_PROCESS, (id_t)tid, std::min(19, now + increment));
}

namespace {
thread_local bool t_overflowing = false;
}

bool WorkerPool::overflowing() { return t_overflowing; }

WorkerPool::WorkerPool(size_t threads, size_t max_queued) : max_queued_(max_queued) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::enqueue(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (jobs_.size() < max_queued_) {
      jobs_.push_back(std::move(fn));
      fn = nullptr;
    }
  }
  if (!fn) {
    cv_.notify_one();
    return;
  }
  t_overflowing = true;
  try {
    fn();
  } catch (...) {
  }
  t_overflowing = false;
}

void WorkerPool::shutdown() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (shutdown_ && threads_.empty()) return;
    shutdown_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void WorkerPool::work() {
  lower_thread_priority();
  while (true) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return shutdown_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // shutting down, queue drained
      fn = std::move(jobs_.front());
      jobs_.pop_front();
    }
    fn();
  }
}

}  // namespace gan::http
