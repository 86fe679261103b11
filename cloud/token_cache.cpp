// Token cache; see token_cache.h.
#include "cloud/token_cache.h"

#include <algorithm>
#include <cstdlib>
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

std::shared_ptr<HttpTransport> metadata_transport(long low_speed_seconds) {
  TransportOptions o;
  o.connect_timeout_ms = 1000;
  o.low_speed_seconds = low_speed_seconds;
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

AccessToken token_from_fields(std::map<std::string, std::string>& f, int64_t now, const std::string& source) {
  AccessToken t;
  t.token = f["access_token"];
  if (t.token.empty()) throw std::runtime_error(source + " answered without an access_token");
  int64_t on = std::atoll(f["expires_on"].c_str());
  int64_t in = std::atoll(f["expires_in"].c_str());
  t.expires_at = on > 0 ? on : now + (in > 0 ? in : 300);
  t.source = source;
  return t;
}

}  // namespace cloud
