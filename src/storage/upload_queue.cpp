// The persisted upload queue; see upload_queue.h.
#include "storage/upload_queue.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

namespace gan {

namespace {

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

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void write_all(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot write the upload journal " + path + ": " + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
}

std::string add_line(uint64_t seq, const std::string& key, const std::string& path) {
  return "A " + std::to_string(seq) + " " + escape(key) + " " + escape(path) + "\n";
}

}  // namespace

UploadQueue::UploadQueue(std::shared_ptr<Storage> remote, std::string journal_path, UploadQueueOptions options)
    : remote_(std::move(remote)), journal_path_(std::move(journal_path)), options_(std::move(options)) {
  if (!remote_) throw std::invalid_argument("UploadQueue needs a remote storage");
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
  if (journal_fd_ >= 0) ::close(journal_fd_);
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
  std::ifstream in(journal_path_, std::ios::binary);
  std::map<uint64_t, Entry> entries;
  std::string content;
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    content = ss.str();
  }
  size_t start = 0;
  while (start < content.size()) {
    size_t nl = content.find('\n', start);
    if (nl == std::string::npos) break;  // a line torn by a crash: never acknowledged, ignore it
    std::istringstream line(content.substr(start, nl - start));
    start = nl + 1;
    std::string op, key, path;
    uint64_t seq = 0;
    line >> op >> seq;
    if (op == "A" && (line >> key >> path)) {
      Entry e;
      e.item.key = unescape(key);
      e.item.local_path = unescape(path);
      entries[seq] = e;
    } else if (op == "D") {
      entries.erase(seq);
    }
    next_seq_ = std::max(next_seq_, seq + 1);
  }
  // The latest entry per key wins.
  std::map<std::string, uint64_t> latest;
  for (const auto& [seq, e] : entries) latest[e.item.key] = seq;
  for (const auto& [key, seq] : latest) pending_[seq] = entries[seq];

  // Compact: write the pending entries to a new journal and rename it over the old one.
  const std::string tmp = journal_path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot create the upload journal " + tmp + ": " + std::strerror(errno) +
                             " (is the run folder writable?)");
  std::string data;
  for (const auto& [seq, e] : pending_) data += add_line(seq, e.item.key, e.item.local_path);
  write_all(fd, data, tmp);
  ::fsync(fd);
  ::close(fd);
  if (std::rename(tmp.c_str(), journal_path_.c_str()) != 0)
    throw std::runtime_error("cannot replace the upload journal " + journal_path_ + ": " + std::strerror(errno));
  journal_fd_ = ::open(journal_path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (journal_fd_ < 0) throw std::runtime_error("cannot open the upload journal " + journal_path_ + ": " + std::strerror(errno));
  if (!pending_.empty())
    log("uploads: " + std::to_string(pending_.size()) + " artifact(s) pending from an earlier run will be uploaded");
}

// Called with mu_ held: one write() of a whole line, then fdatasync, so an acknowledged entry
// survives a crash and a torn one is only ever the last line.
void UploadQueue::append(const std::string& line) {
  write_all(journal_fd_, line, journal_path_);
  ::fdatasync(journal_fd_);
}

void UploadQueue::on_artifact(const std::string& key, const std::string& local_path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string lines;
    uint64_t seq = next_seq_++;
    // An older pending upload of the same key is superseded: only the newest bytes matter.
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.item.key == key && it->first != current_seq_) {  // an upload in flight finishes
        lines += "D " + std::to_string(it->first) + "\n";
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    lines += add_line(seq, key, local_path);
    append(lines);
    Entry e;
    e.item.key = key;
    e.item.local_path = local_path;
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
    current_ = item.key;
    current_seq_ = seq;
    lock.unlock();
    std::string error;
    bool permanent = false;
    try {
      struct stat st {};
      if (::stat(item.local_path.c_str(), &st) != 0)
        throw RemoteStorageError("the local file " + item.local_path + " is gone (" + std::strerror(errno) +
                                     "); it cannot be uploaded",
                                 false);
      remote_->put_file(item.key, item.local_path);
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
      append("D " + std::to_string(seq) + "\n");
      if (it != pending_.end()) pending_.erase(it);
      uploaded_++;
      if (failing_) log("uploads: working again; " + std::to_string(pending_.size()) + " pending");
      failing_ = false;
    } else if (it != pending_.end()) {
      Item& pi = it->second.item;
      pi.attempts++;
      pi.last_error = error;
      pi.permanent = permanent;
      double cap = std::min(options_.retry_max_s, options_.retry_min_s * std::ldexp(1.0, std::min(pi.attempts - 1, 30)));
      // Jitter between half and the whole delay: spread out retries but keep making progress.
      it->second.next_try = now_s() + std::uniform_real_distribution<double>(cap / 2, cap)(rng);
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
  for (const auto& [seq, e] : pending_) out.push_back(e.item);
  return out;
}

size_t UploadQueue::pending_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

size_t UploadQueue::uploaded_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return uploaded_;
}

UploadQueue::DrainResult UploadQueue::drain(double timeout_s, const std::function<void(const DrainProgress&)>& progress) {
  const double start = now_s();
  std::unique_lock<std::mutex> lock(mu_);
  const size_t uploaded_before = uploaded_;
  const size_t total = pending_.size();
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
      DrainProgress p{done, std::max(total, done + pending_.size()), current_, t - start};
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
    r.failed.push_back(e.item);
    r.failed.back().in_flight = seq == current_seq_;
  }
  const bool busy = timed_out && stop_locked();
  lock.unlock();
  if (timed_out) stopped(busy);
  return r;
}

}  // namespace gan
