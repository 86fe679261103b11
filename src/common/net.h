// Which hosts are this machine: the monitor serves without a token only there, and the cloud
// transport sends a bearer token over plain http only there.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include "common/text.h"

namespace gan {

// True for "localhost", 127.0.0.0/8 and ::1 (also as "[::1]"), in any case.
inline bool is_loopback_host(const std::string& host_in) {
  std::string host = lower(host_in);
  if (host == "localhost") return true;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return ntohl(v4.s_addr) >> 24 == 127;
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

}  // namespace gan
