// UploadQueue: background uploads that never block the caller, survive a crash (journal replay),
// supersede stale versions, and report what could not be uploaded. A fake remote stands in for
// the network here; tests/aws/s3_storage_test.cpp runs the queue against the local S3.
#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/upload_queue.h"
#include "tests/aws/fixture.h"

// Fault injection for the journal's sync and close checks: these replace libc's fsync, fdatasync
// and close in this test binary (an executable's own definitions win over the C library's). They
// pass every call through (as the system call) unless a test arms them.
namespace {
std::atomic<int> g_fsync_errno{0}, g_fdatasync_errno{0};
std::atomic<bool> g_watch{false};  // record directory fsyncs, and fail close() of g_close_path
std::mutex g_fault_mu;
std::string g_close_path;
std::vector<std::string> g_synced_dirs;

std::string fd_path(int fd) {
  char buf[4096];
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}
}  // namespace

extern "C" int fsync(int fd) {
  if (g_watch.load()) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      std::lock_guard<std::mutex> lock(g_fault_mu);
      g_synced_dirs.push_back(fd_path(fd));
    }
  }
  if (int e = g_fsync_errno.load()) {
    errno = e;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_fsync, fd));
}

extern "C" int fdatasync(int fd) {
  if (int e = g_fdatasync_errno.load()) {
    errno = e;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_fdatasync, fd));
}

extern "C" int close(int fd) {
  if (g_watch.load()) {
    std::lock_guard<std::mutex> lock(g_fault_mu);
    if (!g_close_path.empty() && fd_path(fd) == g_close_path) {
      ::syscall(SYS_close, fd);  // Linux closes the descriptor even when close reports an error
      errno = EIO;
      return -1;
    }
  }
  return static_cast<int>(::syscall(SYS_close, fd));
}

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

// Queue options that collect the warnings.
gan::UploadQueueOptions logging(std::vector<std::string>* logs) {
  gan::UploadQueueOptions o = fast();
  auto mu = std::make_shared<std::mutex>();
  o.log = [logs, mu](const std::string& m) {
    std::lock_guard<std::mutex> lock(*mu);
    logs->push_back(m);
  };
  return o;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  return all;
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Writes a new version of the file the way artifacts are written: a temp file renamed over it.
void replace_file(const std::string& path, const std::string& bytes) {
  gan_test::write_file(path + ".new", bytes);
  ASSERT_EQ(std::rename((path + ".new").c_str(), path.c_str()), 0);
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

// The older version's upload is in flight when the newer comes, and then fails: it is dropped, not
// retried, so it can never land after the newer upload and put the older bytes back.
TEST(UploadQueue, AFailedUploadOfASupersededVersionIsNotRetried) {
  gan_test::TempDir dir;
  auto remote = std::make_shared<FakeRemote>();
  remote->mode = FakeRemote::Mode::Hang;
  gan::UploadQueue q(remote, dir.path() + "/journal", fast());
  const std::string key = "run/checkpoint/state.safetensors";
  q.on_artifact(key, artifact(dir, "v1", "version 1"));
  while (remote->attempts.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  q.on_artifact(key, artifact(dir, "v2", "version 2"));
  EXPECT_EQ(q.pending_count(), 1u);
  remote->mode = FakeRemote::Mode::Up;  // the hanging attempt at version 1 ends with a reset
  ASSERT_TRUE(q.drain(10).complete());
  EXPECT_EQ(remote->objects[key], "version 2");
  EXPECT_EQ(remote->uploads[key], 1);
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

// A journal written before records had checksums is still read. One corrupt %-escape in it made
// the queue (and so --resume) fail with a bare "stoi": now that line is dropped, with a warning
// naming the journal and the line, and every other record is kept.
TEST(UploadQueue, CorruptLineInAnOldJournalIsDroppedAndTheRestKept) {
  gan_test::TempDir dir;
  const std::string journal = dir.path() + "/journal";
  for (const char* f : {"a", "b", "c", "d"}) artifact(dir, f, std::string("content ") + f);
  const std::string d = dir.path() + "/";
  gan_test::write_file(journal, "A 1 run/a " + d + "a\nA 2 run/b%ZZ " + d + "b\nA 3 run/c " + d + "c\nA 4 run/d " + d +
                                    "d\nD 3\n");
  std::vector<std::string> logs;
  auto remote = std::make_shared<FakeRemote>();
  gan::UploadQueue q(remote, journal, logging(&logs));
  ASSERT_TRUE(q.drain(10).complete());
  EXPECT_EQ(remote->objects["run/a"], "content a");
  EXPECT_EQ(remote->objects["run/d"], "content d");
  EXPECT_EQ(remote->objects.size(), 2u);
  EXPECT_NE(joined(logs).find(journal + ", line 2: dropped bad %-escape"), std::string::npos) << joined(logs);
  // Compacted into the checksummed format.
  EXPECT_EQ(gan_test::read_file(journal).rfind("gan-upload-journal 2\n", 0), 0u);
}

// A journal naming something other than a regular file (here /dev/zero, on another filesystem, so
// a snapshot would be a copy) is neither copied nor uploaded: its upload fails permanently naming
// the path, and the rest drain. Before, the snapshot copied /dev/zero until the disk filled.
// Run in a child with an alarm, so that the failure is a bounded one.
TEST(UploadQueue, JournalNamingADeviceIsNeitherCopiedNorUploaded) {
  gan_test::TempDir dir;
  const std::string journal = dir.path() + "/journal";
  artifact(dir, "a", "content a");
  gan_test::write_file(journal, "A 1 run/zero /dev/zero\nA 2 run/a " + dir.path() + "/a\n");
  EXPECT_EXIT(
      {
        ::alarm(20);
        std::vector<std::string> logs;
        auto remote = std::make_shared<FakeRemote>();
        gan::UploadQueue q(remote, journal, logging(&logs));
        q.drain(10);
        const bool ok = remote->objects["run/a"] == "content a" && remote->objects.count("run/zero") == 0 &&
                        joined(logs).find("/dev/zero is not a regular file") != std::string::npos;
        if (!ok) std::fprintf(stderr, "%s", joined(logs).c_str());
        std::_Exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// A record damaged on disk fails its checksum: it is dropped with a warning naming the line, and
// the records around it are kept. (Before checksums a changed byte changed a key or a path.)
TEST(UploadQueue, DamagedRecordFailsItsChecksumAndTheRestAreKept) {
  gan_test::TempDir dir;
  const std::string journal = dir.path() + "/journal";
  {
    auto down = std::make_shared<FakeRemote>();
    down->mode = FakeRemote::Mode::DownTransient;
    gan::UploadQueue q(down, journal, fast());
    for (const char* k : {"run/k1", "run/k2", "run/k3"}) q.on_artifact(k, artifact(dir, std::string(k).substr(4), k));
  }
  std::string text = gan_test::read_file(journal);
  const size_t at = text.find("run/k2");
  ASSERT_NE(at, std::string::npos) << text;
  text[at + 5] = '9';  // run/k2 -> run/k9, as a flipped bit on disk would
  gan_test::write_file(journal, text);
  std::vector<std::string> logs;
  auto remote = std::make_shared<FakeRemote>();
  gan::UploadQueue q(remote, journal, logging(&logs));
  ASSERT_TRUE(q.drain(10).complete());
  EXPECT_EQ(remote->objects.count("run/k1"), 1u);
  EXPECT_EQ(remote->objects.count("run/k3"), 1u);
  EXPECT_EQ(remote->objects.count("run/k9"), 0u) << "a damaged record was trusted";
  EXPECT_EQ(remote->objects.count("run/k2"), 0u);
  EXPECT_NE(joined(logs).find(journal + ", line 3: dropped its checksum does not match"), std::string::npos) << joined(logs);
}

// An append that fails part-way (here: the file size limit, as a full disk would) leaves a torn
// record. Before, the next append continued that line, and replay read one merged record: the next
// artifact was lost. Now every append after a failed one starts on a fresh line.
TEST(UploadQueue, TornAppendDoesNotSwallowTheNextRecord) {
  gan_test::TempDir dir;
  const std::string journal = dir.path() + "/journal";
  {
    auto down = std::make_shared<FakeRemote>();
    down->mode = FakeRemote::Mode::DownTransient;
    gan::UploadQueue q(down, journal, fast());
    q.on_artifact("run/first", artifact(dir, "first", "first"));
    struct stat st {};
    ASSERT_EQ(::stat(journal.c_str(), &st), 0);
    struct rlimit old {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
    struct rlimit small = old;
    small.rlim_cur = static_cast<rlim_t>(st.st_size) + 10;  // room for 10 bytes of the next record
    auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    try {
      q.on_artifact("run/torn", artifact(dir, "torn", "torn"));
      ADD_FAILURE() << "a write past the file size limit succeeded";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(journal), std::string::npos) << e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    ::signal(SIGXFSZ, old_handler);
    q.on_artifact("run/after", artifact(dir, "after", "after"));
  }
  std::vector<std::string> logs;
  auto remote = std::make_shared<FakeRemote>();
  gan::UploadQueue q(remote, journal, logging(&logs));
  ASSERT_TRUE(q.drain(10).complete());
  EXPECT_EQ(remote->objects["run/first"], "first");
  EXPECT_EQ(remote->objects["run/after"], "after") << "the record after the torn one was lost";
  EXPECT_EQ(remote->objects.size(), 2u);
  EXPECT_NE(joined(logs).find(journal + ", line 3: dropped"), std::string::npos) << joined(logs);
}

// fsync, fdatasync and close of the journal are checked, and errors name the file; after the
// compaction's rename the folder itself is synced.
TEST(UploadQueue, FailedSyncsAndClosesAreErrorsNamingTheJournal) {
  gan_test::TempDir dir;
  const std::string journal = dir.path() + "/journal";
  auto remote = std::make_shared<FakeRemote>();
  remote->mode = FakeRemote::Mode::DownTransient;
  auto error_of = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "(no error)";
  };
  {
    g_synced_dirs.clear();
    g_watch = true;
    gan::UploadQueue q(remote, journal, fast());
    g_watch = false;
    char real[PATH_MAX];
    ASSERT_NE(::realpath(dir.path().c_str(), real), nullptr);
    EXPECT_NE(std::find(g_synced_dirs.begin(), g_synced_dirs.end(), std::string(real)), g_synced_dirs.end())
        << "the journal's folder was not synced after the rename";
    g_fdatasync_errno = EIO;
    std::string e = error_of([&] { q.on_artifact("run/a", artifact(dir, "a", "a")); });
    g_fdatasync_errno = 0;
    EXPECT_NE(e.find("cannot flush the upload journal " + journal), std::string::npos) << e;
  }
  g_fsync_errno = EIO;
  std::string e = error_of([&] { gan::UploadQueue q(remote, journal, fast()); });
  g_fsync_errno = 0;
  EXPECT_NE(e.find("cannot flush the upload journal " + journal + ".tmp"), std::string::npos) << e;

  char real[PATH_MAX];
  ASSERT_NE(::realpath(dir.path().c_str(), real), nullptr);
  {
    std::lock_guard<std::mutex> lock(g_fault_mu);
    g_close_path = std::string(real) + "/journal.tmp";
  }
  g_watch = true;
  e = error_of([&] { gan::UploadQueue q(remote, journal, fast()); });
  g_watch = false;
  EXPECT_NE(e.find("cannot close the upload journal " + journal + ".tmp"), std::string::npos) << e;

  std::vector<std::string> logs;
  {
    gan::UploadQueue q(remote, journal, logging(&logs));
    std::lock_guard<std::mutex> lock(g_fault_mu);
    g_close_path = std::string(real) + "/journal";
    g_watch = true;
  }
  g_watch = false;
  EXPECT_NE(joined(logs).find("closing the upload journal " + journal + " failed"), std::string::npos) << joined(logs);
}

// Each artifact is uploaded from a snapshot taken when it was queued: a newer version renamed over
// the file meanwhile (as state.safetensors is at every epoch) does not change what is uploaded.
// Snapshots go when their upload is done, and on open those no pending entry names are removed.
TEST(UploadQueue, UploadsTheVersionQueuedAndCleansUpItsSnapshots) {
  gan_test::TempDir dir;
  const std::string journal = dir.path() + "/journal", snapshots = dir.path() + "/.journal.snapshots";
  const std::string path = artifact(dir, "state.safetensors", "version 1");
  {
    auto down = std::make_shared<FakeRemote>();
    down->mode = FakeRemote::Mode::DownTransient;
    gan::UploadQueue q(down, journal, fast());
    q.on_artifact("run/checkpoint/state.safetensors", path);
    q.on_artifact("run/other", artifact(dir, "other", "other"));
  }
  replace_file(path, "version 2, not queued yet");
  gan_test::write_file(snapshots + "/77", "stale");  // left by a crash: no pending entry names it
  gan_test::write_file(snapshots + "/junk", "stale");
  {
    auto remote = std::make_shared<FakeRemote>();
    remote->mode = FakeRemote::Mode::DownTransient;  // nothing is uploaded before the check
    gan::UploadQueue q(remote, journal, fast());
    EXPECT_EQ(files_in(snapshots), (std::vector<std::string>{"1", "2"}));
    remote->mode = FakeRemote::Mode::Up;
    ASSERT_TRUE(q.drain(10).complete());
    EXPECT_EQ(remote->objects["run/checkpoint/state.safetensors"], "version 1");
    EXPECT_EQ(files_in(snapshots), std::vector<std::string>{});
  }
  EXPECT_NE(::access(snapshots.c_str(), F_OK), 0) << "the empty snapshot folder stayed";
  // A superseded pending entry's snapshot goes at once (as its attempt ends when one is in flight).
  auto down = std::make_shared<FakeRemote>();
  down->mode = FakeRemote::Mode::DownTransient;
  gan::UploadQueue q(down, journal, fast());
  q.on_artifact("run/checkpoint/state.safetensors", path);
  replace_file(path, "version 3");
  q.on_artifact("run/checkpoint/state.safetensors", path);
  for (int i = 0; i < 400 && files_in(snapshots).size() > 1; i++) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(files_in(snapshots).size(), 1u);
  EXPECT_EQ(gan_test::read_file(snapshots + "/" + files_in(snapshots)[0]), "version 3");
}
