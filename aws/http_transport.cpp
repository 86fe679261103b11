// libcurl transport; see http_transport.h. The easy handle lives in a thread_local owner: libcurl
// keeps its connection cache per handle, so reusing it per thread is what keeps connections alive
// without sharing a handle across threads (which libcurl forbids).
#include "aws/http_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

namespace aws {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyHandle {
  CURL* h = nullptr;
  EasyHandle() {
    global_init();
    h = curl_easy_init();
  }
  ~EasyHandle() {
    if (h) curl_easy_cleanup(h);
  }
  EasyHandle(const EasyHandle&) = delete;
  EasyHandle& operator=(const EasyHandle&) = delete;
};

EasyHandle& thread_handle() {
  thread_local EasyHandle handle;
  if (!handle.h) handle.h = curl_easy_init();
  if (!handle.h) throw TransportError("libcurl: curl_easy_init failed (out of memory?)", false);
  curl_easy_reset(handle.h);  // keeps the connection cache, clears every option
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

// Where the request body comes from: a string or a byte range of a file.
struct BodySource {
  const std::string* mem = nullptr;
  size_t mem_pos = 0;
  FILE* file = nullptr;
  int64_t left = 0;
};

size_t read_body(char* buf, size_t size, size_t n, void* user) {
  auto* src = static_cast<BodySource*>(user);
  size_t want = size * n;
  if (src->mem) {
    size_t k = std::min(want, src->mem->size() - src->mem_pos);
    std::copy_n(src->mem->data() + src->mem_pos, k, buf);
    src->mem_pos += k;
    return k;
  }
  if (static_cast<int64_t>(want) > src->left) want = static_cast<size_t>(src->left);
  if (want == 0) return 0;
  size_t got = std::fread(buf, 1, want, src->file);
  if (got == 0) return CURL_READFUNC_ABORT;  // the file shrank under us
  src->left -= static_cast<int64_t>(got);
  return got;
}

struct Sink {
  CURL* h = nullptr;
  std::string* body = nullptr;
  const std::string* file_path = nullptr;
  File file;
  bool file_failed = false;
  HttpHeaders* headers = nullptr;
};

size_t write_body(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo(sink->h, CURLINFO_RESPONSE_CODE, &status);
  if (sink->file_path && !sink->file_path->empty() && status >= 200 && status < 300) {
    if (!sink->file) {
      sink->file.reset(std::fopen(sink->file_path->c_str(), "wb"));
      if (!sink->file) {
        sink->file_failed = true;
        return 0;
      }
    }
    return std::fwrite(data, 1, len, sink->file.get());
  }
  sink->body->append(data, len);
  return len;
}

size_t write_header(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  std::string line(data, len);
  if (line.rfind("HTTP/", 0) == 0) {
    sink->headers->clear();  // a new status line (after a 100 Continue or a redirect)
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return len;
  std::string name = line.substr(0, colon);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t b = colon + 1, e = line.size();
  while (b < e && (line[b] == ' ' || line[b] == '\t')) b++;
  while (e > b && (line[e - 1] == '\r' || line[e - 1] == '\n' || line[e - 1] == ' ')) e--;
  sink->headers->emplace_back(name, line.substr(b, e - b));
  return len;
}

// libcurl calls this about once a second even while nothing moves (waiting for an answer), and
// far more often during a transfer: a non-zero return aborts with CURLE_ABORTED_BY_CALLBACK.
int check_cancel(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

// CURL_CA_BUNDLE, as the curl tool reads it: the CA file to trust, or "" when unset.
std::string ca_bundle_from_environment() {
  const char* path = std::getenv("CURL_CA_BUNDLE");
  if (!path || !*path) return "";
  File f(std::fopen(path, "rb"));
  if (!f)
    throw std::invalid_argument(std::string("CURL_CA_BUNDLE=") + path + ": cannot read it (" + std::strerror(errno) +
                                "); point it at a PEM file of CA certificates, or unset it to trust the system's");
  return path;
}

}  // namespace

std::string HttpResponse::header(const std::string& lowercase_name) const {
  for (const auto& kv : headers)
    if (kv.first == lowercase_name) return kv.second;
  return "";
}

HttpTransport::HttpTransport(TransportOptions options) : options_(std::move(options)) {
  global_init();
  if (options_.ca_file.empty()) options_.ca_file = ca_bundle_from_environment();
}

HttpResponse HttpTransport::perform(const HttpRequest& req) const {
  const std::string what = req.method + " " + req.url.substr(0, req.url.find('?'));
  if (req.cancel && req.cancel->load()) throw TransportError(what + ": cancelled", false, true);
  EasyHandle& owner = thread_handle();
  CURL* h = owner.h;
  HttpResponse resp;
  CurlSlist headers;
  for (const auto& [k, v] : req.headers) headers.add(v.empty() ? k + ";" : k + ": " + v);
  headers.add("Expect:");  // no 100-continue round trip: S3 answers errors before reading the body anyway

  BodySource body;
  File body_file;
  int64_t body_size = 0;
  if (!req.body_file.empty()) {
    body_file.reset(std::fopen(req.body_file.c_str(), "rb"));
    if (!body_file) throw std::runtime_error("cannot open '" + req.body_file + "' to upload it");
    if (fseeko(body_file.get(), 0, SEEK_END) != 0) throw std::runtime_error("cannot seek in '" + req.body_file + "'");
    int64_t file_size = ftello(body_file.get());
    body_size = req.body_length < 0 ? file_size - req.body_offset : req.body_length;
    if (req.body_offset + body_size > file_size)
      throw std::runtime_error("'" + req.body_file + "' is shorter than the part being uploaded");
    fseeko(body_file.get(), req.body_offset, SEEK_SET);
    body.file = body_file.get();
    body.left = body_size;
  } else {
    body.mem = &req.body;
    body_size = static_cast<int64_t>(req.body.size());
  }

  Sink sink;
  sink.h = h;
  sink.body = &resp.body;
  sink.file_path = &req.response_file;
  sink.headers = &resp.headers;

  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
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

  if (req.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
  } else if (req.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_size));
    headers.add("Content-Type:");  // no default form type: a signer may not have seen it
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (body_size > 0) {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
    }
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.list);

  CURLcode rc = curl_easy_perform(h);
  if (sink.file_failed) throw std::runtime_error("cannot write the download to '" + req.response_file + "'");
  if (rc != CURLE_OK) {
    bool timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    bool cancelled = rc == CURLE_ABORTED_BY_CALLBACK && req.cancel && req.cancel->load();
    // The connection may be half-dead: start the next request on this thread from a fresh handle.
    curl_easy_cleanup(owner.h);
    owner.h = nullptr;
    throw TransportError(what + ": " + (cancelled ? std::string("cancelled") : curl_easy_strerror(rc)), timed_out,
                         cancelled);
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  if (sink.file) {
    if (std::fflush(sink.file.get()) != 0)
      throw std::runtime_error("cannot write the download to '" + req.response_file + "' (disk full?)");
  } else if (!req.response_file.empty() && resp.status >= 200 && resp.status < 300 && req.method != "HEAD") {
    File empty(std::fopen(req.response_file.c_str(), "wb"));  // a 0-byte object is still a file
    if (!empty) throw std::runtime_error("cannot create '" + req.response_file + "'");
  }
  return resp;
}

}  // namespace aws
