// The libcurl Fetcher (and OpenSSL check) for dataset downloads. Kept out of the core library (the Makefile links
// *_curl.cpp only into ./gan) so the core builds and tests without libcurl. Redirects are
// followed, HTTP errors are failures, and a stalled transfer gives up instead of hanging the
// trainer, which then falls back to the synthetic dataset.
#include <curl/curl.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "app/digest.h"
#include "data/fetch_curl.h"

namespace gan {

namespace {
size_t append_body(char* p, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(p, size * n);
  return size * n;
}

bool curl_fetch(const std::string& url, std::string* body, std::string* error) {
  std::unique_ptr<CURL, void (*)(CURL*)> h(curl_easy_init(), &curl_easy_cleanup);
  if (!h) {
    *error = "curl_easy_init failed";
    return false;
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  body->clear();
  curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h.get(), CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(h.get(), CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(h.get(), CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(h.get(), CURLOPT_LOW_SPEED_LIMIT, 1024L);  // < 1 KB/s for 30 s: give up
  curl_easy_setopt(h.get(), CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(h.get(), CURLOPT_USERAGENT, "gan/1 (dataset download)");
  curl_easy_setopt(h.get(), CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, body);
  curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
  // http and https only, for the URL and for every redirect it follows (libcurl's default would
  // follow a Location: to ftp:// too).
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0: the string forms; the bitmasks are deprecated there
  curl_easy_setopt(h.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h.get(), CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  curl_easy_setopt(h.get(), CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  // Honour the user's proxy settings, but never send loopback requests through a proxy.
  std::string no_proxy = "localhost,127.0.0.1,::1";
  for (const char* var : {"no_proxy", "NO_PROXY"})
    if (const char* v = std::getenv(var)) {
      if (*v) no_proxy = std::string(v) + "," + no_proxy;
      break;
    }
  curl_easy_setopt(h.get(), CURLOPT_NOPROXY, no_proxy.c_str());
  const CURLcode rc = curl_easy_perform(h.get());
  if (rc != CURLE_OK) {
    *error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    return false;
  }
  return true;
}
}  // namespace

Downloader curl_downloader() {
  static const bool inited = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  Downloader d;
  if (inited) d.fetch = &curl_fetch;
  d.sha256 = [](const std::vector<std::string_view>& pieces) { return sha256_hex(pieces); };
  return d;
}

}  // namespace gan
