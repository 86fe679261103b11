// The persisted upload queue; see upload_queue.h.
#include "storage/upload_queue.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <vector>

#include "cloud/retry.h"
#include "common/atomic_file.h"

namespace gan {

namespace {

// The first line of a journal whose records carry checksums.
constexpr const char* kJournalHeader = "gan-upload-journal 2";

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Journal fields are space-separated: escape '%', whitespace and control bytes.
std::string escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '%' || c <= 0x20 || c == 0x7f) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// false when a '%' is not followed by two hex digits.
bool unescape(const std::string& s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] != '%') {
      *out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return false;
    const int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    *out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

bool parse_seq(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 18) return false;  // 10^18 sequence numbers are never reached
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

uint32_t checksum(const std::string& body) {
  return static_cast<uint32_t>(::crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
}

// One record: "<body> <CRC-32 of body, 8 hex digits>\n".
std::string framed(const std::string& body) {
  char crc[16];
  std::snprintf(crc, sizeof crc, " %08x\n", checksum(body));
  return body + crc;
}

std::string add_record(uint64_t seq, const std::string& key, const std::string& path) {
  return framed("A " + std::to_string(seq) + " " + escape(key) + " " + escape(path));
}

std::string done_record(uint64_t seq) { return framed("D " + std::to_string(seq)); }

struct Record {
  char op = 0;  // 'A' or 'D'
  uint64_t seq = 0;
  std::string key, path;
};

std::vector<std::string> split_spaces(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  for (;;) {
    size_t e = s.find(' ', b);
    out.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) return out;
    b = e + 1;
  }
}

// Parses a record's body ("A seq key path" or "D seq"); returns why it is not one, or "".
std::string parse_body(const std::string& body, Record* r) {
  const std::vector<std::string> f = split_spaces(body);
  if (f.empty() || (f[0] != "A" && f[0] != "D")) return "not a record";
  r->op = f[0][0];
  if (f.size() != (r->op == 'A' ? 4u : 2u)) return "wrong number of fields";
  if (!parse_seq(f[1], &r->seq)) return "bad sequence number";
  if (r->op == 'A' && (!unescape(f[2], &r->key) || !unescape(f[3], &r->path) || r->key.empty() || r->path.empty()))
    return "bad %-escape in the key or path";
  return "";
}

// Parses one whole line: a checksummed record, or (in a journal from before checksums) a plain one.
std::string parse_line(const std::string& line, bool legacy, Record* r) {
  const size_t sp = line.rfind(' ');
  if (sp != std::string::npos && line.size() - sp - 1 == 8) {
    uint32_t crc = 0;
    bool hex = true;
    for (size_t i = sp + 1; i < line.size(); i++) {
      const int d = hex_digit(line[i]);
      if (d < 0) hex = false;
      else crc = crc * 16 + static_cast<uint32_t>(d);
    }
    if (hex && crc == checksum(line.substr(0, sp))) return parse_body(line.substr(0, sp), r);
    if (!legacy) return "its checksum does not match (damaged on disk, or torn by a crash)";
  }
  if (!legacy) return "no checksum";
  return parse_body(line, r);
}

// A line as it can appear in a warning: at most 80 bytes, control bytes as '?'.
std::string shown(const std::string& line) {
  std::string out;
  for (unsigned char c : line.substr(0, 80)) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return line.size() > 80 ? out + "..." : out;
}

std::string errno_text(int e) { return std::strerror(e); }

void write_all(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot write the upload journal " + path + ": " + errno_text(errno));
    }
    off += static_cast<size_t>(n);
  }
}

}  // namespace

UploadQueue::UploadQueue(std::shared_ptr<Storage> remote, std::string journal_path, UploadQueueOptions options)
    : remote_(std::move(remote)), journal_path_(std::move(journal_path)), options_(std::move(options)) {
  if (!remote_) throw std::invalid_argument("UploadQueue needs a remote storage");
  // Beside the journal, hidden (listings and the monitor skip dot-names): ".<journal>.snapshots".
  const size_t slash = journal_path_.rfind('/');
  snapshot_dir_ = slash == std::string::npos ? "." + journal_path_ + ".snapshots"
                                             : journal_path_.substr(0, slash + 1) + "." + journal_path_.substr(slash + 1) + ".snapshots";
  replay_and_compact();
  worker_ = std::thread([this] { run(); });
}

UploadQueue::~UploadQueue() {
  bool busy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    busy = stop_locked();
  }
  stopped(busy);
  if (worker_.joinable()) worker_.join();
  // The remote may outlive the queue (the caller holds it too): let it work again.
  if (cancelled_remote_) remote_->set_cancelled(false);
  if (journal_fd_ >= 0 && ::close(journal_fd_) != 0)
    log("uploads: closing the upload journal " + journal_path_ + " failed: " + errno_text(errno) +
        " (its last records may not be on disk; the next run re-sends what it does not find done)");
  if (pending_.empty()) ::rmdir(snapshot_dir_.c_str());  // fails, harmlessly, when it holds anything
}

// Called with mu_ held: no attempt starts after this. Returns whether one is running now.
bool UploadQueue::stop_locked() {
  stop_ = true;
  return current_seq_ != 0;
}

// After stop_locked(), without mu_: wakes the worker and cuts an attempt in flight short rather
// than leaving it to finish every retry (a stalled server would otherwise hold ./gan's exit for
// minutes). A remote whose set_cancelled does nothing finishes the attempt.
void UploadQueue::stopped(bool busy) {
  cv_.notify_all();
  if (!busy) return;
  remote_->set_cancelled(true);
  cancelled_remote_ = true;
}

void UploadQueue::log(const std::string& msg) const {
  if (options_.log) options_.log(msg);
  else std::cerr << msg << std::endl;
}

void UploadQueue::replay_and_compact() {
  std::string content;
  if (!read_file_if_exists(journal_path_, &content)) content.clear();
  const bool legacy = content.compare(0, std::strlen(kJournalHeader) + 1, std::string(kJournalHeader) + "\n") != 0;
  std::map<uint64_t, Entry> entries;
  std::vector<std::string> dropped;
  size_t start = 0;
  for (int lineno = 1; start < content.size(); lineno++) {
    size_t nl = content.find('\n', start);
    const std::string line = content.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? content.size() : nl + 1;
    if (line.empty() || (lineno == 1 && !legacy)) continue;
    std::string why = nl == std::string::npos ? "an incomplete last line (a crash or a failed write cut it short)" : "";
    Record r;
    if (why.empty()) why = parse_line(line, legacy, &r);
    if (!why.empty()) {
      dropped.push_back(journal_path_ + ", line " + std::to_string(lineno) + ": dropped " + why + ": \"" + shown(line) + "\"");
      continue;
    }
    if (r.op == 'A') {
      Entry e;
      e.item.key = r.key;
      e.item.local_path = r.path;
      entries[r.seq] = e;
    } else {
      entries.erase(r.seq);
    }
    next_seq_ = std::max(next_seq_, r.seq + 1);
  }
  for (size_t i = 0; i < dropped.size() && i < 5; i++) log("uploads: warning: " + dropped[i]);
  if (dropped.size() > 5)
    log("uploads: warning: " + journal_path_ + ": " + std::to_string(dropped.size() - 5) + " more damaged line(s) dropped");
  if (!dropped.empty())
    log("uploads: the artifacts named on dropped lines are not re-sent by this run; every other pending one is");
  // The latest entry per key wins.
  std::map<std::string, uint64_t> latest;
  for (const auto& [seq, e] : entries) latest[e.item.key] = seq;
  for (const auto& [key, seq] : latest) pending_[seq] = entries[seq];
  clean_snapshots();

  // Compact: write the pending entries to a new journal, sync it, rename it over the old one and
  // sync the folder, so the rename itself survives a power loss.
  const std::string tmp = journal_path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot create the upload journal " + tmp + ": " + errno_text(errno) +
                             " (is the run folder writable?)");
  std::string data = std::string(kJournalHeader) + "\n";
  for (const auto& [seq, e] : pending_) data += add_record(seq, e.item.key, e.item.local_path);
  try {
    write_all(fd, data, tmp);
    if (::fsync(fd) != 0) throw std::runtime_error("cannot flush the upload journal " + tmp + ": " + errno_text(errno));
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) throw std::runtime_error("cannot close the upload journal " + tmp + ": " + errno_text(errno));
  if (std::rename(tmp.c_str(), journal_path_.c_str()) != 0)
    throw std::runtime_error("cannot replace the upload journal " + journal_path_ + ": " + errno_text(errno));
  if (int e = sync_parent_dir(journal_path_))
    throw std::runtime_error("cannot sync the folder of the upload journal " + journal_path_ + ": " + errno_text(e));
  journal_fd_ = ::open(journal_path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (journal_fd_ < 0) throw std::runtime_error("cannot open the upload journal " + journal_path_ + ": " + errno_text(errno));
  if (!pending_.empty())
    log("uploads: " + std::to_string(pending_.size()) + " artifact(s) pending from an earlier run will be uploaded");
}

// Snapshots no pending entry names (left by a crash, or by a run whose journal was lost) are
// removed; a pending entry whose snapshot is missing (a journal from before snapshots, or a link
// a power loss undid) gets one now.
void UploadQueue::clean_snapshots() {
  if (std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(snapshot_dir_.c_str()), &::closedir); d) {
    while (dirent* e = ::readdir(d.get())) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      uint64_t seq = 0;
      if (parse_seq(name, &seq) && pending_.count(seq)) continue;
      ::unlink((snapshot_dir_ + "/" + name).c_str());
    }
  }
  for (auto& [seq, e] : pending_) {
    const std::string snap = snapshot_dir_ + "/" + std::to_string(seq);
    struct stat st {};
    e.snapshot = ::stat(snap.c_str(), &st) == 0 ? snap : take_snapshot(seq, e.item.local_path);
  }
}

// A hard link to the file as it is now: renaming a new version over `path` later does not touch
// it. Where the filesystem has no hard links, a copy. "" when the file is gone (its upload then
// says so) or no snapshot can be made (said once; the file is then uploaded from `path`).
std::string UploadQueue::take_snapshot(uint64_t seq, const std::string& path) {
  const std::string snap = snapshot_dir_ + "/" + std::to_string(seq);
  ::unlink(snap.c_str());  // a stale one under the same number
  // Only a regular file: a journal naming a device (/dev/zero) would otherwise be copied forever.
  // Its upload then refuses it.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return "";
  if (::link(path.c_str(), snap.c_str()) == 0) return snap;
  int e = errno;
  if (e == ENOENT && ::access(path.c_str(), F_OK) != 0) return "";  // the artifact itself is gone
  try {
    if (e == ENOENT) {  // the folder is not there yet
      make_dirs(snapshot_dir_);
      if (::link(path.c_str(), snap.c_str()) == 0) return snap;
      e = errno;
    }
    if (e == EXDEV || e == EPERM || e == EMLINK || e == EOPNOTSUPP) {
      copy_file_atomic(path, snap);
      return snap;
    }
    throw std::runtime_error("cannot link " + path + " to " + snap + ": " + errno_text(e));
  } catch (const std::exception& x) {
    if (!snapshot_warned_)
      log(std::string("uploads: warning: cannot snapshot an artifact for its upload (") + x.what() +
          "); uploading from the file itself, which a newer version may replace mid-upload");
    snapshot_warned_ = true;
    return "";
  }
}

void UploadQueue::drop_snapshot(const Entry& e) const {
  if (!e.snapshot.empty()) ::unlink(e.snapshot.c_str());
}

// Called with mu_ held: one write() of whole records, then fdatasync, so an acknowledged record
// survives a crash. After a write that failed part-way the next starts with a newline, so the
// torn record stays a line of its own (which replay drops) instead of swallowing the next one.
void UploadQueue::append(const std::string& records) {
  const std::string data = journal_torn_ ? "\n" + records : records;
  journal_torn_ = true;
  write_all(journal_fd_, data, journal_path_);
  if (::fdatasync(journal_fd_) != 0)
    throw std::runtime_error("cannot flush the upload journal " + journal_path_ + ": " + errno_text(errno));
  journal_torn_ = false;
}

void UploadQueue::on_artifact(const std::string& key, const std::string& local_path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t seq = next_seq_++;
    // An older pending upload of the same key is superseded: only the newest bytes matter. One
    // in flight finishes its attempt first (run() then drops it).
    std::vector<uint64_t> superseded;
    std::string records;
    for (const auto& [s, e] : pending_)
      if (e.item.key == key && !e.superseded) {
        superseded.push_back(s);
        records += done_record(s);
      }
    records += add_record(seq, key, local_path);
    Entry e;
    e.item.key = key;
    e.item.local_path = local_path;
    e.snapshot = take_snapshot(seq, local_path);
    try {
      append(records);
    } catch (...) {
      drop_snapshot(e);
      throw;
    }
    for (uint64_t s : superseded) {
      if (s == current_seq_) {
        pending_[s].superseded = true;
        continue;
      }
      drop_snapshot(pending_[s]);
      pending_.erase(s);
    }
    pending_[seq] = e;
  }
  cv_.notify_all();
}

void UploadQueue::run() {
  std::mt19937_64 rng(std::random_device{}());
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    // The oldest entry that is due; otherwise sleep until the earliest due time or a new entry.
    double t = now_s(), earliest = 1e300;
    auto pick = pending_.end();
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->second.next_try <= t) {
        pick = it;
        break;
      }
      earliest = std::min(earliest, it->second.next_try);
    }
    if (pick == pending_.end()) {
      if (earliest > 1e299) cv_.wait(lock);
      else cv_.wait_for(lock, std::chrono::duration<double>(earliest - t));
      continue;
    }
    const uint64_t seq = pick->first;
    const Item item = pick->second.item;
    const std::string file = pick->second.snapshot.empty() ? item.local_path : pick->second.snapshot;
    current_ = item.key;
    current_seq_ = seq;
    lock.unlock();
    std::string error;
    bool permanent = false;
    try {
      struct stat st {};
      if (::stat(file.c_str(), &st) != 0)
        throw RemoteStorageError("the local file " + item.local_path + " is gone (" + std::strerror(errno) +
                                     "); it cannot be uploaded",
                                 false);
      if (!S_ISREG(st.st_mode))
        throw RemoteStorageError("the local file " + item.local_path +
                                     " is not a regular file (a device, a folder or a pipe); it is not uploaded",
                                 false);
      remote_->put_file(item.key, file);
    } catch (const RemoteStorageError& e) {
      error = e.what();
      permanent = !e.transient();
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    current_.clear();
    current_seq_ = 0;
    auto it = pending_.find(seq);
    if (!error.empty() && stop_) {
      // Cut short by the shutdown: not an outage to report, and not the item's real last error.
      cv_.notify_all();
      continue;
    }
    if (error.empty()) {
      try {
        if (it == pending_.end() || !it->second.superseded) append(done_record(seq));  // else written already
      } catch (const std::exception& e) {
        // Uploaded but not recorded: the next run on this journal sends it once more.
        log(std::string("uploads: warning: ") + e.what() + "; " + item.key + " was uploaded but may be sent again by the next run");
      }
      if (it != pending_.end()) {
        drop_snapshot(it->second);
        pending_.erase(it);
      }
      uploaded_++;
      if (failing_) log("uploads: working again; " + std::to_string(pending_.size()) + " pending");
      failing_ = false;
    } else if (it != pending_.end() && it->second.superseded) {
      drop_snapshot(it->second);
      pending_.erase(it);
    } else if (it != pending_.end()) {
      Item& pi = it->second.item;
      pi.attempts++;
      pi.last_error = error;
      pi.permanent = permanent;
      // Jitter between half and the whole delay: spread out retries but keep making progress.
      cloud::RetryPolicy delays;
      delays.base_delay_s = options_.retry_min_s;
      delays.max_delay_s = options_.retry_max_s;
      it->second.next_try = now_s() + cloud::backoff_delay(delays, pi.attempts - 1, rng, 0.5);
      if (!failing_)
        log("uploads: " + item.key + " failed (" + error + "); retrying in the background, training continues");
      failing_ = true;
    }
    cv_.notify_all();
  }
}

std::vector<UploadQueue::Item> UploadQueue::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Item> out;
  for (const auto& [seq, e] : pending_)
    if (!e.superseded) out.push_back(e.item);
  return out;
}

size_t UploadQueue::pending_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_count_locked();
}

size_t UploadQueue::pending_count_locked() const {
  return std::count_if(pending_.begin(), pending_.end(), [](const auto& kv) { return !kv.second.superseded; });
}

size_t UploadQueue::uploaded_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return uploaded_;
}

UploadQueue::DrainResult UploadQueue::drain(double timeout_s, const std::function<void(const DrainProgress&)>& progress) {
  const double start = now_s();
  std::unique_lock<std::mutex> lock(mu_);
  const size_t uploaded_before = uploaded_;
  const size_t total = pending_count_locked();
  // Everything pending is tried again now (the user may have fixed the cause of a permanent
  // failure); an item that then fails permanently again is not waited for.
  std::map<uint64_t, int> attempts_before;
  for (auto& [seq, e] : pending_) {
    e.next_try = 0;
    attempts_before[seq] = e.item.attempts;
  }
  cv_.notify_all();
  size_t last_done = SIZE_MAX;
  std::string last_current;
  double last_report = 0;
  bool timed_out = false;
  for (;;) {
    size_t done = uploaded_ - uploaded_before;
    bool all_permanent = !pending_.empty() && std::all_of(pending_.begin(), pending_.end(), [&](const auto& kv) {
      auto before = attempts_before.find(kv.first);
      return kv.second.item.permanent && kv.second.item.attempts > (before == attempts_before.end() ? 0 : before->second);
    });
    double t = now_s();
    if (progress && (done != last_done || current_ != last_current || t - last_report >= 1.0)) {
      DrainProgress p{done, std::max(total, done + pending_count_locked()), current_, t - start};
      last_done = done;
      last_current = current_;
      last_report = t;
      lock.unlock();
      progress(p);
      lock.lock();
      continue;
    }
    if (pending_.empty() || (all_permanent && current_.empty())) break;
    if (t - start >= timeout_s) {
      timed_out = true;
      break;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(250));
  }
  DrainResult r;
  r.uploaded = uploaded_ - uploaded_before;
  for (const auto& [seq, e] : pending_) {
    if (e.superseded) continue;
    r.failed.push_back(e.item);
    r.failed.back().in_flight = seq == current_seq_;
  }
  const bool busy = timed_out && stop_locked();
  lock.unlock();
  if (timed_out) stopped(busy);
  return r;
}

}  // namespace gan
