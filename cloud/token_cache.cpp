// Token cache; see token_cache.h.
#include "cloud/token_cache.h"

#include <algorithm>

namespace cloud {

TokenCache::TokenCache(std::shared_ptr<TokenSource> source) : source_(std::move(source)) {}

AccessToken TokenCache::get(int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cached_) {
    int64_t lifetime = cached_->expires_at - fetched_at_;
    int64_t margin = std::min<int64_t>(kRefreshBeforeExpiry, std::max<int64_t>(lifetime / 2, 0));
    if (now < cached_->expires_at - margin) return *cached_;
  }
  AccessToken t = source_->fetch(now);
  fetches_++;
  fetched_at_ = now;
  cached_ = t;
  return t;
}

void TokenCache::invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  cached_.reset();
}

int TokenCache::fetches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fetches_;
}

}  // namespace cloud
