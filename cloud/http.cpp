// libcurl transport; see http.h. One handle per thread, as libcurl forbids sharing one across threads.
#include "cloud/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/net.h"
#include "common/text.h"

namespace cloud {

namespace {

using Easy = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;

// This thread's handle; reset (dropping its connection) after a failed transfer.
Easy& thread_handle() {
  thread_local Easy handle(nullptr, curl_easy_cleanup);
  if (!handle) handle.reset(curl_easy_init());
  if (!handle) throw TransportError("libcurl: curl_easy_init failed (out of memory?)", false);
  curl_easy_reset(handle.get());  // keeps the connection cache, clears every option
  return handle;
}

struct CurlSlist {
  curl_slist* list = nullptr;
  ~CurlSlist() { curl_slist_free_all(list); }
  void add(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (!next) throw TransportError("libcurl: out of memory building headers", false);
    list = next;
  }
};

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

// The request body: the next `left` bytes of `file`, or of `mem` when there is no file.
struct BodySource {
  const char* mem = nullptr;
  File file{};
  int64_t left = 0;
};

size_t read_body(char* buf, size_t size, size_t n, void* user) {
  auto* src = static_cast<BodySource*>(user);
  size_t got = static_cast<size_t>(std::min(static_cast<int64_t>(size * n), src->left));
  if (got == 0) return 0;
  if (!src->file) {
    std::memcpy(buf, src->mem, got);
    src->mem += got;
  } else if ((got = std::fread(buf, 1, got, src->file.get())) == 0) {
    return CURL_READFUNC_ABORT;  // the file shrank under us
  }
  src->left -= static_cast<int64_t>(got);
  return got;
}

struct Sink {
  CURL* h;
  const HttpRequest& req;
  HttpResponse& resp;
  const int64_t max_body = std::max<int64_t>(0, req.max_body_bytes);
  const int64_t max_declared = std::max(max_body, req.max_declared_body_bytes);
  int64_t declared = -1;            // this response's Content-Length, -1 = none
  int64_t received = 0;             // body bytes of this response so far
  int64_t limit_hit = -1;           // the limit that stopped the transfer, -1 = none
  File file{};                      // req.response_file, opened at a 2xx response's first byte
  bool file_failed = false;

  // Ends the transfer (CURLE_WRITE_ERROR) as past `limit`.
  size_t stop(int64_t limit) {
    limit_hit = limit;
    return 0;
  }
};

size_t write_body(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  const int64_t limit = sink->declared >= 0 && sink->declared <= sink->max_declared ? std::max(sink->declared, sink->max_body)
                                                                                      : sink->max_body;
  if (sink->received + static_cast<int64_t>(len) > limit) return sink->stop(limit);
  sink->received += static_cast<int64_t>(len);
  long status = 0;
  curl_easy_getinfo(sink->h, CURLINFO_RESPONSE_CODE, &status);
  if (!sink->req.response_file.empty() && status >= 200 && status < 300) {
    if (!sink->file) sink->file.reset(std::fopen(sink->req.response_file.c_str(), "wb"));
    if (!sink->file) {
      sink->file_failed = true;
      return 0;
    }
    return std::fwrite(data, 1, len, sink->file.get());
  }
  sink->resp.body.append(data, len);
  return len;
}

size_t write_header(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    sink->resp.headers.clear();  // a new status line (after a 100 Continue or a redirect)
    sink->declared = -1;
    sink->received = 0;
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return line.size();
  const auto& [name, value] =
      sink->resp.headers.emplace_back(gan::lower(line.substr(0, colon)), gan::trim(line.substr(colon + 1)));
  // A HEAD's Content-Length is the object's, with no body.
  if (name != "content-length" || sink->req.method == "HEAD") return line.size();
  int64_t v = 0;
  const char* end = value.data() + value.size();
  if (auto [stop, ec] = std::from_chars(value.data(), end, v); ec != std::errc() || stop != end || v < 0) return line.size();
  sink->declared = v;
  return v > sink->max_declared ? sink->stop(sink->max_declared) : line.size();  // refuse before reading any of it
}

// Called about once a second even while waiting for an answer; non-zero aborts (CURLE_ABORTED_BY_CALLBACK).
int check_cancel(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

// The scheme and host of a URL as libcurl reads it (userinfo and port dropped, an IPv6 host in
// its brackets), lowercased; both "" when libcurl cannot parse it.
std::pair<std::string, std::string> url_scheme_host(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  std::pair<std::string, std::string> out;
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) return out;
  for (auto [part, to] : {std::pair{CURLUPART_SCHEME, &out.first}, std::pair{CURLUPART_HOST, &out.second}}) {
    char* text = nullptr;
    if (curl_url_get(u.get(), part, &text, 0) == CURLUE_OK) *to = gan::lower(text);
    curl_free(text);
  }
  return out;
}

std::string human_bytes(int64_t n) {
  if (n >= (1ll << 20) && n % (1ll << 20) == 0) return std::to_string(n >> 20) + " MiB";
  return std::to_string(n) + " bytes";
}

}  // namespace

std::string HttpResponse::header(const std::string& lowercase_name) const {
  for (const auto& kv : headers)
    if (kv.first == lowercase_name) return kv.second;
  return "";
}

HttpTransport::HttpTransport(TransportOptions options) : options_(std::move(options)) {
  // Once per process (a function-local static), before this transport's first handle.
  [[maybe_unused]] static const CURLcode global_init = curl_global_init(CURL_GLOBAL_DEFAULT);
  const std::string bundle = gan::env("CURL_CA_BUNDLE");
  if (!options_.ca_file.empty() || bundle.empty()) return;
  if (!File(std::fopen(bundle.c_str(), "rb")))
    throw std::invalid_argument("CURL_CA_BUNDLE=" + bundle + ": cannot read it (" + std::strerror(errno) +
                                "); point it at a PEM file of CA certificates, or unset it to trust the system's");
  options_.ca_file = bundle;
}

HttpResponse HttpTransport::perform(const HttpRequest& req) const {
  const std::string what = req.method + " " + req.url.substr(0, req.url.find('?'));
  if (req.cancel && req.cancel->load()) throw TransportError(what + ": cancelled", false, true);
  const auto [scheme, host] = url_scheme_host(req.url);
  if (scheme.empty()) throw InsecureRequest(what + ": not a URL libcurl can read; check the endpoint");
  if (scheme != "http" && scheme != "https")
    throw InsecureRequest(what + ": only http:// and https:// URLs are fetched; check the endpoint");
  if (scheme == "http" && !gan::is_loopback_host(host)) {
    for (const auto& [k, v] : req.headers)
      if (gan::lower(k) == "authorization" && gan::lower(v.substr(0, 7)) == "bearer ")
        throw InsecureRequest(what + ": refusing to send a bearer token over plain http to " + host +
                              " (anyone on the path could read and reuse it); use an https:// endpoint");
  }
  Easy& handle = thread_handle();
  CURL* h = handle.get();
  HttpResponse resp;
  CurlSlist headers;
  for (const auto& [k, v] : req.headers) headers.add(v.empty() ? k + ";" : k + ": " + v);
  headers.add("Expect:");  // no 100-continue round trip: S3 answers errors before reading the body anyway

  BodySource body{req.body.data(), nullptr, static_cast<int64_t>(req.body.size())};
  if (!req.body_file.empty()) {
    body.file.reset(std::fopen(req.body_file.c_str(), "rb"));
    if (!body.file) throw std::runtime_error("cannot open '" + req.body_file + "' to upload it");
    if (fseeko(body.file.get(), 0, SEEK_END) != 0) throw std::runtime_error("cannot seek in '" + req.body_file + "'");
    int64_t file_size = ftello(body.file.get());
    body.left = req.body_length < 0 ? file_size - req.body_offset : req.body_length;
    if (req.body_offset + body.left > file_size)
      throw std::runtime_error("'" + req.body_file + "' is shorter than the part being uploaded");
    fseeko(body.file.get(), req.body_offset, SEEK_SET);
  }
  const auto body_size = static_cast<curl_off_t>(body.left);

  Sink sink{h, req, resp};

  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0: the string forms; the bitmasks are deprecated there
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  if (req.no_proxy) curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, options_.low_speed_seconds);
  if (req.timeout_ms > 0) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req.timeout_ms);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
  curl_easy_setopt(h, CURLOPT_READDATA, &body);
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
  curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
  if (req.cancel) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, check_cancel);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(req.cancel));
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }

  if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, body_size);
    headers.add("Content-Type:");  // no default form type: a signer may not have seen it
  } else if (req.method != "GET") {  // PUT, or any other method with or without a body
    if (req.method != "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.method == "PUT" || body_size > 0) {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, body_size);
    }
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.list);

  CURLcode rc = curl_easy_perform(h);
  // The connection may be half-dead, or the server still sending: this thread's next request gets a fresh handle.
  if (rc != CURLE_OK) handle.reset();
  if (sink.limit_hit >= 0) {
    if (sink.file) {
      sink.file.reset();
      std::remove(req.response_file.c_str());  // a partial download is no object
    }
    const bool declared_over = sink.declared > sink.max_declared;
    throw ResponseTooLarge(what + ": the response body " +
                           (declared_over ? "declares " + std::to_string(sink.declared) + " bytes, more than"
                                          : std::string("went past")) +
                           " the " + human_bytes(sink.limit_hit) +
                           " this request accepts; the transfer was stopped. Check that the endpoint is the storage "
                           "service it should be");
  }
  if (sink.file_failed) throw std::runtime_error("cannot write the download to '" + req.response_file + "'");
  if (rc != CURLE_OK) {
    bool cancelled = rc == CURLE_ABORTED_BY_CALLBACK && req.cancel && req.cancel->load();
    throw TransportError(what + ": " + (cancelled ? std::string("cancelled") : curl_easy_strerror(rc)),
                         rc == CURLE_OPERATION_TIMEDOUT, cancelled);
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  if (!req.response_file.empty() && resp.status >= 200 && resp.status < 300 && req.method != "HEAD") {
    if (!sink.file) sink.file.reset(std::fopen(req.response_file.c_str(), "wb"));  // a 0-byte object is still a file
    if (!sink.file) throw std::runtime_error("cannot create '" + req.response_file + "'");
    if (std::fflush(sink.file.get()) != 0)
      throw std::runtime_error("cannot write the download to '" + req.response_file + "' (disk full?)");
  }
  return resp;
}

std::string fold_spaces(const std::string& v, const char* spaces) {
  std::string out;
  for (size_t b = v.find_first_not_of(spaces), e; b != std::string::npos; b = v.find_first_not_of(spaces, e)) {
    e = v.find_first_of(spaces, b);  // the end of this run of other characters
    out += (out.empty() ? "" : " ") + v.substr(b, e - b);
  }
  return out;
}

}  // namespace cloud
