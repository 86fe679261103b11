// OAuth bearer tokens from a VM's metadata service, cached and refreshed before they expire.
//
// Shared by Azure managed identity (azure/managed_identity.h) and GCE service accounts
// (gcs/gce_metadata.h): both hand out tokens that last about an hour. A token is refreshed
// ahead of expiry by five minutes, or by half its lifetime when it lives less than ten (so a
// short-lived test token is not refreshed on every request), and at once after invalidate() —
// which a client calls when the service rejects a token it believed valid.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "cloud/http.h"

namespace cloud {

struct AccessToken {
  std::string token;
  int64_t expires_at = 0;  // unix seconds
  std::string source;      // "Azure managed identity (IMDS at http://169.254.169.254)", ...
};

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  virtual std::string name() const = 0;
  // A fresh token; throws std::runtime_error saying what is wrong and what to do.
  virtual AccessToken fetch(int64_t now) = 0;
};

class TokenCache {
 public:
  static constexpr int64_t kRefreshBeforeExpiry = 300;
  explicit TokenCache(std::shared_ptr<TokenSource> source);
  AccessToken get(int64_t now);
  void invalidate();
  std::string name() const { return source_->name(); }
  int fetches() const;  // how many times the source was asked (for tests)

 private:
  std::shared_ptr<TokenSource> source_;
  mutable std::mutex mu_;
  std::optional<AccessToken> cached_;
  int64_t fetched_at_ = 0;
  int fetches_ = 0;
};

// A transport for a VM's link-local metadata service: connecting gives up after 1 s, as off the
// cloud nothing answers there; a transfer stalled for low_speed_seconds is cut short.
std::shared_ptr<HttpTransport> metadata_transport(long low_speed_seconds = 30);
// Sends a metadata service's token request straight (never through a proxy), 5 s per attempt, up
// to 4 attempts while nothing answers or the status is transient (or retry_status). When nothing
// answers, throws std::runtime_error "<name> did not answer (<why>): <what to do instead>".
HttpResponse ask_metadata_service(const HttpTransport& transport, HttpRequest req, const std::string& name,
                                  const std::string& instead, long retry_status = 0);
// The token of a metadata service's JSON answer (`fields`): access_token, expiring at expires_on,
// else expires_in seconds from now, else in 5 minutes. Throws when it has no access_token.
AccessToken token_from_fields(std::map<std::string, std::string>& fields, int64_t now, const std::string& source);

}  // namespace cloud
