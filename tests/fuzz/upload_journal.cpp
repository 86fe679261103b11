// The upload journal's replay (src/storage/upload_queue.cpp): the input is an
// upload-queue.journal; opening a queue on it replays and compacts it. Replay is idempotent: a
// second queue opened on the compacted journal has the same pending uploads. The remote refuses
// every upload (permanently), so nothing leaves the machine.
#include <memory>
#include <vector>

#include "fuzz_util.h"
#include "storage/upload_queue.h"

namespace {
class RefusingStorage : public gan::Storage {
 public:
  std::string url() const override { return "refusing://"; }
  void put(const std::string&, const std::string&) override { refuse(); }
  void put_file(const std::string&, const std::string&) override { refuse(); }
  std::optional<std::string> get(const std::string&) override { return std::nullopt; }
  std::optional<gan::ObjectInfo> stat(const std::string&) override { return std::nullopt; }
  std::vector<gan::ObjectInfo> list(const std::string&) override { return {}; }
  std::vector<std::string> list_dirs(const std::string&) override { return {}; }
  void remove(const std::string&) override {}

 private:
  [[noreturn]] static void refuse() { throw gan::RemoteStorageError("refused (fuzzing)", false); }
};

std::vector<std::pair<std::string, std::string>> pending(const gan::UploadQueue& q) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& i : q.pending()) out.emplace_back(i.key, i.local_path);
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The journal is synced on every open: tmpfs keeps that cheap.
  if (access("/dev/shm", W_OK) == 0) setenv("TMPDIR", "/dev/shm", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::TempDir dir;
  const std::string journal = dir.path() + "/upload-queue.journal";
  dir.clear();
  fuzz::write_file(journal, data, size);
  auto remote = std::make_shared<RefusingStorage>();
  gan::UploadQueueOptions opt;
  opt.retry_min_s = 3600, opt.retry_max_s = 3600;
  opt.log = [](const std::string&) {};
  std::vector<std::pair<std::string, std::string>> first, second;
  if (!fuzz::accepts([&] {
        gan::UploadQueue q(remote, journal, opt);
        first = pending(q);
      }))
    return 0;
  fuzz::check(fuzz::accepts([&] {
                gan::UploadQueue q(remote, journal, opt);
                second = pending(q);
              }),
              "a journal the queue compacted does not open again");
  fuzz::check(first == second, "replaying a compacted journal changed the pending uploads");
  return 0;
}
