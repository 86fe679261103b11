// The neutral results of every dialect's client, which the dialects fill from their own headers
// and documents: an object's metadata, a listing, and the one error type.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace cloud {

struct Object {
  std::string key;
  int64_t size = 0;
  int64_t last_modified = 0;  // unix seconds
  std::string etag;
  std::string content_type;  // where the service names it (Azure's properties and listings)
};

struct Listing {
  std::vector<Object> objects;               // in the service's order (sorted by key)
  std::vector<std::string> common_prefixes;  // with a delimiter: "prefix/child/"
};

struct ErrorInfo {
  long status = 0;
  std::string code;         // "NoSuchKey", "ServerBusy", ... ("" when the body had none)
  std::string message;      // the service's <Message> (first line)
  std::string detail;       // Azure's <AuthenticationErrorDetail>, when it explains a refusal
  std::string region;       // S3: <Region> or x-amz-bucket-region, when the bucket lives elsewhere
  std::string request_id;
  std::string server_time;  // the response's Date header (RFC 1123)
};

// Every dialect's message for a failed call: "<op> <target> failed: HTTP <status>[ <code>][: <message>]
// [ (<detail>)][. <advice>]" (a period ending the service's message is not doubled).
inline std::string failure_message(const std::string& op, const std::string& target, const ErrorInfo& e,
                                   const std::string& advice) {
  std::string out = op + " " + target + " failed: HTTP " + std::to_string(e.status);
  if (!e.code.empty()) out += " " + e.code;
  if (!e.message.empty()) out += ": " + e.message;
  if (!e.detail.empty()) out += " (" + e.detail + ")";
  while (out.back() == '.') out.pop_back();
  return advice.empty() ? out : out + ". " + advice;
}

class Error : public std::runtime_error {
 public:
  Error(const std::string& what, ErrorInfo info, bool transient)
      : std::runtime_error(what), info_(std::move(info)), transient_(transient) {}
  long status() const { return info_.status; }
  const std::string& code() const { return info_.code; }
  // Worth trying again later (server trouble, throttling, network); false for AccessDenied etc.
  bool transient() const { return transient_; }

 private:
  ErrorInfo info_;
  bool transient_;
};

}  // namespace cloud
