// UploadQueue: sends finished artifacts to a remote Storage from a background thread, so training
// never waits on the network, and loses nothing when the network, the bucket or the process dies.
//
// Every artifact is first appended to a journal in the local run folder ("A <seq> <key> <path>"),
// flushed to disk, and only then queued; a successful upload appends "D <seq>". On start the
// journal is replayed: whatever was added and not done is pending and is sent again, so a run
// killed with a non-empty queue and resumed uploads the rest. The journal is append-only and is
// compacted to the pending entries on open (the new file is synced, renamed over the old one, and
// the folder synced). Each record carries a CRC-32 of its text; replay keeps every good record and
// drops, with a warning naming the journal and the line, one that is damaged or was torn by a
// crash, and a record always starts on a fresh line, so a torn one cannot swallow the next.
// Journals from before the checksums (no "gan-upload-journal 2" first line) are still read.
// A failed write or sync of the journal is an error naming it.
//
// The file uploaded is a snapshot taken when the artifact is queued: a hard link (a copy where the
// filesystem has none) in ".<journal>.snapshots/" beside the journal, so every part of a multipart
// upload, in every dialect, reads the same version even when the artifact is replaced meanwhile
// (state.safetensors is renamed over at every epoch). A snapshot is removed when its upload is
// done or superseded; on open, snapshots no pending entry names are removed.
//
// A newer artifact for the same key supersedes an older pending one: each key is uploaded with
// its latest bytes (one already in flight finishes its attempt and is then dropped, not retried,
// so it never lands over the newer one). Failures back off exponentially (with jitter, capped) per item and
// are logged once per outage; RemoteStorageError::transient() == false (access denied, no such
// bucket, a local file gone) still stays pending — but drain() stops waiting for it.
// Shutting down is bounded: when drain()'s timeout passes, or the queue is destroyed, an upload
// in flight is cancelled (Storage::set_cancelled) instead of being waited for through all of its
// retries; it stays in the journal.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "storage/storage.h"

namespace gan {

// Thrown by the remote backends (S3, Azure, GCS): transient() says whether the same call may
// succeed later (throttling, 5xx, network, a cancelled call) or needs the user (credentials,
// permissions).
class RemoteStorageError : public std::runtime_error {
 public:
  RemoteStorageError(const std::string& what, bool transient) : std::runtime_error(what), transient_(transient) {}
  bool transient() const { return transient_; }

 private:
  bool transient_;
};

struct UploadQueueOptions {
  double retry_min_s = 1.0;   // first retry delay
  double retry_max_s = 60.0;  // cap on the delay between attempts of one item
  // Where warnings go ("uploads failing: ...", "uploads resumed"); default: stderr.
  std::function<void(const std::string&)> log;
};

class UploadQueue : public ArtifactListener {
 public:
  // Opens (or creates) the journal and starts the uploader; pending entries from an earlier run
  // are sent first. Throws std::runtime_error naming the journal if it cannot be written.
  UploadQueue(std::shared_ptr<Storage> remote, std::string journal_path, UploadQueueOptions options = {});
  // Stops the uploader, cancelling an upload in flight (Storage::set_cancelled) rather than
  // waiting for its retries; pending items stay in the journal.
  ~UploadQueue() override;
  UploadQueue(const UploadQueue&) = delete;
  UploadQueue& operator=(const UploadQueue&) = delete;

  // Journals the artifact and wakes the uploader. Only local disk I/O: never waits on the network.
  void on_artifact(const std::string& key, const std::string& local_path) override;

  struct Item {
    std::string key, local_path;
    int attempts = 0;
    std::string last_error;  // "" until an attempt failed
    bool permanent = false;  // the last failure will not go away by waiting
    bool in_flight = false;  // in DrainResult::failed: an attempt was running when drain() returned
  };
  std::vector<Item> pending() const;
  size_t pending_count() const;
  size_t uploaded_count() const;  // uploads completed by this object

  struct DrainProgress {
    size_t done = 0, total = 0;  // since drain() began
    std::string current;         // key being uploaded, or ""
    double elapsed_s = 0;
  };
  struct DrainResult {
    size_t uploaded = 0;  // uploads completed while draining
    std::vector<Item> failed;  // still pending when drain returned
    bool complete() const { return failed.empty(); }
  };
  // Waits until nothing is pending, or every pending item has failed permanently, or timeout_s
  // passes. progress (if given) is called on every change and about once a second. When the
  // timeout passes with items left, the queue stops: the upload in flight is cancelled
  // (Storage::set_cancelled) and nothing more is tried. Items not uploaded stay in the journal for
  // the next run with the same run folder (--resume).
  DrainResult drain(double timeout_s, const std::function<void(const DrainProgress&)>& progress = nullptr);

  const std::string& journal_path() const { return journal_path_; }

 private:
  struct Entry {
    Item item;
    std::string snapshot;  // the file to upload (see above); "" = item.local_path
    double next_try = 0;   // steady-clock seconds
    // A newer version of the key came while this one was in flight: the attempt runs to its end
    // and the entry then goes, uploaded or not (a retry could land after the newer upload).
    bool superseded = false;
  };
  void replay_and_compact();
  void clean_snapshots();
  std::string take_snapshot(uint64_t seq, const std::string& path);
  void drop_snapshot(const Entry& e) const;
  size_t pending_count_locked() const;  // with mu_ held; superseded entries in flight not counted
  void append(const std::string& records);
  void run();
  void log(const std::string& msg) const;
  bool stop_locked();
  void stopped(bool busy);

  std::shared_ptr<Storage> remote_;
  std::string journal_path_;
  UploadQueueOptions options_;
  std::string snapshot_dir_;
  int journal_fd_ = -1;
  bool journal_torn_ = false;    // the last append failed part-way: the next starts a fresh line
  bool snapshot_warned_ = false;  // a snapshot could not be taken (said once)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Entry> pending_;  // by sequence number: oldest first
  uint64_t next_seq_ = 1;
  std::string current_;       // key being uploaded, "" when idle
  uint64_t current_seq_ = 0;  // its sequence number (0 = none)
  size_t uploaded_ = 0;
  bool failing_ = false;
  bool stop_ = false;
  bool cancelled_remote_ = false;  // set_cancelled(true) was called on remote_
  std::thread worker_;
};

}  // namespace gan
