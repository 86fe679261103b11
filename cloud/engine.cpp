// The request engine; see engine.h.
#include "cloud/engine.h"

#include <algorithm>

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

}  // namespace cloud
