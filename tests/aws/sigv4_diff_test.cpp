// Differential test: random S3 requests signed by aws/sigv4 and by botocore (Debian
// python3-botocore, tests/fixtures/s3/botocore_sign.py, time fixed) must agree on the canonical
// request, the string to sign and the signature. Keys and query values mix S3's awkward
// characters (space + = @ ? % ~ & #, multi-byte UTF-8); headers repeat and carry runs of spaces;
// a third of the requests carry a session token; a fifth are presigned URLs.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "cloud/crypto.h"
#include "common/json.h"
#include "aws/sigv4.h"
#include "tests/aws/fixture.h"

namespace {

const std::vector<std::string>& pieces() {
  static const std::vector<std::string> p = {
      "a", "b", "Z", "0", "9", " ", "+", "=", "@", "?", "%", "~", "&", "#", "-", "_", ".", "!", "*", "'", "(", ")",
      ",", ";", ":", "$", "[", "]", "\"", "<", ">", "^", "`", "{", "}", "|", "\\",
      "\xc3\xa9",          // é
      "\xe1\x88\xb4",      // ሴ
      "\xf0\x9f\x98\x80",  // 😀
      "%20", "%2F", "run", "epoch", "/"};
  return p;
}

std::string random_text(std::mt19937_64& rng, int max_pieces, bool allow_slash) {
  std::uniform_int_distribution<size_t> pick(0, pieces().size() - 1);
  std::uniform_int_distribution<int> len(1, max_pieces);
  std::string out;
  for (int n = len(rng), i = 0; i < n; i++) {
    std::string p = pieces()[pick(rng)];
    if (!allow_slash && p == "/") p = "x";
    out += p;
  }
  return out;
}

std::string printable(std::mt19937_64& rng, int max_len) {
  std::uniform_int_distribution<int> len(0, max_len), ch(0x20, 0x7e), coin(0, 3);
  std::string out;
  for (int n = len(rng), i = 0; i < n; i++) out += coin(rng) == 0 ? ' ' : static_cast<char>(ch(rng));
  return out;
}

std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string json_pairs(const aws::KeyValues& kv) {
  std::string out = "[";
  for (size_t i = 0; i < kv.size(); i++) out += (i ? "," : "") + ("[" + json_str(kv[i].first) + "," + json_str(kv[i].second) + "]");
  return out + "]";
}

struct Case {
  aws::SignableRequest req;
  std::string key, body, region;
  aws::Credentials creds;
  int64_t time = 0, expires = 0;
};

}  // namespace

TEST(Sigv4Differential, ThousandRandomRequestsMatchBotocore) {
  std::string why;
  if (!gan_test::have_botocore(&why)) GTEST_SKIP() << why;
  std::mt19937_64 rng(20240611);
  const int kCases = 1200;
  std::vector<Case> cases;
  const std::vector<std::string> methods = {"GET", "PUT", "POST", "DELETE", "HEAD"};
  const std::vector<std::string> regions = {"us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"};
  std::uniform_int_distribution<int> small(0, 4), third(0, 2), fifth(0, 4);
  std::uniform_int_distribution<int64_t> when(946684800, 1893456000);  // 2000 .. 2030
  std::string input;
  for (int i = 0; i < kCases; i++) {
    Case c;
    bool presigned = fifth(rng) == 0;
    c.req.method = presigned ? "GET" : methods[static_cast<size_t>(small(rng))];
    c.key = random_text(rng, 8, true);
    c.req.path = "/" + c.key;
    std::string host = "bucket" + std::to_string(i) + ".s3.amazonaws.com";
    for (int q = small(rng); q > 0; q--) {
      std::string name = random_text(rng, 3, true);
      if (presigned) name += std::to_string(q);  // botocore's presigner keeps one value per name
      c.req.query.emplace_back(name, third(rng) == 0 ? "" : random_text(rng, 4, true));
    }
    c.req.headers.emplace_back("Host", host);
    if (!presigned) {
      for (int h = small(rng); h > 0; h--) {
        std::string name = "x-amz-meta-" + std::to_string(small(rng));
        c.req.headers.emplace_back(third(rng) ? name : "X-Amz-Meta-Upper", printable(rng, 20));
      }
      c.body = printable(rng, 64);
      c.req.payload_hash = cloud::sha256_hex(c.body);
    }
    c.creds.access_key_id = "AKID" + std::to_string(i);
    c.creds.secret_access_key = printable(rng, 40) + "k";
    if (third(rng) == 0) c.creds.session_token = "token/" + std::to_string(i) + "+=";
    c.region = regions[static_cast<size_t>(small(rng)) % regions.size()];
    c.time = when(rng);
    c.expires = presigned ? 1 + (c.time % 604800) : 0;
    // botocore strips leading/trailing spaces of header values it is given; so does Trimall.
    std::string line = "{\"method\":" + json_str(c.req.method) + ",\"host\":" + json_str(host) + ",\"key\":" +
                       json_str(c.key) + ",\"query\":" + json_pairs(c.req.query) + ",\"headers\":" +
                       json_pairs(aws::KeyValues(c.req.headers.begin() + 1, c.req.headers.end())) + ",\"body\":" +
                       json_str(c.body) + ",\"access\":" + json_str(c.creds.access_key_id) + ",\"secret\":" +
                       json_str(c.creds.secret_access_key) + ",\"token\":" + json_str(c.creds.session_token) +
                       ",\"region\":" + json_str(c.region) + ",\"time\":" + std::to_string(c.time) +
                       ",\"presign_expires\":" + std::to_string(c.expires) + "}\n";
    input += line;
    cases.push_back(std::move(c));
  }
  gan_test::TempDir dir;
  const std::string in_path = dir.path() + "/requests.jsonl", out_path = dir.path() + "/signed.jsonl";
  std::ofstream(in_path) << input;
  const std::string cmd = "PYTHONIOENCODING=utf-8 /usr/bin/python3 " + gan_test::fixture_path("botocore_sign.py") +
                          " < " + in_path + " > " + out_path;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream out(out_path);
  std::string line;
  int n = 0, mismatches = 0;
  while (std::getline(out, line) && n < kCases) {
    Case& c = cases[static_cast<size_t>(n++)];
    const gan::Json want = gan::Json::parse(line);
    aws::SigningStages got;
    if (c.expires) {
      std::string q;
      got = aws::presign(c.req, c.creds, c.region, "s3", c.time, c.expires, &q);
    } else {
      got = aws::sign_request(c.req, c.creds, c.region, "s3", c.time);
    }
    if (got.signature != want.field("signature") && ++mismatches <= 3) {
      ADD_FAILURE() << "request " << n - 1 << " (key '" << c.key << "'):\n--- ours:\n"
                    << got.canonical_request << "\n--- botocore:\n" << want.field("creq");
    }
    EXPECT_EQ(got.canonical_request, want.field("creq")) << "request " << n - 1;
    EXPECT_EQ(got.string_to_sign, want.field("sts")) << "request " << n - 1;
  }
  EXPECT_EQ(n, kCases) << "botocore signed only " << n << " of " << kCases << " requests";
  EXPECT_EQ(mismatches, 0);
}
