// The monitor's routes and server lifecycle. See monitor.h for the threading model.
//
// Every handler follows one shape: validate the names taken from the URL (paths.h), read a
// snapshot (RunCatalog / RunState), build the body (api.h), send. Nothing here holds a lock while
// writing to a socket. Storage failures (a bucket that is down) answer 503 with a generic text;
// the reason (which may name a path, an access key ID or a role) goes to the server's log only.
// Missing or partial artifacts are not failures: they answer what exists, or 404.
#include "http/monitor.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <chrono>
#include <climits>
#include <algorithm>
#include <cctype>
#include <iterator>
#include <cmath>
#include <map>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "http/api.h"
#include "http/assets.h"
#include "http/auth.h"
#include "http/downsample.h"
#include "http/events.h"
#include "http/guarded_server.h"
#include "http/gzip.h"
#include "http/httplib_inc.h"
#include "http/paths.h"
#include "http/run_catalog.h"
#include "http/worker_pool.h"
#include "common/monitor_token.h"
#include "common/net.h"
#include "common/text.h"
#include "storage/storage.h"
#include "train/run_state.h"

namespace gan::http {

bool host_allowed(const std::string& host_header, const std::string& bind) {
  std::string h = lower(host_header);
  // Drop ":port" (after "]" for an IPv6 literal).
  if (!h.empty() && h[0] == '[') {
    size_t close = h.find(']');
    if (close == std::string::npos) return false;
    std::string rest = h.substr(close + 1);
    h = h.substr(0, close + 1);
    if (!rest.empty() && (rest[0] != ':' || rest.find_first_not_of("0123456789", 1) != std::string::npos)) return false;
  } else {
    size_t colon = h.find(':');
    if (colon != std::string::npos) {
      if (h.find_first_not_of("0123456789", colon + 1) != std::string::npos) return false;
      h = h.substr(0, colon);
    }
  }
  if (h == "localhost" || h == "127.0.0.1" || h == "[::1]") return true;
  std::string b = lower(bind);
  if (b.find(':') != std::string::npos && b[0] != '[') b = "[" + b + "]";
  return !b.empty() && b != "0.0.0.0" && b != "[::]" && h == b;
}

long raise_open_file_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
}

using httplib::Request;
using httplib::Response;

// Failed logins per client address: after `allowed` failures, /login answers 429 for 1 s, and
// twice as long after each further failure, up to 5 minutes. A success forgets the address.
class LoginThrottle {
 public:
  explicit LoginThrottle(int allowed) : allowed_(allowed) {}
  // Seconds the address must still wait (0: it may try now).
  int wait_seconds(const std::string& addr) {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = m_.find(addr);
    if (it == m_.end()) return 0;
    auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(it->second.until - Clock::now()).count();
    return left_ms > 0 ? (int)((left_ms + 999) / 1000) : 0;
  }
  void failed(const std::string& addr) {
    std::lock_guard<std::mutex> lk(mu_);
    if (m_.size() > 10000) {  // forget addresses that may try again, so the map stays bounded
      for (auto it = m_.begin(); it != m_.end();) it = it->second.until <= Clock::now() ? m_.erase(it) : std::next(it);
      if (m_.size() > 10000) m_.clear();
    }
    Entry& e = m_[addr];
    ++e.failures;
    if (e.failures >= allowed_) {
      const int over = std::min(e.failures - allowed_, 8);  // 1 s .. 256 s, then 300 s
      e.until = Clock::now() + std::chrono::seconds(std::min(300, 1 << over));
    }
  }
  void succeeded(const std::string& addr) {
    std::lock_guard<std::mutex> lk(mu_);
    m_.erase(addr);
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    int failures = 0;
    Clock::time_point until{};
  };
  int allowed_;
  std::mutex mu_;
  std::map<std::string, Entry> m_;
};

struct MonitorServer::Impl {
  MonitorOptions opts;
  RunCatalog cat;
  EventHub hub;
  EventSources sources;
  LoginThrottle logins;
  GuardedServer svr;
  std::thread thread;
  std::atomic<int> event_clients{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<bool> stopping{false};
  int port = -1;
  bool started = false;
  // The last few series bodies, keyed by the rows they came from and the query: every page
  // showing a run asks for the same series after each update, so most requests are a lookup.
  std::mutex series_mu;
  struct SeriesEntry {
    Rows rows;  // held so its address, part of the key, cannot be reused by another vector
    std::string body, gzipped;
  };
  std::map<std::string, std::shared_ptr<SeriesEntry>> series_cache;
  void send_series(const Request& req, Response& res, const std::string& run, int64_t from, int64_t to, int width);
  std::mutex state_mu;
  std::condition_variable state_cv;
  bool stopped = false;
  // Per connected event stream: the hub id it has sent everything up to (events of other runs
  // count as sent), so finish() knows when every page has the final state.
  std::mutex streams_mu;
  std::condition_variable streams_cv;
  std::map<const void*, uint64_t> stream_sent;
  void mark_sent(const void* stream, uint64_t id) {
    std::lock_guard<std::mutex> lk(streams_mu);
    auto it = stream_sent.find(stream);
    if (it != stream_sent.end() && it->second < id) it->second = id;
    streams_cv.notify_all();
  }

  Impl(const MonitorOptions& o, Storage& storage, const RunState* live)
      : opts(o), cat(storage, live), sources(cat, hub, o.poll_seconds), logins(o.login_failures_allowed) {}

  void register_routes();
  void serve_page(const Request& req, Response& res, const std::string& run, int epoch);
  void serve_events(const Request& req, Response& res);
  void serve_file(const Request& req, Response& res);
  void serve_metrics(Response& res);
};

namespace {

void send_json(Response& res, const std::string& body, int status = 200) {
  res.status = status;
  res.set_header("Cache-Control", "no-cache");
  res.set_content(body, "application/json");
}

void json_error(Response& res, int status, const std::string& message) {
  send_json(res, error_json(message), status);
}

std::string simple_page(const std::string& title, const std::string& body_html) {
  return "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport "
         "content='width=device-width,initial-scale=1'><title>" + html_escape(title) +
         "</title><link rel=stylesheet href=/assets/app.css><link rel=icon href=/assets/favicon.svg></head><body class=simple><main class=card><h1>" +
         html_escape(title) + "</h1>" + body_html + "</main></body></html>";
}

// The page loads nothing from elsewhere; images may come from a presigned storage URL (https only:
// serve_file proxies storage whose presigned URLs are plain http).
// Inline styles are allowed for the chart tooltip's colour swatches; scripts only from /assets/.
constexpr const char* kPagePolicy =
    "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'";

void not_found_page(Response& res, const std::string& what) {
  res.set_header("Content-Security-Policy", kPagePolicy);
  res.status = 404;
  res.set_content(simple_page("Not found", "<p>" + html_escape(what) +
                                               "</p><p><a href=/>All runs</a></p>"),
                  "text/html; charset=utf-8");
}

int64_t int64_param(const Request& req, const char* name, int64_t fallback) {
  if (!req.has_param(name)) return fallback;
  try {
    return std::stoll(req.get_param_value(name));
  } catch (...) {
    return fallback;
  }
}

int int_param(const Request& req, const char* name, int fallback) {
  const int64_t v = int64_param(req, name, fallback);
  return v < INT_MIN || v > INT_MAX ? fallback : (int)v;
}

// Wraps a handler: a Storage failure (network, permissions) becomes a 503, never a 500. The
// client gets a generic text; what failed (a path, a key ID, a role name) goes to the log.
httplib::Server::Handler guarded(httplib::Server::Handler h) {
  return [h](const Request& req, Response& res) {
    try {
      h(req, res);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "monitor: %s %s: storage error: %s\n", req.method.c_str(), req.path.c_str(), e.what());
      res.headers.clear();
      if (req.path.rfind("/api/", 0) == 0) {
        json_error(res, 503, "storage unavailable (the monitor's log has the details)");
      } else {
        res.status = 503;
        res.set_content(simple_page("Storage unavailable", "<p>The storage could not be read; the monitor's log has the details.</p>"),
                        "text/html; charset=utf-8");
      }
    }
  };
}

}  // namespace

void MonitorServer::Impl::send_series(const Request& req, Response& res, const std::string& run, int64_t from,
                                      int64_t to, int width) {
  RowsResult rows = cat.rows(run);
  char key[320];
  std::snprintf(key, sizeof key, "%p:%zu:%lld:%lld:%d:%s", (const void*)rows.rows.get(), rows.rows->size(),
                (long long)from, (long long)to, width, run.c_str());
  const bool gz = accepts_gzip(req.get_header_value("Accept-Encoding"));
  std::shared_ptr<SeriesEntry> e;
  {
    std::lock_guard<std::mutex> lk(series_mu);
    auto it = series_cache.find(key);
    if (it != series_cache.end()) e = it->second;
  }
  if (!e) {
    e = std::make_shared<SeriesEntry>();
    e->rows = rows.rows;
    e->body = api_series(rows, from, to, width);
    if (gz) e->gzipped = gzip_compress(e->body, 4);
    std::lock_guard<std::mutex> lk(series_mu);
    if (series_cache.size() >= 32) series_cache.clear();
    series_cache[key] = e;
  } else if (gz && e->gzipped.empty()) {
    std::string z = gzip_compress(e->body, 4);
    std::lock_guard<std::mutex> lk(series_mu);
    if (e->gzipped.empty()) e->gzipped = std::move(z);
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_header("Vary", "Accept-Encoding");
  // "; charset=utf-8" makes the type one cpp-httplib does not compress again.
  if (gz) {
    std::string z;
    {
      std::lock_guard<std::mutex> lk(series_mu);
      z = e->gzipped;
    }
    res.set_header("Content-Encoding", "gzip");
    res.set_content(z, "application/json; charset=utf-8");
  } else {
    res.set_content(e->body, "application/json; charset=utf-8");
  }
}

void MonitorServer::Impl::serve_page(const Request& req, Response& res, const std::string& run, int epoch) {
  if (!run.empty() && !cat.has_run(run)) return not_found_page(res, "No run named \"" + run + "\".");
  if (epoch >= 0) {
    bool found = false;
    for (int e : cat.epochs(run)) found |= e == epoch;
    if (!found) return not_found_page(res, "Run \"" + run + "\" has no evaluation epoch " + std::to_string(epoch) + ".");
  }
  const Asset* a = find_asset("index.html");
  res.set_header("Cache-Control", "no-cache");
  res.set_header("Content-Security-Policy", kPagePolicy);
  res.set_content(reinterpret_cast<const char*>(a->data), a->size, a->content_type);
}

void MonitorServer::Impl::serve_file(const Request& req, Response& res) {
  std::string rest = req.path.substr(std::string("/files/").size());
  auto segs = split_safe_path(rest);
  if (!segs || segs->size() < 2) {
    res.status = 400;
    res.set_content("bad artifact path: use /files/<run>/<file>, without '..', '%', '\\' or empty segments\n",
                    "text/plain; charset=utf-8");
    return;
  }
  if (!is_served_artifact(*segs)) return not_found_page(res, "No such artifact.");
  Storage& st = cat.storage();
  std::optional<ObjectInfo> info = st.stat(rest);
  if (!info) return not_found_page(res, "No file \"" + rest + "\" (yet).");
  // Only https links go to the browser: the page's policy allows images from https: (and not from
  // plain http:, which a page served over https could not load either), and an http:// endpoint
  // (MinIO or Ceph on a LAN) is often out of the browser's reach anyway. Those bytes come through
  // the monitor instead, as do those of storage that makes no links with the credentials it has
  // (a VM's identity alone, a SAS that may write): PresignUnavailable says how to get one, which
  // matters to `./gan --presign`, not to a viewer.
  std::string url;
  try {
    url = st.presign(rest, 3600);
  } catch (const PresignUnavailable&) {
  }
  if (url.rfind("https://", 0) == 0) {
    res.set_redirect(url, 302);
    return;
  }
  // Streamed from one reader in pieces: a checkpoint is never held in memory per request.
  std::shared_ptr<ObjectReader> reader = st.open_reader(rest);
  if (!reader) return not_found_page(res, "No file \"" + rest + "\" (yet).");
  const std::string& name = segs->back();
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Content-Type-Options", "nosniff");
  // An artifact opened on its own (an SVG chart can hold script) runs in a sandbox: no script,
  // and an origin of its own, whatever is in storage.
  res.set_header("Content-Security-Policy", "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'");
  if (is_download(name)) res.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
  const int64_t size = reader->size();
  if (size == 0) return res.set_content("", content_type_for(name));
  auto buf = std::make_shared<std::vector<char>>(64 * 1024);
  res.set_content_provider((size_t)size, content_type_for(name),
                           [reader, buf, rest](size_t offset, size_t length, httplib::DataSink& sink) {
                             size_t got = 0;
                             try {
                               got = reader->read_at((int64_t)offset, buf->data(), std::min(length, buf->size()));
                             } catch (const std::exception& e) {
                               std::fprintf(stderr, "monitor: reading %s: %s\n", rest.c_str(), e.what());
                               return false;
                             }
                             if (got == 0) return false;  // the file shrank under us: end the connection
                             return sink.write(buf->data(), got);
                           });
}

void MonitorServer::Impl::serve_events(const Request& req, Response& res) {
  const std::string run = req.get_param_value("run");
  if (!run.empty() && !is_safe_segment(run)) return json_error(res, 400, "bad run id");
  if (event_clients.fetch_add(1) >= opts.max_event_clients) {
    --event_clients;
    res.set_header("Retry-After", "10");
    return json_error(res, 503, "too many event streams; the limit is max_event_clients");
  }
  if (!run.empty()) sources.watch(run);
  struct Stream {
    uint64_t last = 0;
    bool hello = false;
    std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
  };
  auto st = std::make_shared<Stream>();
  st->last = hub.last_id();
  std::string resume = req.get_header_value("Last-Event-ID");
  if (!resume.empty()) {
    try {
      uint64_t id = std::stoull(resume);
      if (id <= st->last) st->last = id;
    } catch (...) {
    }
  }
  {
    std::lock_guard<std::mutex> lk(streams_mu);
    stream_sent[st.get()] = st->last;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, st, run](size_t, httplib::DataSink& sink) {
        if (stopping || hub.closed()) {
          sink.done();
          return true;
        }
        std::string out;
        if (!st->hello) {
          st->hello = true;
          out += "retry: 2000\nevent: hello\ndata: " + run_event_json(run, "id", (int64_t)st->last) + "\n\n";
        } else {
          bool gap = false;
          std::vector<Event> evs = hub.wait(st->last, 1000, &gap);
          if (gap) out += "event: reload\ndata: {}\n\n";
          for (const Event& e : evs) {
            st->last = e.id;
            if (!e.run.empty() && e.run != run) continue;
            out += "id: " + std::to_string(e.id) + "\nevent: " + e.type + "\ndata: " + e.data + "\n\n";
          }
        }
        auto now = std::chrono::steady_clock::now();
        if (out.empty() && now - st->last_write > std::chrono::seconds(15)) out = ": keepalive\n\n";
        if (out.empty()) {
          mark_sent(st.get(), st->last);  // nothing of this run's: it has everything up to last
          return sink.is_writable();
        }
        st->last_write = now;
        if (!sink.write(out.data(), out.size())) return false;
        mark_sent(st.get(), st->last);
        return true;
      },
      [this, run, st](bool) {
        if (!run.empty()) sources.unwatch(run);
        --event_clients;
        std::lock_guard<std::mutex> lk(streams_mu);
        stream_sent.erase(st.get());
        streams_cv.notify_all();
      });
}

static void prom(std::string& o, const char* name, const char* help, const char* type, double v,
                 const std::string& labels = "") {
  o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + labels + " ";
  char buf[40];
  if (std::isnan(v)) std::snprintf(buf, sizeof buf, "NaN");
  else std::snprintf(buf, sizeof buf, "%.9g", v);
  o += buf;
  o += "\n";
}

void MonitorServer::Impl::serve_metrics(Response& res) {
  std::string o;
  prom(o, "gan_monitor_event_clients", "Connected Server-Sent-Events streams.", "gauge", event_clients.load());
  prom(o, "gan_monitor_requests_total", "HTTP requests served.", "counter", (double)requests.load());
  if (const RunState* live = cat.live()) {
    RunState::Snapshot s = live->snapshot(INT64_MAX);
    RunState::Snapshot last = live->snapshot(s.total_rows > 0 ? s.total_rows - 1 : 0);
    std::string run_label;  // Prometheus label value: escape backslash, quote and newline
    for (char ch : s.run_id) run_label += ch == '\\' ? "\\\\" : ch == '"' ? "\\\"" : ch == '\n' ? "\\n" : std::string(1, ch);
    const std::string l = "{run=\"" + run_label + "\"}";
    prom(o, "gan_training_live", "1 while this process trains.", "gauge", s.progress.live ? 1 : 0, l);
    prom(o, "gan_epoch", "Current epoch (1-based).", "gauge", s.progress.epoch, l);
    prom(o, "gan_epochs", "Epochs in the run.", "gauge", s.progress.epochs, l);
    prom(o, "gan_minibatches_total", "Mini-batches trained.", "counter", (double)s.total_rows, l);
    prom(o, "gan_images_per_second", "Training throughput.", "gauge", s.progress.images_per_sec, l);
    prom(o, "gan_eta_seconds", "Estimated seconds to the end of the run.", "gauge", s.progress.eta_seconds, l);
    prom(o, "gan_upload_queue_length", "Artifacts waiting to be uploaded.", "gauge", (double)s.upload_queue, l);
    prom(o, "gan_evaluation_epochs_total", "Evaluation epochs done.", "counter", (double)s.evals.size(), l);
    if (!last.rows.empty()) {
      // The last mini-batch's metrics, in downsample.h's order (kMetricNames, metric_value).
      static const char* const kGauges[kMetricCount][2] = {
          {"gan_d_loss_real", "Discriminator loss on real images, last mini-batch."},
          {"gan_d_loss_fake", "Discriminator loss on generated images, last mini-batch."},
          {"gan_g_loss", "Generator (GAN) loss, last mini-batch."},
          {"gan_class_loss", "Auxiliary classifier loss, last mini-batch."},
          {"gan_d_accuracy_real", "Discriminator accuracy on real images, last mini-batch."},
          {"gan_d_accuracy_fake", "Discriminator accuracy on generated images, last mini-batch."},
          {"gan_class_accuracy", "Auxiliary classifier accuracy, last mini-batch."}};
      for (int m = 0; m < kMetricCount; ++m)
        prom(o, kGauges[m][0], kGauges[m][1], "gauge", metric_value(last.rows.back(), m), l);
    }
    // The newest evaluation epoch's quality metrics (summary.json) and best.json's epoch.
    std::vector<std::string> ignored;
    const std::vector<QualityPoint> qs = quality_points(cat, s.run_id, ignored, /*newest_only=*/true);
    if (!qs.empty()) {
      const QualityPoint& q = qs.back();
      prom(o, "gan_quality_epoch", "Evaluation epoch of the quality metrics below.", "gauge", q.epoch, l);
      prom(o, "gan_frechet_distance", "Frechet distance of generated to held-out real images (evaluator features).", "gauge", q.fd, l);
      prom(o, "gan_class_agreement", "Fraction of generated images the evaluator assigns to their conditioning label.", "gauge", q.class_agreement, l);
      prom(o, "gan_precision", "Precision (k-NN manifolds, evaluator features).", "gauge", q.precision, l);
      prom(o, "gan_recall", "Recall (k-NN manifolds, evaluator features).", "gauge", q.recall, l);
      prom(o, "gan_evaluator_accuracy", "Held-out accuracy of the evaluator classifier.", "gauge", q.evaluator_accuracy, l);
    }
    const int best = best_epoch(cat, s.run_id, nullptr, ignored);
    if (best >= 0) prom(o, "gan_best_epoch", "Best evaluation epoch so far (best.json).", "gauge", best, l);
  }
  res.set_content(o, "text/plain; version=0.0.4; charset=utf-8");
}

void MonitorServer::Impl::register_routes() {
  const size_t threads = (size_t)std::max(4, opts.workers > 0 ? opts.workers : opts.max_event_clients + 32);
  const size_t queued = (size_t)std::max(0, opts.max_queued_connections);
  svr.new_task_queue = [threads, queued] { return new WorkerPool(threads, queued); };
  svr.limits.header_timeout_ms = opts.header_timeout_ms;
  svr.limits.max_per_client = std::max(1, opts.max_connections_per_client);
  svr.set_read_timeout(std::max(1, std::min(5, (opts.header_timeout_ms + 999) / 1000)), 0);
  // An exception outside guarded() answers a generic 500 (httplib would put what() in a header).
  svr.set_exception_handler([](const Request& req, Response& res, std::exception_ptr ep) {
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "monitor: %s %s: %s\n", req.method.c_str(), req.path.c_str(), e.what());
    } catch (...) {
    }
    res.headers.clear();
    res.status = 500;
    res.set_content("internal error\n", "text/plain; charset=utf-8");
  });
  // Idle keep-alive connections hold a worker too: let them go quickly.
  svr.set_keep_alive_timeout(2);
  // Headers and body go out in separate writes: without this, Nagle's algorithm and the client's
  // delayed ACK add ~40 ms to every small response.
  svr.set_tcp_nodelay(true);
  svr.set_keep_alive_max_count(100);
  svr.set_payload_max_length(64 * 1024);  // only the login form posts
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second gan on the
  // same port bind silently and take half the connections, instead of failing with a clear error.
  svr.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  svr.set_pre_routing_handler([this](const Request& req, Response& res) {
    ++requests;
    if (opts.token.empty()) {
      // No token means loopback only; a page on another site that rebinds its name to 127.0.0.1
      // still sends its own name as Host.
      if (req.has_header("Host") && !host_allowed(req.get_header_value("Host"), opts.bind)) {
        res.status = 403;
        res.set_content("this monitor answers only to localhost, 127.0.0.1 or [::1]; to open it to other "
                        "names, give it a token (--monitor-token-file)\n",
                        "text/plain; charset=utf-8");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    }
    const std::string& p = req.path;
    if (p == "/healthz" || p == "/login" || p.rfind("/assets/", 0) == 0) return httplib::Server::HandlerResponse::Unhandled;
    if (token_ok(opts.token, req.get_header_value("Authorization"), req.get_header_value("Cookie")))
      return httplib::Server::HandlerResponse::Unhandled;
    // The URL printed at start (…/?token=…): a page sets the login cookie and drops the token
    // from the address bar; a script's request simply passes.
    if (req.has_param("token") && logins.wait_seconds(req.remote_addr) == 0) {
      if (constant_time_equal(req.get_param_value("token"), opts.token)) {
        logins.succeeded(req.remote_addr);
        if (req.method == "GET" && p.rfind("/api/", 0) != 0 && p != "/events" && p != "/metrics" && p.rfind("/files/", 0) != 0) {
          res.set_header("Set-Cookie", std::string(kTokenCookie) + "=" + opts.token + "; Path=/; HttpOnly; SameSite=Strict");
          res.set_redirect(safe_next(p), 303);
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      }
      logins.failed(req.remote_addr);
    }
    const bool page = req.method == "GET" && p.rfind("/api/", 0) != 0 && p != "/events" && p != "/metrics" &&
                      p.rfind("/files/", 0) != 0;
    if (page) {
      res.set_redirect("/login?next=" + uri_encode(p, false), 303);
    } else {
      res.set_header("WWW-Authenticate", "Bearer realm=\"gan monitor\"");
      json_error(res, 401, "this monitor needs its token: send 'Authorization: Bearer <token>' or log in at /login");
    }
    return httplib::Server::HandlerResponse::Handled;
  });

  svr.Get("/healthz", [](const Request&, Response& res) { res.set_content("ok\n", "text/plain"); });
  svr.Get("/metrics", guarded([this](const Request&, Response& res) { serve_metrics(res); }));

  svr.Get("/login", [this](const Request& req, Response& res) {
    const std::string next = safe_next(req.get_param_value("next"));
    std::string body = opts.token.empty() ? "<p>This monitor has no token; nothing to log in to.</p>" : "";
    body += "<form method=post action=/login><label>Access token <input type=password name=token autofocus></label>"
            "<input type=hidden name=next value=\"" + html_escape(next) + "\"><button>Open</button></form>";
    if (req.has_param("failed")) body += "<p class=error>That token is not the one this monitor was started with.</p>";
    res.set_header("Content-Security-Policy", kPagePolicy);
    res.set_content(simple_page("gan monitor: log in", body), "text/html; charset=utf-8");
  });
  svr.Post("/login", [this](const Request& req, Response& res) {
    const std::string next = safe_next(req.get_param_value("next"));
    const std::string given = req.get_param_value("token");
    if (int wait = logins.wait_seconds(req.remote_addr)) {
      res.status = 429;
      res.set_header("Retry-After", std::to_string(wait));
      res.set_header("Content-Security-Policy", kPagePolicy);
      res.set_content(simple_page("gan monitor: log in", "<p class=error>Too many wrong tokens from this address; try again in " +
                                                            std::to_string(wait) + " s.</p>"),
                      "text/html; charset=utf-8");
      return;
    }
    if (opts.token.empty() || !constant_time_equal(given, opts.token)) {
      if (!opts.token.empty()) logins.failed(req.remote_addr);
      res.set_redirect("/login?failed=1&next=" + uri_encode(next, false), 303);
      return;
    }
    logins.succeeded(req.remote_addr);
    res.set_header("Set-Cookie", std::string(kTokenCookie) + "=" + opts.token + "; Path=/; HttpOnly; SameSite=Strict");
    res.set_redirect(next, 303);
  });

  svr.Get("/assets/([^/]+)", [](const Request& req, Response& res) {
    const Asset* a = find_asset(req.matches[1]);
    if (!a) return not_found_page(res, "No such page asset.");
    res.set_header("Cache-Control", "no-cache");
    res.set_content(reinterpret_cast<const char*>(a->data), a->size, a->content_type);
  });

  svr.Get("/favicon.ico", [](const Request&, Response& res) {  // browsers ask before reading <link rel=icon>
    const Asset* a = find_asset("favicon.svg");
    res.set_content(reinterpret_cast<const char*>(a->data), a->size, a->content_type);
  });
  svr.Get("/api/runs", guarded([this](const Request&, Response& res) { send_json(res, api_runs(cat)); }));
  svr.Get("/api/live", guarded([this](const Request&, Response& res) {
    if (!cat.live()) return json_error(res, 404, "this process trains nothing (standalone monitor)");
    send_json(res, progress_json(cat.live()->snapshot(INT64_MAX)));
  }));
  auto run_or_404 = [this](const Request& req, Response& res, std::string* run) {
    *run = req.matches[1];
    if (!cat.has_run(*run)) {
      json_error(res, 404, "no run named \"" + *run + "\"");
      return false;
    }
    return true;
  };
  auto epoch_or_404 = [this](const Request& req, Response& res, const std::string& run, int* epoch) {
    *epoch = parse_epoch(req.matches[2]);
    bool found = false;
    if (*epoch >= 0)
      for (int e : cat.epochs(run)) found |= e == *epoch;
    if (!found) json_error(res, 404, "run \"" + run + "\" has no evaluation epoch \"" + std::string(req.matches[2]) + "\"");
    return found;
  };
  svr.Get("/api/runs/([^/]+)", guarded([this, run_or_404](const Request& req, Response& res) {
    std::string run;
    if (run_or_404(req, res, &run)) send_json(res, api_run(cat, run));
  }));
  svr.Get("/api/runs/([^/]+)/series", guarded([this, run_or_404](const Request& req, Response& res) {
    std::string run;
    if (!run_or_404(req, res, &run)) return;
    send_series(req, res, run, int64_param(req, "from", INT64_MIN), int64_param(req, "to", INT64_MAX),
                std::clamp(int_param(req, "width", 1000), 1, 20000));
  }));
  svr.Get("/api/runs/([^/]+)/epochs/([^/]+)", guarded([this, run_or_404, epoch_or_404](const Request& req, Response& res) {
    std::string run;
    int epoch;
    if (run_or_404(req, res, &run) && epoch_or_404(req, res, run, &epoch)) send_json(res, api_epoch(cat, run, epoch));
  }));
  svr.Get("/api/runs/([^/]+)/epochs/([^/]+)/rows",
          guarded([this, run_or_404, epoch_or_404](const Request& req, Response& res) {
            std::string run;
            int epoch;
            if (run_or_404(req, res, &run) && epoch_or_404(req, res, run, &epoch))
              send_json(res, api_rows(cat.epoch_rows(run, epoch), int_param(req, "page", 0), int_param(req, "per_page", 50)));
          }));
  svr.Get("/api/runs/([^/]+)/quality", guarded([this, run_or_404](const Request& req, Response& res) {
    std::string run;
    if (run_or_404(req, res, &run)) send_json(res, api_quality(cat, run));
  }));
  svr.Get("/api/compare", guarded([this](const Request& req, Response& res) {
    std::vector<std::string> runs;
    const std::string list = req.has_param("runs") ? req.get_param_value("runs") : "";
    size_t start = 0;
    while (start <= list.size() && !list.empty()) {
      size_t comma = list.find(',', start);
      std::string r = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!r.empty() && std::find(runs.begin(), runs.end(), r) == runs.end()) runs.push_back(r);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (runs.size() < 2 || runs.size() > 8)
      return json_error(res, 400, "compare needs 2 to 8 run ids, comma-separated: /api/compare?runs=<run>,<run>");
    for (const std::string& r : runs)
      if (!cat.has_run(r)) return json_error(res, 404, "no run named \"" + r + "\"");
    send_json(res, api_compare(cat, runs, std::clamp(int_param(req, "width", 400), 1, 4000)));
  }));
  svr.Get("/api/.*", [](const Request&, Response& res) {
    json_error(res, 404, "no such API route; see the README's monitor section for the list");
  });

  svr.Get("/events", guarded([this](const Request& req, Response& res) { serve_events(req, res); }));
  svr.Get("/files/.*", guarded([this](const Request& req, Response& res) { serve_file(req, res); }));

  svr.Get("/", guarded([this](const Request& req, Response& res) { serve_page(req, res, "", -1); }));
  svr.Get("/([^/]+)/?", guarded([this](const Request& req, Response& res) {
    const std::string run = req.matches[1];
    if (!is_safe_segment(run)) return not_found_page(res, "That is not a run name.");
    serve_page(req, res, run, -1);
  }));
  svr.Get("/([^/]+)/([^/]+)/?", guarded([this](const Request& req, Response& res) {
    const std::string run = req.matches[1];
    const int epoch = parse_epoch(req.matches[2]);
    if (!is_safe_segment(run) || epoch < 0) return not_found_page(res, "No such run or evaluation epoch.");
    serve_page(req, res, run, epoch);
  }));
  svr.Get(".*", [](const Request&, Response& res) { not_found_page(res, "There is no page here."); });
}

MonitorServer::MonitorServer(const MonitorOptions& opts, Storage& storage, const RunState* live)
    : impl_(std::make_unique<Impl>(opts, storage, live)) {}

MonitorServer::~MonitorServer() {
  try {
    stop();
  } catch (...) {
  }
}

void MonitorServer::start() {
  Impl& m = *impl_;
  if (m.started) throw std::logic_error("MonitorServer::start called twice");
  const std::string problem = token_problem(m.opts.token);
  if (!problem.empty())
    throw std::invalid_argument("monitor token (--monitor-token, --monitor-token-file or GAN_MONITOR_TOKEN): " + problem);
  // Reachable from other machines: never without a token.
  const bool generated = m.opts.token.empty() && !is_loopback_host(m.opts.bind);
  if (generated) m.opts.token = generate_monitor_token();
  raise_open_file_limit();
  m.register_routes();
  int port = m.opts.port;
  if (port == 0) {
    port = m.svr.bind_to_any_port(m.opts.bind);
  } else if (!m.svr.bind_to_port(m.opts.bind, port)) {
    port = -1;
  }
  if (port <= 0) {
    throw std::runtime_error("monitor: cannot listen on " + m.opts.bind + ":" + std::to_string(m.opts.port) +
                             " (port in use, or not an address of this machine); pick another with "
                             "--monitor-port/--monitor-bind, or --no-monitor");
  }
  m.port = port;
  m.started = true;
  m.sources.start();
  m.thread = std::thread([&m] {
    lower_thread_priority();
    m.svr.listen_after_bind();
  });
  // httplib's stop() does nothing until the accept loop is running, so a stop() right after
  // start() would leave the listener blocked in accept forever: return only once it runs.
  for (int i = 0; i < 5000 && !m.svr.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!m.opts.quiet) {
    if (generated) {
      std::fprintf(stderr,
                   "monitor: %s listens on %s, which other machines can reach, so it needs a token; this one is new "
                   "for this run (set your own with --monitor-token-file FILE):\nmonitor: %s\n",
                   url().c_str(), m.opts.bind.c_str(), login_url().c_str());
    } else {
      std::fprintf(stderr, "monitor: %s\n", url().c_str());
    }
  }
}

void MonitorServer::stop() {
  Impl& m = *impl_;
  if (!m.started || m.stopping.exchange(true)) return;
  m.hub.close();  // event streams return and end their responses
  m.sources.stop();
  m.svr.stop();
  if (m.thread.joinable()) m.thread.join();
  std::lock_guard<std::mutex> lk(m.state_mu);
  m.stopped = true;
  m.state_cv.notify_all();
}

int MonitorServer::finish(int linger_ms) {
  Impl& m = *impl_;
  if (!m.started || m.stopping) return 0;
  // The producers stop first, so the final publication below is the last word on the live run.
  m.sources.stop();
  m.sources.publish_live();
  const uint64_t final_id = m.hub.last_id();
  int clients;
  {
    std::unique_lock<std::mutex> lk(m.streams_mu);
    clients = (int)m.stream_sent.size();
    m.streams_cv.wait_for(lk, std::chrono::milliseconds(std::max(0, linger_ms)), [&] {
      for (const auto& s : m.stream_sent)
        if (s.second < final_id) return false;
      return true;
    });
  }
  stop();
  return clients;
}

void MonitorServer::wait() {
  Impl& m = *impl_;
  std::unique_lock<std::mutex> lk(m.state_mu);
  m.state_cv.wait(lk, [&] { return m.stopped || !m.started; });
}

int MonitorServer::port() const { return impl_->port; }

const std::string& MonitorServer::token() const { return impl_->opts.token; }

int MonitorServer::open_connections() const { return impl_->svr.open_connections(); }

std::string MonitorServer::login_url() const {
  return impl_->opts.token.empty() ? url() : url() + "?token=" + impl_->opts.token;
}

std::string MonitorServer::url() const {
  std::string host = impl_->opts.bind;
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host.find(':') != std::string::npos && host[0] != '[') host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(impl_->port) + "/";
}

}  // namespace gan::http
