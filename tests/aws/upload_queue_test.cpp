// UploadQueue: background uploads that never block the caller, survive a crash (journal replay),
// supersede stale versions, and report what could not be uploaded. A fake remote stands in for
// the network here; tests/aws/s3_storage_test.cpp runs the queue against the local S3.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "storage/upload_queue.h"
#include "tests/aws/fixture.h"

namespace {

// An in-memory remote whose availability the test controls.
class FakeRemote : public gan::Storage {
 public:
  enum class Mode { Up, DownTransient, DownPermanent, Hang };
  std::atomic<Mode> mode{Mode::Up};
  std::mutex mu;
  std::map<std::string, std::string> objects;
  std::map<std::string, int> uploads;  // successful put_file calls per key
  std::atomic<int> attempts{0};

  std::string url() const override { return "fake://"; }
  void put(const std::string& key, const std::string& bytes) override {
    std::lock_guard<std::mutex> lock(mu);
    objects[key] = bytes;
  }
  void put_file(const std::string& key, const std::string& local_path) override {
    attempts++;
    switch (mode.load()) {
      case Mode::DownTransient: throw gan::RemoteStorageError("503 SlowDown (fake)", true);
      case Mode::DownPermanent: throw gan::RemoteStorageError("403 AccessDenied (fake)", false);
      case Mode::Hang:
        while (mode.load() == Mode::Hang) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        throw gan::RemoteStorageError("connection reset (fake)", true);
      case Mode::Up: break;
    }
    std::string bytes = gan_test::read_file(local_path);
    std::lock_guard<std::mutex> lock(mu);
    objects[key] = bytes;
    uploads[key]++;
  }
  std::optional<std::string> get(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = objects.find(key);
    if (it == objects.end()) return std::nullopt;
    return it->second;
  }
  std::optional<gan::ObjectInfo> stat(const std::string&) override { return std::nullopt; }
  std::vector<gan::ObjectInfo> list(const std::string&) override { return {}; }
  std::vector<std::string> list_dirs(const std::string&) override { return {}; }
  void remove(const std::string&) override {}
};

// A remote whose uploads hang until the queue cancels them, as S3Storage against a stalled server.
class InterruptibleRemote : public FakeRemote {
 public:
  std::atomic<bool> cancelled{false};
  std::atomic<int> cancels{0};
  void set_cancelled(bool c) override {
    cancelled = c;
    if (c) cancels++;
  }
  void put_file(const std::string& key, const std::string& local_path) override {
    attempts++;
    while (!cancelled) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    throw gan::RemoteStorageError("PUT " + key + " cancelled (fake)", true);
  }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

gan::UploadQueueOptions fast() {
  gan::UploadQueueOptions o;
  o.retry_min_s = 0.01;
  o.retry_max_s = 0.05;
  o.log = [](const std::string&) {};
  return o;
}

std::string artifact(const gan_test::TempDir& dir, const std::string& name, const std::string& bytes) {
  return gan_test::write_file(dir.path() + "/" + name, bytes);
}

}  // namespace

TEST(UploadQueue, UploadsEveryArtifactInTheBackground) {
  gan_test::TempDir dir;
  auto remote = std::make_shared<FakeRemote>();
  gan::UploadQueue q(remote, dir.path() + "/journal", fast());
  for (int i = 0; i < 20; i++)
    q.on_artifact("run/epoch/" + std::to_string(i) + "/summary.json", artifact(dir, "f" + std::to_string(i), "bytes " + std::to_string(i)));
  auto r = q.drain(10);
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(q.uploaded_count(), 20u);  // r.uploaded counts only those sent while draining
  for (int i = 0; i < 20; i++) {
    const std::string key = "run/epoch/" + std::to_string(i) + "/summary.json";
    EXPECT_EQ(remote->objects[key], "bytes " + std::to_string(i));
    EXPECT_EQ(remote->uploads[key], 1) << key;
  }
  EXPECT_EQ(q.pending_count(), 0u);
}

TEST(UploadQueue, CallerNeverWaitsWhileTheRemoteIsDownAndItDrainsWhenBack) {
  gan_test::TempDir dir;
  auto remote = std::make_shared<FakeRemote>();
  remote->mode = FakeRemote::Mode::Hang;  // every upload hangs, as on a dead network
  gan::UploadQueue q(remote, dir.path() + "/journal", fast());
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; i++) q.on_artifact("k" + std::to_string(i), artifact(dir, "f" + std::to_string(i), std::to_string(i)));
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(ms, 2000.0) << "on_artifact waited on the network";
  EXPECT_EQ(q.pending_count(), 50u);
  remote->mode = FakeRemote::Mode::DownTransient;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(q.pending_count(), 50u);
  EXPECT_GT(remote->attempts.load(), 1);
  remote->mode = FakeRemote::Mode::Up;
  auto r = q.drain(20);
  EXPECT_TRUE(r.complete()) << r.failed.size() << " still pending";
  for (int i = 0; i < 50; i++) EXPECT_EQ(remote->uploads["k" + std::to_string(i)], 1);
}

TEST(UploadQueue, NewerArtifactSupersedesAPendingOlderOne) {
  gan_test::TempDir dir;
  auto remote = std::make_shared<FakeRemote>();
  remote->mode = FakeRemote::Mode::DownTransient;
  gan::UploadQueue q(remote, dir.path() + "/journal", fast());
  q.on_artifact("run/checkpoint/state.safetensors", artifact(dir, "v1", "version 1"));
  q.on_artifact("run/other.json", artifact(dir, "o", "other"));
  q.on_artifact("run/checkpoint/state.safetensors", artifact(dir, "v2", "version 2"));
  EXPECT_EQ(q.pending_count(), 2u);
  remote->mode = FakeRemote::Mode::Up;
  ASSERT_TRUE(q.drain(10).complete());
  EXPECT_EQ(remote->objects["run/checkpoint/state.safetensors"], "version 2");
  EXPECT_EQ(remote->uploads["run/checkpoint/state.safetensors"], 1);
}

TEST(UploadQueue, DrainReportsPermanentFailuresWithoutWaitingForThem) {
  gan_test::TempDir dir;
  auto remote = std::make_shared<FakeRemote>();
  remote->mode = FakeRemote::Mode::DownPermanent;
  gan::UploadQueue q(remote, dir.path() + "/journal", fast());
  q.on_artifact("a", artifact(dir, "a", "a"));
  q.on_artifact("b", dir.path() + "/does-not-exist");
  auto t0 = std::chrono::steady_clock::now();
  auto r = q.drain(30);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
  ASSERT_EQ(r.failed.size(), 2u);
  EXPECT_NE(r.failed[0].last_error.find("AccessDenied"), std::string::npos) << r.failed[0].last_error;
  EXPECT_NE(r.failed[1].last_error.find("is gone"), std::string::npos) << r.failed[1].last_error;
  EXPECT_TRUE(r.failed[0].permanent);
}

TEST(UploadQueue, DrainStopsAtItsTimeoutAndReportsProgress) {
  gan_test::TempDir dir;
  auto remote = std::make_shared<FakeRemote>();
  remote->mode = FakeRemote::Mode::DownTransient;
  gan::UploadQueue q(remote, dir.path() + "/journal", fast());
  q.on_artifact("a", artifact(dir, "a", "a"));
  int calls = 0;
  auto r = q.drain(1.5, [&](const gan::UploadQueue::DrainProgress& p) {
    calls++;
    EXPECT_EQ(p.total, 1u);
  });
  EXPECT_FALSE(r.complete());
  EXPECT_GE(calls, 1);
  EXPECT_FALSE(r.failed[0].permanent);
}

TEST(UploadQueue, KilledWithPendingUploadsResumesThemFromTheJournal) {
  gan_test::TempDir dir;
  const std::string journal = dir.path() + "/journal";
  for (int i = 0; i < 10; i++) artifact(dir, "f" + std::to_string(i), "content " + std::to_string(i));
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The "training process": its uploads hang; it journals 10 artifacts, then dies by SIGKILL.
    auto remote = std::make_shared<FakeRemote>();
    remote->mode = FakeRemote::Mode::Hang;
    gan::UploadQueue q(remote, journal, fast());
    for (int i = 0; i < 10; i++) q.on_artifact("run/k" + std::to_string(i), dir.path() + "/f" + std::to_string(i));
    if (write(ready[1], "x", 1) != 1) _exit(2);
    for (;;) pause();
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  // A crash may also tear the last line of the journal: replay must ignore it.
  { std::ofstream(journal, std::ios::app) << "A 999 run/torn"; }

  auto remote = std::make_shared<FakeRemote>();
  gan::UploadQueue q(remote, journal, fast());
  EXPECT_EQ(q.pending_count(), 10u);
  ASSERT_TRUE(q.drain(10).complete());
  for (int i = 0; i < 10; i++) {
    EXPECT_EQ(remote->objects["run/k" + std::to_string(i)], "content " + std::to_string(i));
    EXPECT_EQ(remote->uploads["run/k" + std::to_string(i)], 1);
  }
  EXPECT_EQ(remote->objects.count("run/torn"), 0u);
  // Everything is done: a third open finds nothing to send.
  gan::UploadQueue again(remote, journal, fast());
  EXPECT_EQ(again.pending_count(), 0u);
}

TEST(UploadQueue, KeysAndPathsWithSpacesAndPercentsSurviveTheJournal) {
  gan_test::TempDir dir;
  const std::string journal = dir.path() + "/journal";
  const std::string key = "run a/100% done\tx/\xc3\xa9.png";
  const std::string path = artifact(dir, "file with space %41.png", "png");
  {
    auto remote = std::make_shared<FakeRemote>();
    remote->mode = FakeRemote::Mode::DownTransient;
    gan::UploadQueue q(remote, journal, fast());
    q.on_artifact(key, path);
  }
  auto remote = std::make_shared<FakeRemote>();
  gan::UploadQueue q(remote, journal, fast());
  ASSERT_TRUE(q.drain(10).complete());
  EXPECT_EQ(remote->objects[key], "png");
}

TEST(UploadQueue, UnwritableJournalIsAnActionableError) {
  auto remote = std::make_shared<FakeRemote>();
  try {
    gan::UploadQueue q(remote, "/nonexistent-dir/journal", fast());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/journal"), std::string::npos) << e.what();
  }
}

TEST(UploadQueue, DrainTimeoutCancelsTheUploadInFlightAndSaysWhatWasNotAttempted) {
  gan_test::TempDir dir;
  const std::string journal = dir.path() + "/journal";
  auto remote = std::make_shared<InterruptibleRemote>();
  std::chrono::steady_clock::time_point t0;
  {
    gan::UploadQueue q(remote, journal, fast());
    for (const char* k : {"run/a", "run/b", "run/c"}) q.on_artifact(k, artifact(dir, std::string(k).substr(4), k));
    while (remote->attempts.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    t0 = std::chrono::steady_clock::now();
    auto r = q.drain(1.0);
    EXPECT_LT(seconds_since(t0), 1.5);
    ASSERT_EQ(r.failed.size(), 3u);
    EXPECT_EQ(r.failed[0].key, "run/a");
    EXPECT_TRUE(r.failed[0].in_flight);
    EXPECT_EQ(r.failed[0].last_error, "") << "its first attempt never finished";
    for (size_t i = 1; i < 3; i++) {
      EXPECT_FALSE(r.failed[i].in_flight) << r.failed[i].key;
      EXPECT_EQ(r.failed[i].attempts, 0) << r.failed[i].key;
    }
    EXPECT_EQ(remote->cancels.load(), 1) << "the drain's deadline did not cancel the upload in flight";
  }
  EXPECT_LT(seconds_since(t0), 2.0) << "destroying the queue waited for the cancelled upload";
  EXPECT_EQ(remote->attempts.load(), 1) << "the stopped queue started another upload";
  EXPECT_FALSE(remote->cancelled.load()) << "the remote stays usable after the queue is gone";
  // Nothing was lost: the next queue on the journal sends all three.
  auto up = std::make_shared<FakeRemote>();
  gan::UploadQueue again(up, journal, fast());
  EXPECT_EQ(again.pending_count(), 3u);
  ASSERT_TRUE(again.drain(10).complete());
  EXPECT_EQ(up->objects["run/c"], "run/c");
}

TEST(UploadQueue, DestroyingTheQueueCancelsAnUploadInFlight) {
  gan_test::TempDir dir;
  auto remote = std::make_shared<InterruptibleRemote>();
  auto q = std::make_unique<gan::UploadQueue>(remote, dir.path() + "/journal", fast());
  q->on_artifact("run/a", artifact(dir, "a", "a"));
  while (remote->attempts.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto t0 = std::chrono::steady_clock::now();
  q.reset();
  EXPECT_LT(seconds_since(t0), 0.5);
  EXPECT_EQ(remote->cancels.load(), 1);
  EXPECT_FALSE(remote->cancelled.load());
  // An idle queue's destruction cancels nothing.
  auto idle = std::make_shared<InterruptibleRemote>();
  { gan::UploadQueue q2(idle, dir.path() + "/journal2", fast()); }
  EXPECT_EQ(idle->cancels.load(), 0);
}
