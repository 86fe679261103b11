// S3Client pieces that need no server: part sizing, addressing, the XML reader, error messages.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "common/markup.h"
#include "cloud/retry.h"
#include "aws/s3_client.h"
#include "cloud/engine.h"
#include "cloud/xml.h"
#include "tests/aws/fake_server.h"
#include "tests/aws/fixture.h"

namespace {

std::shared_ptr<aws::CredentialsCache> static_creds(const std::string& id = "AKIDEXAMPLE", const std::string& secret = "secret") {
  aws::Credentials c;
  c.access_key_id = id;
  c.secret_access_key = secret;
  return aws::static_credentials(c);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Sets *flag after `ms` milliseconds, from another thread.
std::thread set_later(std::atomic<bool>* flag, int ms) {
  return std::thread([flag, ms] {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    flag->store(true);
  });
}

}  // namespace

TEST(S3Client, PartSizeKeepsAtMostTenThousandPartsOfAtLeastFiveMiB) {
  constexpr int64_t MiB = 1 << 20;
  auto choose_part_size = [](int64_t size, int64_t preferred) {
    return cloud::choose_part_size(size, preferred, aws::S3Client::kMinPartSize, aws::S3Client::kMaxParts);
  };
  EXPECT_EQ(choose_part_size(100 * MiB, 8 * MiB), 8 * MiB);
  EXPECT_EQ(choose_part_size(100 * MiB, 1 * MiB), 5 * MiB);  // S3's minimum
  for (int64_t size : {int64_t(1) << 30, int64_t(100) << 30, int64_t(1000) << 30, int64_t(5) << 40}) {
    int64_t part = choose_part_size(size, 8 * MiB);
    EXPECT_GE(part, 5 * MiB);
    EXPECT_EQ(part % MiB, 0);
    EXPECT_LE((size + part - 1) / part, 10000) << size;
    // and not needlessly large: one MiB less would need more than 10,000 parts (or go below 8 MiB)
    if (part > 8 * MiB) {
      EXPECT_GT((size + part - MiB - 1) / (part - MiB), 10000) << size;
    }
  }
}

TEST(S3Client, AddressingIsVirtualHostedOnAwsAndPathStyleForDotsAndCustomEndpoints) {
  aws::S3ClientConfig cfg;
  cfg.credentials = static_creds();
  cfg.region = "eu-west-1";
  cfg.clock = [] { return int64_t(1369353600); };
  aws::S3Client aws_client(cfg);
  std::string url = aws_client.presign_get("my-bucket", "run/a b.png", 3600);
  EXPECT_EQ(url.rfind("https://my-bucket.s3.eu-west-1.amazonaws.com/run/a%20b.png?", 0), 0u) << url;
  url = aws_client.presign_get("my.dotted.bucket", "k", 3600);
  EXPECT_EQ(url.rfind("https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/k?", 0), 0u) << url;
  EXPECT_NE(url.find("X-Amz-Credential=AKIDEXAMPLE%2F20130524%2Feu-west-1%2Fs3%2Faws4_request"), std::string::npos);
  cfg.endpoint = "http://127.0.0.1:9000";
  aws::S3Client minio(cfg);
  url = minio.presign_get("my-bucket", "k", 60);
  EXPECT_EQ(url.rfind("http://127.0.0.1:9000/my-bucket/k?", 0), 0u) << url;
  cfg.endpoint = "127.0.0.1:9000";
  EXPECT_THROW(aws::S3Client bad(cfg), std::invalid_argument);
}

TEST(S3Client, XmlReaderHandlesEntitiesNamespacesAndCdata) {
  cloud::XmlNode doc = cloud::parse_xml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c --><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Contents><Key>a &amp; b &lt;c&gt; &#233;&#x1F600;</Key><Size>12</Size></Contents>"
      "<Contents><Key><![CDATA[x<y]]></Key></Contents><s3:IsTruncated>false</s3:IsTruncated><Empty/></ListBucketResult>");
  EXPECT_EQ(doc.name, "ListBucketResult");
  auto contents = doc.children_named("Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(contents[0]->child_text("Key"), "a & b <c> \xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(contents[1]->child_text("Key"), "x<y");
  EXPECT_EQ(doc.child_text("IsTruncated"), "false");
  EXPECT_NE(doc.child("Empty"), nullptr);
  EXPECT_THROW(cloud::parse_xml("<a><b></a>"), std::runtime_error);
  EXPECT_THROW(cloud::parse_xml("<a>&bogus;</a>"), std::runtime_error);
  EXPECT_THROW(cloud::parse_xml("<a>"), std::runtime_error);
  EXPECT_EQ(gan::markup_escape("\"a\"&<b>'"), "&quot;a&quot;&amp;&lt;b&gt;&apos;");  // what clients send
}

// A 600 KB body of "<a><a><a>..." overflowed the stack of the recursive reader.
TEST(S3Client, XmlReaderRefusesDeepNestingWithAnError) {
  std::string deep;
  for (int i = 0; i < 200000; i++) deep += "<a>";
  try {
    cloud::parse_xml(deep);
    FAIL() << "a document nested 200,000 deep was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nested deeper than 64"), std::string::npos) << e.what();
  }
  std::string ok;
  for (int i = 0; i < 64; i++) ok += "<a>";
  ok += "x";
  for (int i = 0; i < 64; i++) ok += "</a>";
  EXPECT_EQ(cloud::parse_xml(ok).name, "a");
}

// The guard every listing loop keeps: a continuation token the server gave before (the client
// once asked for the same page forever), or more than 10,000 pages, stops the listing (here the
// server gives up after 10,050 pages, so a failing test ends).
TEST(S3Client, ListingStopsOnARepeatedTokenOrTooManyPages) {
  const std::string repeated = " as truncated with a continuation token it had already given";
  const std::string want[] = {"the server answered page 2" + repeated, "the server answered page 3" + repeated,
                              "more than 10000 pages"};
  const int requests[] = {2, 3, 10000};
  for (const int mode : {0, 1, 2}) {  // the same token every page; t1 t2 t1; a new token every page
    std::atomic<int> pages{0};
    gan_test::FakeServer server([&](const httplib::Request&, httplib::Response& res) {
      const int n = ++pages;
      const std::string token = mode == 0 ? "same" : mode == 1 && n == 3 ? "t1" : "t" + std::to_string(n);
      res.set_content(std::string("<ListBucketResult><IsTruncated>") + (n < 10050 ? "true" : "false") +
                          "</IsTruncated><NextContinuationToken>" + token + "</NextContinuationToken>"
                          "<Contents><Key>run/a</Key><Size>1</Size></Contents></ListBucketResult>",
                      "application/xml");
    });
    aws::S3ClientConfig cfg;
    cfg.endpoint = server.endpoint();
    cfg.credentials = static_creds();
    aws::S3Client s3(cfg);
    try {
      cloud::Listing l = s3.list("bucket", "run/");
      FAIL() << "listed " << l.objects.size() << " objects";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("LIST s3://bucket/run/: " + want[mode]), std::string::npos) << e.what();
    }
    EXPECT_EQ(server.requests(), requests[mode]);
  }
}

TEST(S3Client, ErrorsBecomeActionableMessages) {
  cloud::HttpResponse r;
  r.status = 403;
  r.body = "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R1</RequestId></Error>";
  aws::S3ErrorInfo e = aws::parse_s3_error(r);
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_FALSE(aws::is_transient_s3_error(e));
  std::string m = aws::describe_s3_error("PUT", "bkt", "run/x.png", e, "AKIAEXAMPLE", "https://s3");
  EXPECT_NE(m.find("AKIAEXAMPLE"), std::string::npos) << m;
  EXPECT_NE(m.find("s3:PutObject"), std::string::npos) << m;
  EXPECT_NE(m.find("R1"), std::string::npos) << m;

  r.status = 404;
  r.body = "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>";
  m = aws::describe_s3_error("GET", "nope", "k", aws::parse_s3_error(r), "AK", "http://127.0.0.1:9000");
  EXPECT_NE(m.find("aws s3 mb s3://nope"), std::string::npos) << m;

  // S3's own message ends in a period; the advice follows it without doubling it.
  r.status = 403;
  r.body = "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the "
           "signature you provided. Check your key and signing method.</Message></Error>";
  m = aws::describe_s3_error("PUT", "bkt", "k", aws::parse_s3_error(r), "AK", "x");
  EXPECT_NE(m.find("Check your key and signing method. The secret key does not match access key AK"), std::string::npos) << m;

  r.status = 301;
  r.body = "";
  r.headers = {{"x-amz-bucket-region", "ap-south-1"}};
  e = aws::parse_s3_error(r);
  EXPECT_EQ(e.code, "PermanentRedirect");
  EXPECT_EQ(e.region, "ap-south-1");
  EXPECT_NE(aws::describe_s3_error("GET", "b", "k", e, "AK", "x").find("--region ap-south-1"), std::string::npos);

  r.status = 503;
  r.headers.clear();
  r.body = "<Error><Code>SlowDown</Code></Error>";
  EXPECT_TRUE(aws::is_transient_s3_error(aws::parse_s3_error(r)));
  EXPECT_TRUE(aws::body_is_error("<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code></Error>"));
  EXPECT_FALSE(aws::body_is_error("<CompleteMultipartUploadResult><ETag>x</ETag></CompleteMultipartUploadResult>"));
}

TEST(S3Client, AccessDeniedNamesTheActionResourceAndPrincipalEachCallNeeds) {
  // The IAM action and resource S3 authorises each call against (S3 User Guide, "Actions,
  // resources, and condition keys for Amazon S3"): multipart calls are PutObject but for the abort.
  struct Want {
    std::string op, action, resource;
  };
  const std::vector<Want> table = {
      {"PUT", "s3:PutObject", "arn:aws:s3:::bkt/*"},
      {"CREATE MULTIPART UPLOAD", "s3:PutObject", "arn:aws:s3:::bkt/*"},
      {"UPLOAD PART 3 of", "s3:PutObject", "arn:aws:s3:::bkt/*"},
      {"COMPLETE MULTIPART UPLOAD", "s3:PutObject", "arn:aws:s3:::bkt/*"},
      {"ABORT MULTIPART UPLOAD", "s3:AbortMultipartUpload", "arn:aws:s3:::bkt/*"},
      {"GET", "s3:GetObject", "arn:aws:s3:::bkt/*"},
      {"HEAD", "s3:GetObject", "arn:aws:s3:::bkt/*"},
      {"DELETE", "s3:DeleteObject", "arn:aws:s3:::bkt/*"},
      {"LIST", "s3:ListBucket", "arn:aws:s3:::bkt"},
  };
  cloud::HttpResponse r;
  r.status = 403;
  r.body = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
  const aws::S3ErrorInfo e = aws::parse_s3_error(r);
  for (const Want& w : table) {
    SCOPED_TRACE(w.op);
    const std::string m = aws::describe_s3_error(w.op, "bkt", w.resource.back() == '*' ? "run/k" : "", e, "AKIAEXAMPLE",
                                                 "https://s3", "environment");
    EXPECT_NE(m.find(w.action + " on " + w.resource + ","), std::string::npos) << m;
  }
  // A listing is granted on the bucket itself, never on bucket/*.
  EXPECT_EQ(aws::describe_s3_error("LIST", "bkt", "", e, "AK", "x").find("arn:aws:s3:::bkt/*"), std::string::npos);
  // A HEAD without ListBucket is also how S3 answers for a missing key.
  EXPECT_NE(aws::describe_s3_error("HEAD", "bkt", "k", e, "AK", "x").find("s3:ListBucket"), std::string::npos);

  // The principal: an instance role is named so it can be granted; keys say where they came from.
  std::string m = aws::describe_s3_error("PUT", "bkt", "k", e, "ASIAROLE", "x", "EC2 instance role 'gan-training-storage-access'");
  EXPECT_NE(m.find("Access key ASIAROLE (EC2 instance role 'gan-training-storage-access')"), std::string::npos) << m;
  EXPECT_NE(m.find("grant role 'gan-training-storage-access' s3:PutObject"), std::string::npos) << m;
  m = aws::describe_s3_error("GET", "bkt", "k", e, "AKIAPROF", "x", "profile 'work' in /home/u/.aws/credentials");
  EXPECT_NE(m.find("AKIAPROF (from profile 'work' in /home/u/.aws/credentials)"), std::string::npos) << m;
  m = aws::describe_s3_error("GET", "bkt", "k", e, "AKIAENV", "x", "environment");
  EXPECT_NE(m.find("AKIAENV (from AWS_ACCESS_KEY_ID)"), std::string::npos) << m;
  EXPECT_NE(m.find("aws sts get-caller-identity"), std::string::npos) << m;
}

TEST(S3Client, UploadPartsSendsEveryPartOrStopsAtTheFirstFailure) {
  std::vector<std::atomic<int>> ran(100);
  std::atomic<int> aborts{0};
  cloud::PartedUpload up;
  up.send_part = [&](int i, int64_t offset, int64_t length) {
    ran[static_cast<size_t>(i)]++;
    return std::to_string(offset) + "+" + std::to_string(length);
  };
  up.commit = [](const std::vector<std::string>& tags) { return tags.empty() ? "none" : tags.front() + " " + tags.back(); };
  up.abort = [&] { aborts++; };
  EXPECT_EQ(cloud::upload_parts(199, 2, 8, up), "0+2 198+1");  // 100 parts, the last one byte
  for (auto& r : ran) EXPECT_EQ(r.load(), 1);
  std::atomic<int> started{0};
  // Parts after the failing one take a millisecond each, so handing all 1000 out would take a
  // quarter of a second; the stop flag is set microseconds after part 3 throws.
  up.send_part = [&](int i, int64_t, int64_t) {
    started++;
    if (i == 3) throw std::runtime_error("part 4 failed");
    if (i > 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return std::string("tag");
  };
  try {
    cloud::upload_parts(1000, 1, 4, up);
    FAIL() << "a failed part was committed";
  } catch (const std::runtime_error& err) {
    EXPECT_STREQ(err.what(), "part 4 failed");
  }
  EXPECT_LT(started.load(), 1000) << "parts kept being handed out after a failure";
  EXPECT_EQ(aborts.load(), 1);
  EXPECT_EQ(cloud::upload_parts(0, 1, 4, up), "none");  // no parts: nothing sent, one commit
}

TEST(S3Client, BackoffWaitEndsAsSoonAsItIsCancelled) {
  cloud::RetryPolicy slow;
  slow.base_delay_s = 30;  // every wait would be up to 30 s
  slow.max_delay_s = 30;
  std::atomic<bool> cancel{false};
  cloud::Backoff b(slow, &cancel);
  auto t0 = std::chrono::steady_clock::now();
  std::thread setter = set_later(&cancel, 100);
  bool waited = true;
  while (waited && seconds_since(t0) < 60) waited = b.wait();  // a wait may draw a short delay: go on
  setter.join();
  EXPECT_FALSE(waited);
  EXPECT_TRUE(b.cancelled());
  EXPECT_LT(seconds_since(t0), 1.0) << "the backoff slept on after the cancel";
  EXPECT_LT(b.attempt(), slow.max_attempts);
  t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(cloud::Backoff(slow, &cancel).wait());  // already cancelled: no sleep at all
  EXPECT_LT(seconds_since(t0), 0.05);
}

TEST(S3Client, TransportStopsARequestWaitingForAnAnswerWhenCancelled) {
  gan_test::HangingServer hung;
  cloud::HttpTransport t;  // its stall limit is 30 s: only the cancel can end this early
  cloud::HttpRequest r;
  r.method = "PUT";
  r.url = hung.endpoint() + "/bucket/key";
  r.body = std::string(100000, 'x');
  std::atomic<bool> cancel{false};
  r.cancel = &cancel;
  auto t0 = std::chrono::steady_clock::now();
  std::thread setter = set_later(&cancel, 300);
  try {
    t.perform(r);
    FAIL() << "a server that never answers cannot give a response";
  } catch (const cloud::TransportError& e) {
    EXPECT_TRUE(e.cancelled) << e.what();
    EXPECT_NE(std::string(e.what()).find("cancelled"), std::string::npos) << e.what();
  }
  setter.join();
  EXPECT_LT(seconds_since(t0), 2.5);
  EXPECT_GE(hung.connections(), 1);
  // A request whose flag is already set is not sent at all.
  EXPECT_THROW(t.perform(r), cloud::TransportError);
  EXPECT_EQ(hung.connections(), 1);
}

TEST(S3Client, CancelledClientStopsStalledCallsAndTheirRetries) {
  gan_test::HangingServer hung;
  gan_test::TempDir dir;
  aws::S3ClientConfig cfg;
  cfg.endpoint = hung.endpoint();
  cfg.credentials = static_creds();
  cfg.multipart_threshold = 6 << 20;
  cfg.part_size = 5 << 20;
  // The defaults: 8 attempts with backoff, a 30 s stall limit each; minutes before giving up.
  aws::S3Client s3(cfg);
  const std::string big = gan_test::write_file(dir.path() + "/big.bin", gan_test::random_bytes(11 << 20, 1));
  for (const char* what : {"PutObject", "multipart"}) {
    SCOPED_TRACE(what);
    s3.set_cancelled(false);
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      s3.set_cancelled(true);
    });
    auto t0 = std::chrono::steady_clock::now();
    try {
      if (std::string(what) == "PutObject") s3.put("bucket", "k", "bytes");
      else s3.put_file("bucket", "big", big);
      FAIL() << "a server that never answers cannot take an upload";
    } catch (const aws::S3Error& e) {
      EXPECT_EQ(e.code(), "Cancelled") << e.what();
      EXPECT_TRUE(e.transient());
    }
    canceller.join();
    EXPECT_LT(seconds_since(t0), 0.5 + 1.5 + 3.0) << "the call outlived its cancellation (1 s poll + a 3 s abort)";
  }
  // While cancelled, a new call fails at once without a request.
  const int before = hung.connections();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(s3.get("bucket", "k"), aws::S3Error);
  EXPECT_LT(seconds_since(t0), 0.1);
  EXPECT_EQ(hung.connections(), before);
}
