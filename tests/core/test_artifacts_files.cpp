// Atomic files and safetensors: round trips, the exact bytes safetensors' own writer produces for
// a tiny file, and corrupt files (truncated, lying header lengths, offsets out of range, overlaps)
// rejected with errors that name the file and tensor.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <cstring>
#include <dirent.h>
#include <random>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "heap_peak.h"
#include "tests/common/temp_dir.h"
#include "common/atomic_file.h"
#include "train/artifacts/safetensors.h"

namespace st = gan::safetensors;

namespace {

struct TempDir : gan_test::TempDir {
  TempDir() : gan_test::TempDir("gan-artifacts") {}
};

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) out.push_back(e->d_name);
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(ArtifactsAtomicFile, WritesReplacesAndLeavesNoTempFiles) {
  TempDir t;
  std::string p = t.path + "/summary.json";
  gan::write_file_atomic(p, "first");
  EXPECT_EQ(gan::read_file(p), "first");
  gan::write_file_atomic(p, std::string("second\0with nul", 15));
  EXPECT_EQ(gan::read_file(p), std::string("second\0with nul", 15));
  gan::write_file_atomic(t.path + "/empty", "");
  EXPECT_EQ(gan::read_file(t.path + "/empty"), "");
  EXPECT_EQ(entries(t.path), (std::vector<std::string>{"empty", "summary.json"}));

  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = (char)i;
  gan::write_file_atomic(t.path + "/big", big);
  gan::copy_file_atomic(t.path + "/big", t.path + "/copy");
  EXPECT_EQ(gan::read_file(t.path + "/copy"), big);
  EXPECT_EQ(entries(t.path), (std::vector<std::string>{"big", "copy", "empty", "summary.json"}));
}

// What a SIGKILL mid-write leaves: another process's temp files, removed on --resume; this
// process's own writes in progress and every other file stay.
TEST(ArtifactsAtomicFile, StaleTempFilesOfOtherProcessesAreRemoved) {
  TempDir t;
  gan::make_dirs(t.path + "/epoch/2");
  const std::string me = std::to_string(::getpid());
  const std::string other = std::to_string(::getpid() + 1);
  for (const std::string& f : std::vector<std::string>{"epoch/2/generator.safetensors.tmp." + other + ".8", "summary.json.tmp." + other,
                              "epoch/2/metrics.csv.tmp." + me + ".3", "epoch/2/generated.png", "notes.tmp.txt",
                              "data.tmp."})
    gan::write_file_atomic(t.path + "/" + f, "x");
  EXPECT_TRUE(gan::is_atomic_temp_name("a.png.tmp.12.3"));
  EXPECT_TRUE(gan::is_atomic_temp_name("a.png.tmp.12"));
  EXPECT_FALSE(gan::is_atomic_temp_name("notes.tmp.txt"));
  EXPECT_FALSE(gan::is_atomic_temp_name("data.tmp."));
  EXPECT_EQ(gan::remove_stale_temp_files(t.path), 2);
  EXPECT_EQ(entries(t.path + "/epoch/2"), (std::vector<std::string>{"generated.png", "metrics.csv.tmp." + me + ".3"}));
  EXPECT_EQ(entries(t.path), (std::vector<std::string>{"data.tmp.", "epoch", "notes.tmp.txt"}));
  EXPECT_EQ(gan::remove_stale_temp_files(t.path + "/missing"), 0);
}

TEST(ArtifactsAtomicFile, ConcurrentWritersNeverMixFiles) {
  TempDir t;
  std::string p = t.path + "/summary.json";
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      for (int i = 0; i < 25; ++i) gan::write_file_atomic(p, std::string(10000 + k, (char)('a' + k)));
    });
  std::string seen;
  for (int i = 0; i < 50; ++i) {  // every read sees one writer's whole file
    if (!gan::read_file_if_exists(p, &seen)) continue;
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen, std::string(seen.size(), seen[0]));
    EXPECT_EQ(seen.size(), 10000u + (seen[0] - 'a'));
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(entries(t.path), std::vector<std::string>{"summary.json"});
}

TEST(ArtifactsAtomicFile, MakeDirs) {
  TempDir t;
  gan::make_dirs(t.path + "/a/b/c/");
  gan::make_dirs(t.path + "/a/b/c");  // already there: fine
  struct stat s;
  ASSERT_EQ(::stat((t.path + "/a/b/c").c_str(), &s), 0);
  EXPECT_TRUE(S_ISDIR(s.st_mode));
  gan::write_file_atomic(t.path + "/a/file", "x");
  std::string e = error_of([&] { gan::make_dirs(t.path + "/a/file/sub"); });
  EXPECT_NE(e.find(t.path + "/a/file"), std::string::npos) << e;
  EXPECT_NE(e.find("not a folder"), std::string::npos) << e;
}

TEST(ArtifactsAtomicFile, ErrorsNameThePath) {
  TempDir t;
  std::string missing = t.path + "/no/such/dir/generated.png";
  std::string e = error_of([&] { gan::write_file_atomic(missing, "x"); });
  EXPECT_NE(e.find(missing), std::string::npos) << e;
  EXPECT_NE(e.find("No such file or directory"), std::string::npos) << e;
  EXPECT_NE(e.find("writable"), std::string::npos) << e;
  EXPECT_EQ(entries(t.path), std::vector<std::string>{});

  e = error_of([&] { gan::read_file(t.path + "/absent"); });
  EXPECT_NE(e.find(t.path + "/absent"), std::string::npos) << e;
  std::string out;
  EXPECT_FALSE(gan::read_file_if_exists(t.path + "/absent", &out));
  e = error_of([&] { gan::copy_file_atomic(t.path + "/absent", t.path + "/dst"); });
  EXPECT_NE(e.find(t.path + "/absent"), std::string::npos) << e;

  // A parent that is a file, not a folder: unwritable for root too.
  gan::write_file_atomic(t.path + "/plain", "x");
  e = error_of([&] { gan::write_file_atomic(t.path + "/plain/summary.json", "x"); });
  EXPECT_NE(e.find(t.path + "/plain/summary.json"), std::string::npos) << e;
  EXPECT_NE(e.find("Not a directory"), std::string::npos) << e;
}

TEST(ArtifactsAtomicFile, ReadOnlyFolderNamesThePath) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permission bits do not stop root";
  TempDir t;
  std::string e;
  std::string ro = t.path + "/readonly";
  gan::make_dirs(ro);
  ASSERT_EQ(::chmod(ro.c_str(), 0555), 0);
  e = error_of([&] { gan::write_file_atomic(ro + "/x.json", "x"); });
  EXPECT_NE(e.find(ro + "/x.json"), std::string::npos) << e;
  EXPECT_NE(e.find("Permission denied"), std::string::npos) << e;
  ::chmod(ro.c_str(), 0755);
}

TEST(ArtifactsSafetensors, ExactBytesForATinyFile) {
  st::File f;
  const float a[2] = {1.0f, 2.0f};
  f.add_f32("a", {2}, a);
  f.metadata["format"] = "pt";
  std::string header = R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  ASSERT_EQ(header.size(), 85u);
  std::string expected = std::string("\x58\0\0\0\0\0\0\0", 8) + header + "   " +
                         std::string("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);
  EXPECT_EQ(st::serialize(f), expected);
}

// The byte vectors of safetensors' own serializer tests (safetensors/src/tensor.rs).
TEST(ArtifactsSafetensors, MatchesUpstreamVectors) {
  st::File empty;
  EXPECT_EQ(st::serialize(empty), std::string("\x08\0\0\0\0\0\0\0{}      ", 16));
  empty.metadata["framework"] = "pt";
  EXPECT_EQ(st::serialize(empty),
            std::string("\x28\0\0\0\0\0\0\0", 8) + "{\"__metadata__\":{\"framework\":\"pt\"}}     ");
  st::File attn;
  const float v[6] = {0, 1, 2, 3, 4, 5};
  attn.add_f32("attn.0", {1, 2, 3}, v);
  std::string out = st::serialize(attn);
  EXPECT_EQ(out.substr(0, 72), std::string("\x40\0\0\0\0\0\0\0", 8) +
                                   R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})");
  EXPECT_EQ(out.substr(72), std::string(reinterpret_cast<const char*>(v), 24));
  EXPECT_EQ(st::parse(out, "attn").f32("attn.0"), std::vector<float>(v, v + 6));
}

TEST(ArtifactsSafetensors, RoundTripOrderedLikeSafetensors) {
  st::File f;
  std::vector<float> w(6 * 5), b(6);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.01f * (float)i - 0.1f;
  for (size_t i = 0; i < b.size(); ++i) b[i] = -(float)i;
  const int64_t step[1] = {123456789012LL};
  const uint8_t rng[5] = {1, 2, 3, 250, 0};
  f.add_u8("rng_state", {5}, rng);
  f.add_f32("label_embedding.weight", {6, 5}, w.data());
  f.add_f32("fc.bias", {6}, b.data());
  f.add_i64("step", {}, step);
  f.add_f32("empty", {0, 3}, nullptr);
  f.metadata["epoch"] = "10";
  f.metadata["note"] = "quote \" and \\ and \n";

  TempDir t;
  std::string path = t.path + "/generator.safetensors";
  st::save(path, f);
  std::string bytes = gan::read_file(path);
  EXPECT_EQ(bytes.size() % 8, (8 + w.size() * 4 + b.size() * 4 + 8 + 5) % 8);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);

  st::File g = st::load(path);
  std::vector<std::string> names;
  for (const auto& x : g.tensors) names.push_back(x.name);
  // Widest dtype first, then by name: the data layout safetensors' own writer produces.
  EXPECT_EQ(names, (std::vector<std::string>{"step", "empty", "fc.bias", "label_embedding.weight", "rng_state"}));
  EXPECT_EQ(g.metadata, f.metadata);
  EXPECT_EQ(g.f32("label_embedding.weight"), w);
  EXPECT_EQ(g.at("label_embedding.weight").shape, (std::vector<int64_t>{6, 5}));
  EXPECT_EQ(g.f32("fc.bias"), b);
  EXPECT_EQ(g.i64("step"), std::vector<int64_t>{123456789012LL});
  EXPECT_TRUE(g.at("step").shape.empty());
  EXPECT_EQ(g.u8("rng_state"), std::vector<uint8_t>(rng, rng + 5));
  EXPECT_EQ(g.at("empty").numel(), 0);
  EXPECT_NE(error_of([&] { g.f32("step"); }).find("step is I64"), std::string::npos);
  EXPECT_NE(error_of([&] { g.at("nope"); }).find("nope"), std::string::npos);
  EXPECT_EQ(st::serialize(g), bytes);
}

TEST(ArtifactsSafetensors, WriterRejectsBadInput) {
  st::File f;
  float x[2] = {};
  f.add_f32("a", {2}, x);
  f.add_f32("a", {2}, x);
  EXPECT_NE(error_of([&] { st::serialize(f); }).find("two tensors named a"), std::string::npos);
  f.tensors.pop_back();
  f.tensors[0].data.pop_back();
  EXPECT_NE(error_of([&] { st::serialize(f); }).find("tensor a holds 7 bytes"), std::string::npos);
  EXPECT_THROW(f.add_f32("n", {-1}, x), std::invalid_argument);
}

namespace {

// A file from a hand-written header (padded) and a data buffer of `data_bytes` zero bytes.
std::string handmade(const std::string& header, size_t data_bytes) {
  std::string h = header;
  h.append((8 - h.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  uint64_t n = h.size();
  std::memcpy(out.data(), &n, 8);
  return out + h + std::string(data_bytes, '\0');
}

std::string parse_error(const std::string& bytes) {
  return error_of([&] { st::parse(bytes, "ckpt/model.safetensors"); });
}

}  // namespace

TEST(ArtifactsSafetensors, CorruptFilesNameFileAndTensor) {
  st::File f;
  float v[4] = {1, 2, 3, 4};
  f.add_f32("w", {2, 2}, v);
  std::string good = st::serialize(f);

  auto expect_error = [](const std::string& e, const std::string& part) {
    EXPECT_NE(e.find("ckpt/model.safetensors"), std::string::npos) << e;
    EXPECT_NE(e.find(part), std::string::npos) << "wanted \"" << part << "\" in: " << e;
  };
  expect_error(parse_error(good.substr(0, 5)), "shorter than the 8-byte header length");
  expect_error(parse_error(good.substr(0, good.size() - 1)), "tensor w: data_offsets [0, 16] run past the end");
  expect_error(parse_error(good.substr(0, 40)), "runs past the end of the file");
  std::string huge = good;
  huge[7] = 1;  // header length 2^56
  expect_error(parse_error(huge), "exceeds 1 MiB");
  expect_error(parse_error(good + "xx"), "2 bytes after the last tensor");
  expect_error(parse_error(handmade("[1,2]", 0)), "does not start with '{'");
  expect_error(parse_error(handmade("{\"w\":", 0)), "(safetensors header)");
  expect_error(parse_error(handmade(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12)),
               "tensor v overlaps");
  expect_error(parse_error(handmade(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8)),
               "gap in the data before tensor w");
  expect_error(parse_error(handmade(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)),
               "tensor w: shape and dtype need 12 bytes but data_offsets span 8");
  expect_error(parse_error(handmade(R"({"w":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}})", 8)),
               "tensor w: dtype BF16 is not supported");
  expect_error(parse_error(handmade(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)),
               "tensor w: shape must hold non-negative integers");
  expect_error(parse_error(handmade(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8)),
               "tensor w: data_offsets must be integers");
  expect_error(parse_error(handmade(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999999]}})", 8)),
               "tensor w: data_offsets [0, 99999999999999] run past the end");
  expect_error(parse_error(handmade(R"({"w":{"dtype":"U8","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", 8)),
               "tensor w: shape is too large");
  expect_error(parse_error(handmade(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", 16)),
               "tensor w: appears twice");
  expect_error(parse_error(handmade(R"({"__metadata__":{"a":1}})", 0)), "__metadata__ value of \"a\" is not a string");

  TempDir t;
  std::string e = error_of([&] { st::load(t.path + "/missing.safetensors"); });
  EXPECT_NE(e.find(t.path + "/missing.safetensors"), std::string::npos) << e;
}

// Many entries claiming the same bytes are refused before any tensor is copied: the parse costs
// the header, not entries x buffer (the review's file, 100 entries over one 8 MiB buffer, took
// 811 MiB; 1,000 ended in bad_alloc). A good file costs about its own size once.
TEST(ArtifactsSafetensors, OverlappingEntriesAreRefusedBeforeAnythingIsCopied) {
  const int64_t buffer = 4 << 20;
  std::string header = "{";
  for (int i = 0; i < 64; ++i)
    header += std::string(i ? "," : "") + "\"t" + std::to_string(i) +
              "\":{\"dtype\":\"F32\",\"shape\":[1048576],\"data_offsets\":[0,4194304]}";
  header += "}";
  const std::string hostile = handmade(header, (size_t)buffer);
  std::string e;
  int64_t peak = 0;
  {
    gan_test::HeapPeak heap;
    e = parse_error(hostile);
    peak = heap.bytes();
  }
  EXPECT_NE(e.find("ckpt/model.safetensors"), std::string::npos) << e;
  EXPECT_NE(e.find("overlaps the previous tensor"), std::string::npos) << e;
  EXPECT_LT(peak, 1 << 20) << "the parser allocated " << peak << " bytes for a file it refused";

  st::File f;
  std::vector<float> v((size_t)buffer / 4, 0.25f);
  f.add_f32("w", {buffer / 4}, v.data());
  const std::string good = st::serialize(f);
  {
    gan_test::HeapPeak heap;
    st::File g = st::parse(good, "good.safetensors");
    peak = heap.bytes();
    ASSERT_EQ(g.at("w").data.size(), (size_t)buffer);
  }
  EXPECT_LT(peak, (int64_t)good.size() + (256 << 10));

  // Caps on the header and the entry count, checked before the entries are looked at.
  std::string many = "{";
  for (int i = 0; i <= 16384; ++i)
    many += std::string(i ? "," : "") + "\"z" + std::to_string(i) + "\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}";
  many += "}";
  ASSERT_LT(many.size(), 1u << 20);
  e = parse_error(handmade(many, 0));
  EXPECT_NE(e.find("more than 16384 tensors"), std::string::npos) << e;
  e = parse_error(handmade("{\"__metadata__\":{\"k\":\"" + std::string(1 << 20, 'x') + "\"}}", 0));
  EXPECT_NE(e.find("exceeds 1 MiB"), std::string::npos) << e;
}

TEST(ArtifactsSafetensors, RandomCorruptionNeverCrashes) {
  st::File f;
  std::vector<float> v(16, 0.5f);
  const int64_t step[1] = {7};
  f.add_f32("a.weight", {4, 4}, v.data());
  f.add_i64("step", {1}, step);
  f.metadata["k"] = "v";
  const std::string good = st::serialize(f);
  std::mt19937 rng(5);
  int rejected = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string b = good;
    if (iter % 3 == 0) b.resize(rng() % b.size());
    for (int k = 1 + rng() % 3; k > 0 && !b.empty(); --k) b[rng() % b.size()] = (char)rng();
    try {
      st::File g = st::parse(b, "fuzz.safetensors");
      for (const auto& t : g.tensors) ASSERT_EQ((int64_t)t.data.size(), t.numel() * (int64_t)st::dtype_size(t.dtype));
    } catch (const std::runtime_error& e) {
      ++rejected;
      ASSERT_NE(std::string(e.what()).find("fuzz.safetensors"), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(rejected, 1000);
}
