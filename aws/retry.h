// Retry timing shared by every cloud client (S3 here; Azure Blob and GCS reuse it): exponential
// backoff with "full jitter", as the AWS Architecture Blog's "Exponential Backoff and Jitter"
// recommends, so many uploaders that failed together do not retry together.
//   sleep = random_between(0, min(cap, base * 2^attempt))
// What counts as retryable is the client's business (it knows its error codes); this file only
// answers "how long to wait" and "how many times", and the status codes every HTTP service shares.
#pragma once
#include <cstdint>
#include <random>

namespace aws {

struct RetryPolicy {
  int max_attempts = 8;        // including the first; 1 = never retry
  double base_delay_s = 0.1;
  double max_delay_s = 20.0;
};

// The delay before attempt number `attempt` + 1 (attempt counts from 1).
double backoff_delay(const RetryPolicy& policy, int attempt, std::mt19937_64& rng);
void sleep_seconds(double seconds);

// 500, 502, 503, 504 and 429: the server (or something before it) is overloaded or failing, and
// the same request may succeed later.
bool is_transient_http_status(long status);

// Counts attempts and sleeps between them. Usage:
//   Backoff b(policy); while (true) { ...; if (!retryable || !b.wait()) throw ...; }
class Backoff {
 public:
  explicit Backoff(const RetryPolicy& policy);
  // Sleeps the next delay and returns true, or returns false when the attempts are used up.
  bool wait();
  int attempt() const { return attempt_; }

 private:
  RetryPolicy policy_;
  int attempt_ = 1;
  std::mt19937_64 rng_;
};

}  // namespace aws
