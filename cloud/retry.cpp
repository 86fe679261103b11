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

bool is_transient_http_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool Backoff::wait() {
  if (cancelled() || attempt_ >= policy_.max_attempts) return false;
  using Clock = std::chrono::steady_clock;
  const auto delay = std::chrono::microseconds(static_cast<int64_t>(backoff_delay(policy_, attempt_, rng_) * 1e6));
  const auto end = Clock::now() + delay;
  for (auto left = end - Clock::now(); left > Clock::duration::zero(); left = end - Clock::now()) {
    std::this_thread::sleep_for(cancel_ ? std::min<Clock::duration>(left, std::chrono::milliseconds(20)) : left);
    if (cancelled()) return false;
  }
  attempt_++;
  return true;
}

}  // namespace cloud
