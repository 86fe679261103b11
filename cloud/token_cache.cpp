// Token cache; see token_cache.h.
#include "cloud/token_cache.h"

#include <algorithm>
#include <stdexcept>

#include "cloud/retry.h"

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

std::shared_ptr<HttpTransport> metadata_transport() {
  TransportOptions o;
  o.connect_timeout_ms = 1000;
  return std::make_shared<HttpTransport>(o);
}

HttpResponse ask_metadata_service(const HttpTransport& transport, HttpRequest req, const std::string& name,
                                  const std::string& instead, long retry_status) {
  req.timeout_ms = 5000;
  req.no_proxy = true;  // link-local: never through http_proxy
  RetryPolicy policy;
  policy.max_attempts = 4;
  Backoff backoff(policy);
  for (;;) {
    HttpResponse resp;
    try {
      resp = transport.perform(req);
    } catch (const TransportError& e) {
      if (backoff.wait()) continue;
      throw std::runtime_error(name + " did not answer (" + e.what() + "): " + instead);
    }
    if ((is_transient_http_status(resp.status) || (retry_status && resp.status == retry_status)) && backoff.wait())
      continue;
    return resp;
  }
}

}  // namespace cloud
