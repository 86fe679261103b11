// Retry timing of every cloud client: exponential backoff with "full jitter" (the AWS
// Architecture Blog's "Exponential Backoff and Jitter"), so uploaders that failed together do not
// retry together:  sleep = random_between(0, min(cap, base * 2^attempt))
// What is retryable is each client's business (it knows its error codes); this file answers how
// long, how many times, and which statuses every HTTP service shares. A cancel flag (a client
// shut down on a deadline) cuts any wait short, so no retry loop outlives the caller's patience.
#pragma once
#include <atomic>
#include <cstdint>
#include <random>

namespace cloud {

struct RetryPolicy {
  int max_attempts = 8;        // including the first; 1 = never retry
  double base_delay_s = 0.1;
  double max_delay_s = 20.0;
};

// The delay before attempt number `attempt` + 1 (attempt counts from 1): random between
// min_fraction of the ceiling and the ceiling (0: full jitter; 0.5: keeps making progress).
double backoff_delay(const RetryPolicy& policy, int attempt, std::mt19937_64& rng, double min_fraction = 0.0);

// 500, 502, 503, 504 and 429: the server (or something before it) is overloaded or failing, and
// the same request may succeed later.
bool is_transient_http_status(long status);

// Counts attempts and sleeps between them:
//   Backoff b(policy); while (true) { ...; if (!retryable || !b.wait()) throw ...; }
class Backoff {
 public:
  // Once *cancel (may be null) is true, wait() returns false at once, or within about 20 ms.
  explicit Backoff(const RetryPolicy& policy, const std::atomic<bool>* cancel = nullptr)
      : policy_(policy), cancel_(cancel), rng_(std::random_device{}()) {}
  // Sleeps the next delay and returns true; false when the attempts are used up or the wait was
  // cancelled (cancelled() tells which).
  bool wait();
  int attempt() const { return attempt_; }
  bool cancelled() const { return cancel_ && cancel_->load(); }

 private:
  RetryPolicy policy_;
  const std::atomic<bool>* cancel_;
  int attempt_ = 1;
  std::mt19937_64 rng_;
};

}  // namespace cloud
