// LocalStorage: the Storage contract over a folder (put/get/stat/list/list_dirs/remove), writes
// in progress invisible to readers, and every path-traversal spelling rejected before it
// touches the filesystem.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sys/stat.h>

#include "storage/local.h"
#include "common/atomic_file.h"
#include "tests/common/temp_dir.h"

namespace {

struct TempDir : gan_test::TempDir {
  TempDir() : gan_test::TempDir("gan-storage") {}
};

std::vector<std::string> keys(const std::vector<gan::ObjectInfo>& v) {
  std::vector<std::string> k;
  for (const auto& o : v) k.push_back(o.key);
  return k;
}

bool exists(const std::string& p) {
  struct stat s;
  return ::stat(p.c_str(), &s) == 0;
}

}  // namespace

TEST(LocalStorage, PutGetStatOverwrite) {
  TempDir t;
  gan::LocalStorage s(t.path + "/eval/");  // trailing slash is dropped
  EXPECT_EQ(s.url(), t.path + "/eval");
  EXPECT_FALSE(s.get("run/hyperparameters.json").has_value());
  EXPECT_FALSE(s.stat("run/hyperparameters.json").has_value());
  s.put("run/hyperparameters.json", "{\"epochs\": 100}");
  EXPECT_EQ(*s.get("run/hyperparameters.json"), "{\"epochs\": 100}");
  s.put("run/hyperparameters.json", "{}");
  EXPECT_EQ(*s.get("run/hyperparameters.json"), "{}");
  auto info = s.stat("run/hyperparameters.json");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->key, "run/hyperparameters.json");
  EXPECT_EQ(info->size, 2);
  EXPECT_GT(info->mtime, 1600000000);
  // A folder is not an object.
  EXPECT_FALSE(s.get("run").has_value());
  EXPECT_FALSE(s.stat("run").has_value());
  EXPECT_EQ(s.path_for("run/x"), t.path + "/eval/run/x");
}

TEST(LocalStorage, PutFileCopies) {
  TempDir t;
  gan::LocalStorage s(t.path + "/store");
  std::string src = t.path + "/ckpt.safetensors";
  gan::write_file_atomic(src, std::string(100000, 'z'));
  s.put_file("run/checkpoint/model.safetensors", src);
  EXPECT_EQ(*s.get("run/checkpoint/model.safetensors"), std::string(100000, 'z'));
  EXPECT_THROW(s.put_file("run/x", t.path + "/absent"), std::runtime_error);
}

TEST(LocalStorage, ListAndListDirs) {
  TempDir t;
  gan::LocalStorage s(t.path);
  for (const char* k : {"20260101T000000Z/epoch/10/summary.json", "20260101T000000Z/epoch/2/summary.json",
                        "20260101T000000Z/epoch/0/generated.png", "20260101T000000Z/hyperparameters.json",
                        "20260102T000000Z/target.png", "20260101T000000Z/epoch/10/metrics.csv"})
    s.put(k, k);
  // A write in progress (write_file_atomic's temp name) is not an object yet.
  gan::write_file_atomic(t.path + "/20260101T000000Z/dummy", "x");
  std::ofstream(t.path + "/20260101T000000Z/epoch/10/generated.png.tmp.12345.7") << "partial";
  std::ofstream(t.path + "/20260101T000000Z/epoch/10/summary.json.tmp.12345") << "partial";

  EXPECT_EQ(keys(s.list("")),
            (std::vector<std::string>{"20260101T000000Z/dummy", "20260101T000000Z/epoch/0/generated.png",
                                      "20260101T000000Z/epoch/10/metrics.csv", "20260101T000000Z/epoch/10/summary.json",
                                      "20260101T000000Z/epoch/2/summary.json", "20260101T000000Z/hyperparameters.json",
                                      "20260102T000000Z/target.png"}));
  EXPECT_EQ(keys(s.list("20260101T000000Z/epoch/1")),
            (std::vector<std::string>{"20260101T000000Z/epoch/10/metrics.csv", "20260101T000000Z/epoch/10/summary.json"}));
  EXPECT_EQ(keys(s.list("2026010")).size(), 7u);
  EXPECT_TRUE(s.list("nothing/here/").empty());
  auto l = s.list("20260102T000000Z/");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].size, (int64_t)std::string("20260102T000000Z/target.png").size());

  EXPECT_EQ(s.list_dirs(""), (std::vector<std::string>{"20260101T000000Z", "20260102T000000Z"}));
  EXPECT_EQ(s.list_dirs("20260101T000000Z/epoch/"), (std::vector<std::string>{"0", "10", "2"}));
  EXPECT_EQ(s.list_dirs("20260101T000000Z/epoch"), (std::vector<std::string>{"0", "10", "2"}));
  EXPECT_TRUE(s.list_dirs("20260101T000000Z/epoch/10/").empty());
  EXPECT_TRUE(s.list_dirs("absent/").empty());

  gan::LocalStorage missing(t.path + "/does-not-exist");
  EXPECT_TRUE(missing.list("").empty());
  EXPECT_TRUE(missing.list_dirs("").empty());
}

TEST(LocalStorage, RemovePrunesEmptyFolders) {
  TempDir t;
  gan::LocalStorage s(t.path + "/root");
  s.put("run/epoch/10/a", "1");
  s.put("run/epoch/10/b", "2");
  s.put("run/keep", "3");
  s.remove("run/epoch/10/a");
  EXPECT_FALSE(s.get("run/epoch/10/a").has_value());
  EXPECT_TRUE(s.get("run/epoch/10/b").has_value());
  s.remove("run/epoch/10/b");
  EXPECT_FALSE(exists(t.path + "/root/run/epoch"));
  EXPECT_TRUE(exists(t.path + "/root/run/keep"));
  EXPECT_TRUE(exists(t.path + "/root"));
  s.remove("run/epoch/10/b");  // removing what is gone is fine, as on S3
  EXPECT_EQ(keys(s.list("")), std::vector<std::string>{"run/keep"});
}

TEST(LocalStorage, RejectsTraversalAndOddKeys) {
  TempDir t;
  gan::LocalStorage s(t.path + "/root");
  s.put("ok", "1");
  gan::write_file_atomic(t.path + "/secret", "s");
  const std::string bad[] = {"", "../secret", "a/../../secret", "..", "/etc/passwd", "a//b", "a/./b",
                             "./a", "a\\..\\secret", std::string("a\0b", 3), "a/", "run/..",
                             std::string(1025, 'k')};
  for (const std::string& k : bad) {
    EXPECT_THROW(s.get(k), std::invalid_argument) << k;
    EXPECT_THROW(s.stat(k), std::invalid_argument) << k;
    EXPECT_THROW(s.put(k, "x"), std::invalid_argument) << k;
    EXPECT_THROW(s.remove(k), std::invalid_argument) << k;
  }
  for (const std::string& p : {std::string("../"), std::string("/"), std::string("a/../"), std::string("..")}) {
    EXPECT_THROW(s.list(p), std::invalid_argument) << p;
    EXPECT_THROW(s.list_dirs(p), std::invalid_argument) << p;
  }
  try {
    s.get("../secret");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"../secret\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(".."), std::string::npos) << e.what();
  }
  EXPECT_EQ(*s.get("ok"), "1");
  EXPECT_EQ(gan::read_file(t.path + "/secret"), "s");
  // Names that merely contain dots are fine.
  s.put("run/..hidden/v1..2.json", "x");
  EXPECT_EQ(*s.get("run/..hidden/v1..2.json"), "x");
}

TEST(LocalStorage, OpenStorage) {
  TempDir t;
  auto a = gan::open_storage(t.path + "/a");
  a->put("k", "v");
  EXPECT_NE(dynamic_cast<gan::LocalStorage*>(a.get()), nullptr);
  auto b = gan::open_storage("file://" + t.path + "/a");
  EXPECT_EQ(*b->get("k"), "v");
  // Schemes whose backend is not built yet must say so, naming the URL (once built, they open).
  for (const char* url : {"az://acct/gan-training-storage", "gs://bucket"}) {
    try {
      EXPECT_NE(gan::open_storage(url), nullptr);
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(url), std::string::npos) << e.what();
    }
  }
  try {
    gan::open_storage("ftp://x");
    ADD_FAILURE() << "ftp opened";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("s3://"), std::string::npos) << e.what();
  }
  EXPECT_THROW(gan::open_storage(""), std::invalid_argument);
}
