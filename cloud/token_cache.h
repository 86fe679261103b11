// Secrets that expire (AWS keys, aws/credentials.h; a VM's metadata-service OAuth tokens), cached
// and refreshed five minutes before expiry (IMDS role keys last hours, tokens about an hour), a
// token living under ten minutes at half its lifetime (so a short-lived test token is not
// refreshed on every request), and at once after invalidate(), which a client calls when the
// service rejects a secret it believed valid (ExpiredToken, a 401). A failed refresh while the old
// secret is still valid is not yet an error.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "cloud/http.h"

namespace cloud {

struct AccessToken {
  std::string token;
  int64_t expires_at = 0;  // unix seconds
  std::string source;      // "Azure managed identity (IMDS at http://169.254.169.254)", ...
};

// T has expires_at (unix seconds; 0 = does not expire). Thread-safe.
template <class T>
class ExpiringCache {
 public:
  ExpiringCache(std::function<T(int64_t now)> fetch, bool half_life_when_short)
      : fetch_(std::move(fetch)), half_life_(half_life_when_short) {}

  T get(int64_t now) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_ && (cached_->expires_at == 0 || now < refresh_at_)) return *cached_;
    try {
      cached_ = fetch_(now);
    } catch (const std::exception&) {
      if (cached_ && cached_->expires_at != 0 && now < cached_->expires_at) return *cached_;
      throw;
    }
    const int64_t half = std::max<int64_t>((cached_->expires_at - now) / 2, 0);
    refresh_at_ = cached_->expires_at - (half_life_ ? std::min<int64_t>(300, half) : 300);  // see the top
    fetches_++;
    return *cached_;
  }
  void invalidate() {
    std::lock_guard<std::mutex> lock(mu_);
    cached_.reset();
  }
  int fetches() const {  // how many times the source was asked (for tests)
    std::lock_guard<std::mutex> lock(mu_);
    return fetches_;
  }

 private:
  std::function<T(int64_t)> fetch_;
  bool half_life_;
  mutable std::mutex mu_;
  std::optional<T> cached_;
  int64_t refresh_at_ = 0;
  int fetches_ = 0;
};

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  virtual std::string name() const = 0;
  // A fresh token; throws std::runtime_error saying what is wrong and what to do.
  virtual AccessToken fetch(int64_t now) = 0;
};

class TokenCache : public ExpiringCache<AccessToken> {
 public:
  explicit TokenCache(std::shared_ptr<TokenSource> source)
      : ExpiringCache([source](int64_t now) { return source->fetch(now); }, true), source_(std::move(source)) {}
  std::string name() const { return source_->name(); }

 private:
  std::shared_ptr<TokenSource> source_;
};

// The most a metadata service's answer may hold: a token or credentials document is a few KiB.
constexpr int64_t kMetadataBodyBytes = 64 << 10;

// A transport for a VM's link-local metadata service: connecting gives up after 1 s, as off the
// cloud nothing answers there; a transfer stalled for low_speed_seconds is cut short.
std::shared_ptr<HttpTransport> metadata_transport(long low_speed_seconds = 30);
// The instance metadata service's base URL, without a trailing '/': `given`, else the environment
// variable env_var (an emulator, a test server), else http://169.254.169.254.
std::string metadata_endpoint(std::string given, const char* env_var);

// A token from a VM's metadata service: one GET of url_ with header_, straight (never through a
// proxy), 5 s per attempt, up to 4 attempts while nothing answers or the status is transient (or
// retry_status_). Each cloud's constructor fills in the fields.
class MetadataTokenSource : public TokenSource {
 public:
  std::string name() const override { return name_; }
  AccessToken fetch(int64_t now) override;

 protected:
  std::string name_, url_;
  std::pair<std::string, std::string> header_;
  // The advice when nothing answers, when the service refuses, and (where set) when an answer
  // lacks header_, which a genuine service echoes and a captive portal or proxy would not.
  std::string instead_, refused_, not_genuine_;
  long retry_status_ = 0;
  std::shared_ptr<HttpTransport> transport_ = metadata_transport();
};

}  // namespace cloud
