// Backoff timing; see retry.h.
#include "cloud/retry.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace cloud {

double backoff_delay(const RetryPolicy& p, int attempt, std::mt19937_64& rng, double min_fraction) {
  double ceiling = std::min(p.max_delay_s, p.base_delay_s * std::ldexp(1.0, std::min(attempt, 30)));
  return std::uniform_real_distribution<double>(ceiling * min_fraction, ceiling)(rng);
}

void sleep_seconds(double s) {
  if (s > 0) std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(s * 1e6)));
}

bool sleep_unless_cancelled(double s, const std::atomic<bool>* cancel) {
  if (!cancel) {
    sleep_seconds(s);
    return true;
  }
  const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(std::max(s, 0.0) * 1e6));
  for (;;) {
    if (cancel->load()) return false;
    auto left = end - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(20)));
  }
}

bool is_transient_http_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

Backoff::Backoff(const RetryPolicy& policy, const std::atomic<bool>* cancel)
    : policy_(policy), cancel_(cancel), rng_(std::random_device{}()) {}

bool Backoff::wait() {
  if (cancelled() || attempt_ >= policy_.max_attempts) return false;
  if (!sleep_unless_cancelled(backoff_delay(policy_, attempt_, rng_), cancel_)) return false;
  attempt_++;
  return true;
}

}  // namespace cloud
