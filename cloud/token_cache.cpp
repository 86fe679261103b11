// Metadata service tokens; see token_cache.h.
#include "cloud/token_cache.h"

#include <cstdlib>
#include <stdexcept>

#include "cloud/retry.h"
#include "common/json.h"
#include "common/text.h"

namespace cloud {

std::shared_ptr<HttpTransport> metadata_transport(long low_speed_seconds) {
  TransportOptions o;
  o.connect_timeout_ms = 1000;
  o.low_speed_seconds = low_speed_seconds;
  return std::make_shared<HttpTransport>(o);
}

std::string metadata_endpoint(std::string given, const char* env_var) {
  if (given.empty()) given = gan::env(env_var);
  if (given.empty()) given = "http://169.254.169.254";
  while (!given.empty() && given.back() == '/') given.pop_back();
  return given;
}

AccessToken MetadataTokenSource::fetch(int64_t now) {
  HttpRequest req;
  req.url = url_;
  req.headers = {header_};
  req.timeout_ms = 5000;
  req.no_proxy = true;  // link-local: never through http_proxy
  req.max_body_bytes = kMetadataBodyBytes;
  RetryPolicy policy;
  policy.max_attempts = 4;
  Backoff backoff(policy);
  HttpResponse resp;
  for (;;) {
    try {
      resp = transport_->perform(req);
    } catch (const TransportError& e) {
      if (backoff.wait()) continue;
      throw std::runtime_error(name_ + " did not answer (" + e.what() + "): " + instead_);
    }
    if ((is_transient_http_status(resp.status) || (retry_status_ && resp.status == retry_status_)) && backoff.wait())
      continue;
    break;
  }
  gan::Json f;
  std::string unreadable;  // why the answer is not JSON (a refusal need not be)
  try {
    f = gan::Json::parse(resp.body, name_);
  } catch (const std::exception& e) {
    unreadable = std::string(" (") + e.what() + ")";
  }
  if (resp.status != 200) {
    const std::string detail = f.contains("error_description") ? f.field("error_description") : resp.body.substr(0, 200);
    throw std::runtime_error(name_ + " refused a token: HTTP " + std::to_string(resp.status) + " " + detail + ". " +
                             refused_);
  }
  if (!not_genuine_.empty() && resp.header(gan::lower(header_.first)) != header_.second)
    throw std::runtime_error(name_ + " answered without '" + header_.first + ": " + header_.second + "': " + not_genuine_);
  const gan::Json* token = f.find("access_token");
  if (!token || !token->is_string() || token->as_string().empty())
    throw std::runtime_error(name_ + " answered without an access_token" + unreadable);
  const int64_t on = std::atoll(f.field("expires_on").c_str());
  const int64_t in = std::atoll(f.field("expires_in").c_str());
  return {token->as_string(), on > 0 ? on : now + (in > 0 ? in : 300), name_};
}

}  // namespace cloud
