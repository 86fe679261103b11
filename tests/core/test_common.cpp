// The neutral helpers in src/common/ that every layer shares: loopback hosts (the monitor's bind
// address, the cloud transport's bearer-token rule) and UTC dates both ways (signers, services'
// answers, run ids).
#include <gtest/gtest.h>

#include "common/dates.h"
#include "common/net.h"

namespace {

TEST(CommonNet, LoopbackHosts) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]", "0:0:0:0:0:0:0:1"})
    EXPECT_TRUE(gan::is_loopback_host(host)) << host;
  for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "127.0.0.1.evil.example", "localhost.example", "127.0.0.256",
                           "::ffff:127.0.0.1", "[::1", ""})
    EXPECT_FALSE(gan::is_loopback_host(host)) << host;
}

TEST(CommonDates, WrittenAndReadBack) {
  const int64_t t = 1369353600 + 3661;  // 2013-05-24 01:01:01 UTC
  EXPECT_EQ(gan::utc_time(t, "%Y%m%dT%H%M%SZ"), "20130524T010101Z");
  EXPECT_EQ(gan::utc_time(t, "%a, %d %b %Y %H:%M:%S GMT"), "Fri, 24 May 2013 01:01:01 GMT");
  EXPECT_EQ(gan::parse_http_date("Fri, 24 May 2013 01:01:01 GMT"), t);
  EXPECT_EQ(gan::parse_http_date("yesterday"), -1);
  EXPECT_EQ(gan::parse_iso8601("2013-05-24T01:01:01Z"), t);
  EXPECT_EQ(gan::parse_iso8601("2013-05-24T01:01:01.250Z"), t);
  EXPECT_EQ(gan::parse_iso8601("2013-05-24"), t - 3661);                // a date alone: its midnight
  EXPECT_EQ(gan::parse_iso8601("2013-05-24T01:01:01+01:00"), -1);       // not misread as UTC
  EXPECT_EQ(gan::parse_iso8601("2013-13-24T01:01:01Z"), -1);
}

}  // namespace
