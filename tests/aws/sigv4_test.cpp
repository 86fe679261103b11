// Known answers for aws/sigv4: the Amazon S3 API reference's worked examples ("Signature
// Calculations for the Authorization Header: Transferring Payload in a Single Chunk" and
// "Authenticating Requests: Using Query Parameters"), and the cases of the AWS SigV4 test suite
// (aws-sig-v4-test-suite, service "service") that apply to S3, each stage compared. The suite's
// cases added later (query value order, unreserved query, the POST cases) carry the canonical
// request and signature botocore 1.29's SigV4Auth computes from the suite's request (post-vanilla's
// and post-sts-header-before's are also the signatures of the suite's published .authz files).
#include <gtest/gtest.h>

#include <vector>

#include "cloud/crypto.h"
#include "aws/sigv4.h"

namespace {

// 20130524T000000Z, the S3 examples' time.
constexpr int64_t kS3ExampleTime = 1369353600;
// 20150830T123600Z, the test suite's time.
constexpr int64_t kSuiteTime = 1440938160;

aws::Credentials s3_example_creds() {
  aws::Credentials c;
  c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  return c;
}

aws::Credentials suite_creds() {
  aws::Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  return c;
}

// One test-suite case: its headers are signed exactly as given (no x-amz-content-sha256).
struct SuiteCase {
  std::string name;
  std::string path;
  aws::KeyValues query, extra_headers;
  std::string creq, sig;
  std::string method = "GET";
};

void check_suite_case(const SuiteCase& c) {
  SCOPED_TRACE(c.name);
  aws::SignableRequest r;
  r.method = c.method;
  r.path = c.path;
  r.query = c.query;
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  for (const auto& h : c.extra_headers) r.headers.push_back(h);
  const std::string creq = aws::canonical_request(r);
  EXPECT_EQ(creq, c.creq);
  const std::string sts =
      aws::string_to_sign("20150830T123600Z", aws::credential_scope("20150830", "us-east-1", "service"), creq);
  EXPECT_EQ(sts.substr(0, sts.rfind('\n')),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request");
  const std::string key = aws::signing_key(suite_creds().secret_access_key, "20150830", "us-east-1", "service");
  EXPECT_EQ(gan::hex(cloud::hmac_sha256(key, sts)), c.sig);
}

const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const char* kUnreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// The suite's example session token (the STS documentation's).
const char* kSuiteToken =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwth"
    "Ax7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXA"
    "kiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

}  // namespace

TEST(Sigv4, SigningKeyMatchesTheDocumentedDerivation) {
  // The IAM reference's "deriving the signing key" example.
  EXPECT_EQ(gan::hex(aws::signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
  // sign_request keeps the keys it derived: each signature, the key's first use or a later one
  // (after more than its handful of entries were seen), is the one the documented key gives.
  aws::SignableRequest r;
  r.headers = {{"host", "example.amazonaws.com"}};
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < 20; i++) {
      aws::Credentials c = s3_example_creds();
      c.secret_access_key = "secret" + std::to_string(i % 10);
      const int64_t now = kS3ExampleTime + 86400 * (i / 10);
      const aws::SigningStages s = aws::sign_request(r, c, "eu-west-1", "s3", now);
      const std::string key = aws::signing_key(c.secret_access_key, aws::amz_date(now).substr(0, 8), "eu-west-1", "s3");
      EXPECT_EQ(s.signature, gan::hex(cloud::hmac_sha256(key, s.string_to_sign))) << round << " " << i;
    }
  }
}

TEST(Sigv4, UriEncodingFollowsS3Rules) {
  EXPECT_EQ(gan::uri_encode("a b+c=d@e?f%g~h-i_j.k/l", false), "a%20b%2Bc%3Dd%40e%3Ff%25g~h-i_j.k/l");
  EXPECT_EQ(gan::uri_encode("a/b", true), "a%2Fb");
  EXPECT_EQ(gan::uri_encode("\xc3\xa9", false), "%C3%A9");  // é: each UTF-8 byte, uppercase hex
  // S3 paths are never normalised.
  EXPECT_EQ(aws::encoded_path("/a//b/../c/./d"), "/a//b/../c/./d");
  EXPECT_EQ(aws::amz_date(kS3ExampleTime), "20130524T000000Z");
  EXPECT_EQ(aws::amz_date(kSuiteTime), "20150830T123600Z");
}

TEST(Sigv4, S3ExampleGetObjectWithRange) {
  aws::SignableRequest r;
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  r.payload_hash = kEmpty;
  aws::SigningStages s = aws::sign_request(r, s3_example_creds(), "us-east-1", "s3", kS3ExampleTime);
  EXPECT_EQ(s.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

// Three more of the reference's header-signing examples, each stage compared.
struct S3Example {
  std::string name, method, path;
  aws::KeyValues query, headers;
  std::string payload_hash, creq, sts_hash, sig;
};

TEST(Sigv4, S3ExamplesPutObjectGetBucketLifecycleListObjects) {
  const std::string put_hash = cloud::sha256_hex("Welcome to Amazon S3.");
  EXPECT_EQ(put_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  const aws::KeyValues host = {{"Host", "examplebucket.s3.amazonaws.com"}};
  const std::vector<S3Example> examples = {
      {"PUT object", "PUT", "/test$file.text", {},
       {{"Host", "examplebucket.s3.amazonaws.com"},
        {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
        {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
       put_hash,
       "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
       "host:examplebucket.s3.amazonaws.com\n"
       "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
       "x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
       "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
       "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
       "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
       "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
      {"GET bucket lifecycle", "GET", "/", {{"lifecycle", ""}}, host, kEmpty,
       "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\n"
       "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
       "x-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
       "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
      // The query given out of order: the signer sorts.
      {"list objects, max-keys and prefix", "GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, host, kEmpty,
       "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\n"
       "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
       "x-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
       "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
  };
  for (const S3Example& x : examples) {
    SCOPED_TRACE(x.name);
    aws::SignableRequest r;
    r.method = x.method;
    r.path = x.path;
    r.query = x.query;
    r.headers = x.headers;
    r.payload_hash = x.payload_hash;
    aws::SigningStages s = aws::sign_request(r, s3_example_creds(), "us-east-1", "s3", kS3ExampleTime);
    EXPECT_EQ(s.canonical_request, x.creq);
    EXPECT_EQ(s.string_to_sign, "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" + x.sts_hash);
    EXPECT_EQ(s.signature, x.sig);
  }
}

TEST(Sigv4, S3ExamplePresignedUrl) {
  aws::SignableRequest r;
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  std::string query;
  aws::SigningStages s = aws::presign(r, s3_example_creds(), "us-east-1", "s3", kS3ExampleTime, 86400, &query);
  EXPECT_EQ(s.canonical_request,
            "GET\n/test.txt\n"
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
            "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
            "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
  EXPECT_EQ(s.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_EQ(query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
            "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&"
            "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_THROW(aws::presign(r, s3_example_creds(), "us-east-1", "s3", kS3ExampleTime, 604801, &query),
               std::invalid_argument);
}

TEST(Sigv4, ARequestWithoutHostIsRefused) {
  aws::SignableRequest r;
  r.headers = {{"range", "bytes=0-9"}};
  std::string query;
  EXPECT_THROW(aws::sign_request(r, s3_example_creds(), "us-east-1", "s3", kS3ExampleTime), std::invalid_argument);
  EXPECT_THROW(aws::presign(r, s3_example_creds(), "us-east-1", "s3", kS3ExampleTime, 60, &query), std::invalid_argument);
  r.headers.emplace_back("HOST", "examplebucket.s3.amazonaws.com");  // any case
  EXPECT_NO_THROW(aws::sign_request(r, s3_example_creds(), "us-east-1", "s3", kS3ExampleTime));
}

TEST(Sigv4, SessionTokenIsSentAndSigned) {
  // The GET-with-Range example with temporary credentials. The expected signature was computed
  // independently by botocore 1.29 (S3SigV4Auth, time fixed) from the same inputs.
  aws::Credentials c = s3_example_creds();
  c.session_token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  aws::SignableRequest r;
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  aws::SigningStages s = aws::sign_request(r, c, "us-east-1", "s3", kS3ExampleTime);
  EXPECT_EQ(s.signed_headers, "host;range;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  EXPECT_NE(s.canonical_request.find("\nx-amz-security-token:" + c.session_token + "\n"), std::string::npos);
  bool sent = false;
  for (const auto& h : r.headers) sent |= h.first == "x-amz-security-token" && h.second == c.session_token;
  EXPECT_TRUE(sent);
  EXPECT_EQ(s.signature, "83550a58e2be44fa0ba3b8668126104d584132f713849584acd2aa6cf6431fca");
}

TEST(Sigv4, SignatureTestSuiteCasesThatApplyToS3) {
  std::vector<SuiteCase> cases = {
      {"get-vanilla", "/", {}, {},
       "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + std::string(kEmpty),
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-query-order-key-case", "/", {{"Param2", "value2"}, {"Param1", "value1"}}, {},
       "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
       "host;x-amz-date\n" + std::string(kEmpty),
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-empty-query-key", "/", {{"Param1", "value1"}}, {},
       "GET\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
       "host;x-amz-date\n" + std::string(kEmpty),
       "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-unreserved", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {}, {},
       "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\n"
       "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + std::string(kEmpty),
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8", "/\xe1\x88\xb4", {}, {},
       "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
           std::string(kEmpty),
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-vanilla-utf8-query", "/", {{"\xe1\x88\xb4", "bar"}}, {},
       "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
           std::string(kEmpty),
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-header-key-duplicate", "/", {}, {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\n"
       "host;my-header1;x-amz-date\n" + std::string(kEmpty),
       "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-trim", "/", {}, {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
       "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" + std::string(kEmpty),
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"get-header-value-order", "/", {}, {{"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}},
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\n"
       "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n" + std::string(kEmpty),
       "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {"get-vanilla-query-order-value", "/", {{"Param1", "value2"}, {"Param1", "value1"}}, {},
       "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
       "host;x-amz-date\n" + std::string(kEmpty),
       "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
      {"get-vanilla-query-unreserved", "/", {{kUnreserved, kUnreserved}}, {},
       "GET\n/\n" + std::string(kUnreserved) + "=" + kUnreserved +
           "\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + std::string(kEmpty),
       "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"post-vanilla", "/", {}, {},
       "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + std::string(kEmpty),
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", "POST"},
      {"post-header-key-sort", "/", {}, {{"My-Header1", "value1"}},
       "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n\n"
       "host;my-header1;x-amz-date\n" + std::string(kEmpty),
       "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c", "POST"},
      {"post-header-value-case", "/", {}, {{"My-Header1", "VALUE1"}},
       "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\n"
       "host;my-header1;x-amz-date\n" + std::string(kEmpty),
       "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d", "POST"},
      // The token signed as a header: what S3 requires, and what sign_request does.
      {"post-sts-header-before", "/", {}, {{"X-Amz-Security-Token", kSuiteToken}},
       "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:" +
           std::string(kSuiteToken) + "\n\nhost;x-amz-date;x-amz-security-token\n" + std::string(kEmpty),
       "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead", "POST"},
      // The token added after signing: the signature is post-vanilla's. S3 refuses such a request
      // (an unsigned x-amz-security-token), as tests/fixtures/s3/sigproxy.py does.
      {"post-sts-header-after", "/", {}, {},
       "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + std::string(kEmpty),
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", "POST"},
  };
  for (const auto& c : cases) check_suite_case(c);
}
