// The monitor's threads run at a lower CPU priority than training.
//
// Training on the CPU uses every core (OpenMP), so any cycle the monitor takes comes out of
// training, and an OpenMP region waits for its slowest thread. Linux applies nice values per
// thread, so the monitor's threads (HTTP workers, the listener, the event producers) lower
// their own priority: under contention the scheduler gives them ~1/10 of a training thread's
// share, and when the cores are idle (GPU training) they run at full speed anyway.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "http/httplib_inc.h"

namespace gan::http {

// Raises the calling thread's nice value by `increment` (best effort; errors are ignored).
void lower_thread_priority(int increment = 10);

// cpp-httplib's TaskQueue with a fixed number of low-priority workers and a bounded queue
// (httplib's own queue grows without limit, one open connection per entry). A job that finds
// the queue full runs at once on the enqueuing thread with overflowing() true: GuardedServer
// then answers 503 and closes the connection instead of serving it.
class WorkerPool : public httplib::TaskQueue {
 public:
  explicit WorkerPool(size_t threads, size_t max_queued = 64);
  // True on a thread while it runs a job the full queue turned away.
  static bool overflowing();
  ~WorkerPool() override;
  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void work();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t max_queued_;
  bool shutdown_ = false;
};

}  // namespace gan::http
