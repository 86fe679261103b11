// The request engine and the part upload driver; see engine.h.
#include "cloud/engine.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <set>
#include <thread>

#include "cloud/xml.h"
#include "common/dates.h"

namespace cloud {

HttpResponse ObjectClient::execute(Call& call) {
  RetryPolicy policy = options_.retry;
  if (call.max_attempts > 0) policy.max_attempts = call.max_attempts;
  const std::atomic<bool>* cancel = call.ignores_cancel ? nullptr : &cancelled_;
  Backoff backoff(policy, cancel);
  unsigned used = 0;
  auto no_answer = [](const std::string& what, const char* code, const std::string& message) {  // all transient
    ErrorInfo info;
    info.code = code;
    info.message = message;
    return Error(what, info, true);
  };
  auto cancelled_error = [&] {
    return no_answer(call.op + " " + target(call) +
                         " cancelled before it finished (the caller stopped waiting); it can be made again later",
                     "Cancelled", "cancelled");
  };
  auto retry = [&] {  // true: try again now; a cancelled wait throws
    if (backoff.wait()) return true;
    if (backoff.cancelled()) throw cancelled_error();
    return false;
  };
  auto has = [](const std::vector<long>& v, long x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  for (;;) {
    if (cancel && cancel->load()) throw cancelled_error();
    HttpRequest req = prepare(call);
    static_cast<Transfer&>(req) = call;  // the body, where the answer goes, its limits, the timeout
    req.cancel = cancel;
    HttpResponse resp;
    try {
      resp = transport_.perform(req);
    } catch (const TransportError& e) {
      if (e.cancelled) throw cancelled_error();
      if (retry()) continue;
      throw no_answer(call.op + " " + target(call) + " failed after " + std::to_string(backoff.attempt()) +
                          " attempts: " + e.what() + ". Check the network and the endpoint (" + endpoint_url() + ").",
                      e.timed_out ? "Timeout" : "ConnectionFailed", e.what());
    }
    const bool ok = has({200, 201, 202, 204, 206}, resp.status) && !(call.error_in_200 && is_error_body(resp.body));
    if (ok || has(call.quiet_statuses, resp.status)) return resp;
    ErrorInfo err = parse_error(resp);
    if (recover(call, resp, err, used)) continue;
    if (transient(err) && retry()) continue;
    throw failure(call, err);
  }
}

std::string ObjectClient::send_put(Call& c, const std::string& content_type) {
  c.headers = names_.put_headers;
  if (!content_type.empty()) c.headers.emplace_back(names_.content_type, content_type);
  return execute(c).header("etag");
}

std::string ObjectClient::put(const std::string& bucket, const std::string& key, const std::string& bytes,
                              const std::string& content_type) {
  Call c("PUT", "PUT", bucket, key);
  c.body = bytes;
  return send_put(c, content_type);
}

std::string ObjectClient::put_file(const std::string& bucket, const std::string& key, const std::string& path,
                                   const std::string& content_type) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot upload '" + path + "': " + std::strerror(errno));
  const int64_t size = static_cast<int64_t>(st.st_size);
  if (size > options_.multipart_threshold) {
    const int64_t part = choose_part_size(size, options_.part_size, names_.min_part, names_.max_parts);
    return upload_parts(size, part, options_.concurrency, parted_upload(bucket, key, path, size, content_type));
  }
  Call c("PUT", "PUT", bucket, key);
  c.body_file = path;
  c.body_length = size;
  return send_put(c, content_type);
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
  return Object{key, std::atoll(r.header("content-length").c_str()),
                std::max<int64_t>(gan::parse_http_date(r.header("last-modified")), 0), r.header("etag"),
                r.header("content-type")};
}

void ObjectClient::remove(const std::string& bucket, const std::string& key) {
  Call c("DELETE", "DELETE", bucket, key);
  c.quiet_statuses = {404};  // deleting what is not there is done
  execute(c);
}

Listing ObjectClient::list(const std::string& bucket, const std::string& prefix, const std::string& delimiter,
                           int page_size) {
  const ListingNames& n = names_.listing;
  Listing out;
  std::string token;
  Call page("LIST", "GET", bucket);
  page.prefix = prefix;
  page.query = n.query;
  if (!prefix.empty()) page.query.emplace_back("prefix", prefix);
  if (!delimiter.empty()) page.query.emplace_back("delimiter", delimiter);
  if (page_size > 0) page.query.emplace_back(n.page_size, std::to_string(page_size));
  // A faulty server or proxy answering "truncated" with a token it gave before, or with new tokens
  // without end, would keep gan listing forever. 10,000 pages: 10 million objects at S3's 1,000 a page.
  constexpr size_t kMaxPages = 10000;
  std::set<std::string> seen;
  for (;;) {
    Call c = page;
    if (!token.empty()) c.query.emplace_back(n.token, token);
    const XmlNode doc = parse_xml(execute(c).body);  // expat skips Azure's byte order mark
    if (const XmlNode* entries = n.entries.empty() ? &doc : doc.child(n.entries)) {
      for (const XmlNode* e : entries->children_named(n.entry)) {
        Object& o = out.objects.emplace_back();
        o.key = e->child_text(n.name);
        if (const XmlNode* p = n.properties.empty() ? e : e->child(n.properties)) {
          o.size = std::atoll(p->child_text(n.size).c_str());
          o.etag = p->child_text(n.etag);
          o.content_type = p->child_text(n.content_type);  // "": never an element
          o.last_modified = std::max<int64_t>(n.parse_time(p->child_text(n.last_modified)), 0);
        }
      }
      for (const XmlNode* p : entries->children_named(n.prefix_entry)) out.common_prefixes.push_back(p->child_text(n.prefix_name));
    }
    token = doc.child_text(n.next_token);
    if (token.empty() || (!n.truncated.empty() && doc.child_text(n.truncated) != "true")) break;
    if (!seen.insert(token).second)
      throw std::runtime_error("LIST " + target(page) + ": the server answered page " +
                               std::to_string(seen.size() + 1) +
                               " as truncated with a continuation token it had already given; stopping " +
                               "rather than listing the same pages forever (a faulty server or proxy?)");
    if (seen.size() >= kMaxPages)
      throw std::runtime_error("LIST " + target(page) + ": more than " + std::to_string(kMaxPages) +
                               " pages and the server still says truncated; stopping (a faulty server or proxy?)");
  }
  return out;
}

int64_t choose_part_size(int64_t file_size, int64_t preferred, int64_t min_part, int max_parts) {
  constexpr int64_t kMiB = 1 << 20;
  int64_t part = std::max(preferred, min_part);
  int64_t needed = (file_size + max_parts - 1) / max_parts;  // the smallest part giving <= max_parts
  if (needed > part) part = (needed + kMiB - 1) / kMiB * kMiB;
  return part;
}

std::string upload_parts(int64_t size, int64_t part, int concurrency, const PartedUpload& up) {
  const int parts = static_cast<int>((size + part - 1) / part);
  std::vector<std::string> tags(static_cast<size_t>(parts));
  std::atomic<int> next{0};
  std::mutex mu;
  std::exception_ptr first_error;
  auto worker = [&] {
    for (int i = next++; i < parts; i = next++) {
      const int64_t offset = static_cast<int64_t>(i) * part;
      try {
        tags[static_cast<size_t>(i)] = up.send_part(i, offset, std::min(part, size - offset));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!first_error) first_error = std::current_exception();
        next = parts;  // hand out no more
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0, n = std::max(1, std::min(concurrency, parts)); t < n; t++) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  try {
    if (first_error) std::rethrow_exception(first_error);
    return up.commit(tags);
  } catch (...) {
    const std::string etag = !first_error && up.committed_anyway ? up.committed_anyway() : "";
    if (!etag.empty()) return etag;
    try {
      if (up.abort) up.abort();
    } catch (...) {
    }
    throw;
  }
}

}  // namespace cloud
