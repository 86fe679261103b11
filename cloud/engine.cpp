// The request engine; see engine.h.
#include "cloud/engine.h"

#include <algorithm>
#include <cstdlib>

namespace cloud {

Engine::Engine(const TransportOptions& transport, RetryPolicy retry)
    : transport_(std::make_shared<HttpTransport>(transport)), retry_(retry) {}

HttpResponse Engine::execute(Call& call, Dialect& d) {
  RetryPolicy policy = retry_;
  if (call.max_attempts > 0) policy.max_attempts = call.max_attempts;
  const std::atomic<bool>* cancel = call.ignores_cancel ? nullptr : &cancelled_;
  Backoff backoff(policy, cancel);
  unsigned used = 0;
  auto cancelled_error = [&] {
    ErrorInfo info;
    info.code = "Cancelled";
    info.message = "cancelled";
    return Error(cancelled_message(call.op + " " + d.target(call)), info, true);
  };
  auto retry = [&] { return backoff.wait_or_throw(cancelled_error); };
  auto has = [](const std::vector<long>& v, long x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  for (;;) {
    if (cancel && cancel->load()) throw cancelled_error();
    HttpRequest req = d.prepare(call);
    req.body = call.body;
    req.body_file = call.body_file;
    req.body_offset = call.body_offset;
    req.body_length = call.body_length;
    static_cast<BodyLimits&>(req) = call;  // the call's response-body limits
    req.response_file = call.response_file;
    req.timeout_ms = call.timeout_ms;
    req.cancel = cancel;
    HttpResponse resp;
    try {
      resp = transport_->perform(req);
    } catch (const TransportError& e) {
      if (e.cancelled()) throw cancelled_error();
      if (retry()) continue;
      ErrorInfo info;
      info.code = e.timed_out() ? "Timeout" : "ConnectionFailed";
      info.message = e.what();
      throw Error(call.op + " " + d.target(call) + " failed after " + std::to_string(backoff.attempt()) +
                      " attempts: " + e.what() + ". Check the network and the endpoint (" + d.endpoint_url() + ").",
                  info, true);
    }
    const bool ok = has(call.ok_statuses, resp.status) && !(call.error_in_200 && d.is_error_body(resp.body));
    if (ok || has(call.quiet_statuses, resp.status)) return resp;
    ErrorInfo err = d.parse_error(resp);
    if (d.recover(call, resp, err, used)) continue;
    if (d.transient(err) && retry()) continue;
    throw d.failure(call, err);
  }
}

std::string ObjectClient::put(const std::string& bucket, const std::string& key, const std::string& bytes,
                              const std::string& path, int64_t size, const std::string& content_type) {
  Call c("PUT", "PUT", bucket, key);
  c.body = bytes;
  c.body_file = path;
  if (!path.empty()) c.body_length = size;
  c.headers = names_.put_headers;
  if (!content_type.empty()) c.headers.emplace_back(names_.content_type, content_type);
  return execute(c).header("etag");
}

bool ObjectClient::found(const HttpResponse& r, const Call& call) const {
  if (r.status != 404) return true;
  ErrorInfo e = parse_error(r);
  if (e.code == names_.missing_bucket) throw failure(call, e);
  return false;
}

std::optional<std::string> ObjectClient::get(const std::string& bucket, const std::string& key,
                                             std::optional<std::pair<int64_t, int64_t>> range) {
  Call c("GET", "GET", bucket, key);
  c.expect_object(false, range);
  if (range) c.headers.emplace_back(names_.range, "bytes=" + std::to_string(range->first) + "-" + std::to_string(range->second));
  c.quiet_statuses = {404};
  HttpResponse r = execute(c);
  if (!found(r, c)) return std::nullopt;
  return std::move(r.body);
}

bool ObjectClient::get_to_file(const std::string& bucket, const std::string& key, const std::string& path) {
  Call c("GET", "GET", bucket, key);
  c.response_file = path;
  c.expect_object(true, std::nullopt);
  c.quiet_statuses = {404};
  return found(execute(c), c);
}

std::optional<Object> ObjectClient::head(const std::string& bucket, const std::string& key) {
  Call c("HEAD", "HEAD", bucket, key);
  c.quiet_statuses = {404};
  HttpResponse r = execute(c);
  if (r.status == 404) return std::nullopt;
  Object o;
  o.key = key;
  o.size = std::atoll(r.header("content-length").c_str());
  o.etag = r.header("etag");
  o.content_type = r.header("content-type");
  o.last_modified = std::max<int64_t>(parse_http_date(r.header("last-modified")), 0);
  return o;
}

void ObjectClient::remove(const std::string& bucket, const std::string& key) {
  Call c("DELETE", "DELETE", bucket, key);
  c.quiet_statuses = {404};  // deleting what is not there is done
  execute(c);
}

}  // namespace cloud
