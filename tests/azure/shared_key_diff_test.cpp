// Differential test: 1,000+ random requests signed by azure/shared_key and judged by Azurite's
// own Shared Key validation (an independent implementation, in TypeScript). Blob names carry
// spaces, unicode, %, +, =, &, ?, #; every request has random x-ms-meta-* / x-ms-client-request-id
// headers and random query parameters. None may fail authorisation, and every PUT must read back.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "cloud/http.h"
#include "azure/shared_key.h"
#include "common/text.h"
#include "tests/aws/fixture.h"
#include "tests/azure/azurite.h"

namespace {

std::string pick(std::mt19937_64& rng, const std::vector<std::string>& pieces, int min_len, int max_len) {
  int n = std::uniform_int_distribution<int>(min_len, max_len)(rng);
  std::string out;
  for (int i = 0; i < n; i++) out += pieces[rng() % pieces.size()];
  return out;
}

const std::vector<std::string> kNamePieces = {"a", "b", "Z", "0", "9", " ", "-", "_", "~", "%", "+", "=", "&", "?",
                                              "#", "@", "!", "$", "'", "(", ")", ",", ";", "\xc3\xa9", "\xe6\x97\xa5",
                                              "\xf0\x9f\x99\x82", "%41", "x y"};
const std::vector<std::string> kValuePieces = {"a", "Q", "7", " ", "-", "/", ":", "=", "%", "+", "&", "?", "~", "*",
                                               "\xc3\xa9", "\xe6\x97\xa5", "%2F"};
const std::vector<std::string> kHeaderPieces = {"a", "B", "3", " ", "  ", "-", "/", ":", "=", "%", "+", ";", ",", "\"", "~"};
const std::vector<std::string> kLower = {"a", "b", "c", "k", "z", "0", "7"};

struct Sent {
  long status = 0;
  std::string body;
};

Sent send(const gan_test::AzuriteStack* st, azure::BlobRequest r, const std::string& body, int64_t now) {
  if (r.method == "PUT") r.headers.emplace_back("Content-Length", std::to_string(body.size()));
  const std::string authorization = azure::sign_shared_key(r, azure::kDevAccount, azure::kDevKey, now);
  const std::string string_to_sign = azure::standard_header_lines(r) + azure::canonicalized_headers(r.headers) +
                                     azure::canonicalized_resource(azure::kDevAccount, r.path, r.query);
  cloud::HttpRequest req;
  req.method = r.method;
  req.url = "http://127.0.0.1:" + std::to_string(st->azurite_port) + gan::uri_encode(r.path, false);
  if (!r.query.empty()) req.url += "?" + azure::encode_query(r.query);
  for (auto& h : r.headers)
    if (h.first != "Content-Length") req.headers.push_back(h);
  req.headers.emplace_back("Authorization", authorization);
  req.body = body;
  static cloud::HttpTransport t;
  cloud::HttpResponse resp = t.perform(req);
  return {resp.status, resp.body + " [string to sign: " + string_to_sign + "]"};
}

TEST(AzureSharedKeyDiff, AzuriteAcceptsAThousandRandomSignedRequests) {
  std::string why;
  const gan_test::AzuriteStack* st = gan_test::azurite_stack(&why);
  if (!st) GTEST_SKIP() << why;
  std::mt19937_64 rng(20261126);
  const std::string container = "diff";
  {
    azure::BlobRequest mk;
    mk.method = "PUT";
    mk.path = "/devstoreaccount1/" + container;
    mk.query = {{"restype", "container"}};
    Sent s = send(st, mk, "", time(nullptr));
    ASSERT_TRUE(s.status == 201 || s.status == 409) << s.body;
  }
  int requests = 0, rejected = 0;
  for (int i = 0; i < 260; i++) {
    // A blob name: 1-3 segments of random pieces, never ending in '.' or '/'.
    std::string name;
    int segs = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < segs; k++) name += (k ? "/" : "") + pick(rng, kNamePieces, 1, 8);
    name += "x";
    auto random_headers = [&](azure::BlobRequest& r) {
      int n = static_cast<int>(rng() % 4);
      std::set<std::string> used;
      for (int k = 0; k < n; k++) {
        std::string h = "x-ms-meta-m" + pick(rng, kLower, 1, 5);
        if (!used.insert(h).second) continue;
        r.headers.emplace_back(rng() % 2 ? h : "X-MS-META-" + h.substr(10), "v" + pick(rng, kHeaderPieces, 0, 12) + "v");
      }
      if (rng() % 2) r.headers.emplace_back("x-ms-client-request-id", "id " + pick(rng, kHeaderPieces, 0, 10) + "!");
    };
    auto random_query = [&](azure::BlobRequest& r) {
      int n = static_cast<int>(rng() % 4);
      std::set<std::string> used;
      for (int k = 0; k < n; k++) {
        std::string q = "q" + pick(rng, kLower, 1, 4);
        if (!used.insert(q).second) continue;
        r.query.emplace_back(q, pick(rng, kValuePieces, 0, 10));
      }
      if (rng() % 3 == 0) r.query.emplace_back("timeout", std::to_string(10 + rng() % 50));
    };
    const std::string path = "/devstoreaccount1/" + container + "/" + name;
    const std::string body = gan_test::random_bytes(rng() % 300, rng());
    int64_t now = time(nullptr);

    // A request for p with random x-ms- headers (after `headers`) and random query parameters.
    auto randomized = [&](const char* method, const std::string& p, azure::KeyValues headers = {}) {
      azure::BlobRequest r;
      r.method = method;
      r.path = p;
      r.headers = std::move(headers);
      random_headers(r);
      random_query(r);
      return r;
    };
    auto counted = [&](const azure::BlobRequest& r, const std::string& b) {
      Sent s = send(st, r, b, now);
      requests++;
      rejected += s.status == 403;
      return s;
    };

    azure::KeyValues put_headers = {{"x-ms-blob-type", "BlockBlob"}};
    if (rng() % 2) put_headers.emplace_back("Content-Type", "text/plain; charset=" + pick(rng, kLower, 1, 4));
    Sent s = counted(randomized("PUT", path, put_headers), body);
    ASSERT_EQ(s.status, 201) << "PUT " << name << ": " << s.body;

    azure::BlobRequest get = randomized("GET", path);
    bool ranged = body.size() > 10 && rng() % 2;
    if (ranged) get.headers.emplace_back(rng() % 2 ? "x-ms-range" : "Range", "bytes=2-9");
    s = counted(get, "");
    ASSERT_EQ(s.status, ranged ? 206 : 200) << "GET " << name << ": " << s.body;

    s = counted(randomized("HEAD", path), "");
    ASSERT_EQ(s.status, 200) << "HEAD " << name << ": " << s.body;

    azure::BlobRequest list;
    list.method = "GET";
    list.path = "/devstoreaccount1/" + container;
    list.query = {{"restype", "container"}, {"comp", "list"}, {"prefix", rng() % 2 ? name : name.substr(0, name.find('/') + 1)}};
    if (rng() % 2) list.query.emplace_back("delimiter", "/");
    random_headers(list);
    s = counted(list, "");
    ASSERT_EQ(s.status, 200) << "LIST " << name << ": " << s.body;

    if (rng() % 2) {
      s = counted(randomized("DELETE", path), "");
      ASSERT_EQ(s.status, 202) << "DELETE " << name << ": " << s.body;
    }
  }
  EXPECT_GE(requests, 1000);
  EXPECT_EQ(rejected, 0);
}

}  // namespace
