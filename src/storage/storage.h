// The Storage seam: where runs live. A local folder, S3, Azure Blob or GCS implement it.
//
// Keys are '/'-separated paths relative to the storage root ("<run>/epoch/10/summary.json").
// The trainer never talks to a remote store directly: it writes every artifact into its local
// run folder first (LocalStorage) and reports it to ArtifactListeners; a remote backend's
// listener uploads off the training thread. The monitor reads runs through Storage alone.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan {

struct ObjectInfo {
  std::string key;
  int64_t size = 0;
  int64_t mtime = 0;  // seconds since the epoch, 0 when unknown
};

// An object opened for reading in pieces (the monitor streams files with it instead of holding
// whole checkpoints in memory per request).
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  virtual int64_t size() const = 0;
  // Up to `n` bytes at `offset` into `buf`; fewer only at the end. Throws on a read error.
  virtual size_t read_at(int64_t offset, char* buf, size_t n) = 0;
};

class Storage {
 public:
  virtual ~Storage() = default;
  // The URL this storage was opened from ("eval", "s3://bucket/prefix", ...).
  virtual std::string url() const = 0;
  // Writes `bytes` at `key`; readers see the old object or the new one, never a part of it.
  virtual void put(const std::string& key, const std::string& bytes) = 0;
  // Uploads the file at `local_path` to `key` (large files stream; remote backends go multipart).
  virtual void put_file(const std::string& key, const std::string& local_path) = 0;
  // The object's bytes, or nullopt when it does not exist. Throws on other failures.
  virtual std::optional<std::string> get(const std::string& key) = 0;
  virtual std::optional<ObjectInfo> stat(const std::string& key) = 0;
  // The object opened for reading, or null when it does not exist. A local folder reads from
  // one open descriptor; the fallback (remote backends) holds the bytes get() returned.
  virtual std::unique_ptr<ObjectReader> open_reader(const std::string& key);
  // Every object whose key starts with `prefix`, sorted by key.
  virtual std::vector<ObjectInfo> list(const std::string& prefix) = 0;
  // Immediate children of `prefix` ("run/epoch/" → "1", "10", ...): names, sorted.
  virtual std::vector<std::string> list_dirs(const std::string& prefix) = 0;
  virtual void remove(const std::string& key) = 0;
  // A URL a browser can fetch without credentials (presigned), or "" when the backend has none
  // (a local folder). Throws PresignUnavailable when the backend has links but these credentials
  // cannot make a safe one (see below); other failures throw as the other calls do.
  virtual std::string presign(const std::string& key, int64_t expires_seconds) {
    (void)key; (void)expires_seconds;
    return "";
  }
  // While `cancelled` is true, every call in progress stops within about a second (its transfer
  // and its retry waits) and every new call fails at once, with a transient RemoteStorageError
  // (upload_queue.h); false makes the storage usable again. The upload queue sets it when its
  // shutdown deadline passes, so a server that stopped answering cannot hold ./gan's exit for all
  // of an upload's retries. The remote backends implement it; a local folder has nothing to cut
  // short, so the default does nothing.
  virtual void set_cancelled(bool cancelled) { (void)cancelled; }
};

// open_reader's fallback: the whole object, fetched once.
class BytesReader : public ObjectReader {
 public:
  explicit BytesReader(std::string bytes) : bytes_(std::move(bytes)) {}
  int64_t size() const override { return (int64_t)bytes_.size(); }
  size_t read_at(int64_t offset, char* buf, size_t n) override {
    if (offset < 0 || offset >= (int64_t)bytes_.size()) return 0;
    const size_t k = std::min(n, bytes_.size() - (size_t)offset);
    bytes_.copy(buf, k, (size_t)offset);
    return k;
  }

 private:
  std::string bytes_;
};

inline std::unique_ptr<ObjectReader> Storage::open_reader(const std::string& key) {
  std::optional<std::string> bytes = get(key);
  if (!bytes) return nullptr;
  return std::make_unique<BytesReader>(std::move(*bytes));
}

// Thrown by Storage::presign when the backend has links but the credentials in use cannot make a
// safe one: a VM's identity alone (a managed identity, a GCE service account token), or an Azure
// SAS that grants more than reading (handing it out would let every viewer write and delete).
// what() names the object and says how to get a link instead; `./gan --presign` shows it, and the
// monitor serves the object's bytes itself.
class PresignUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Told about every artifact once it is complete on local disk.
class ArtifactListener {
 public:
  virtual ~ArtifactListener() = default;
  virtual void on_artifact(const std::string& key, const std::string& local_path) = 0;
};

// Opens a storage URL: a path (local folder), s3://, az://, gs://. Unknown schemes throw with
// the list of supported ones. Implemented in src/storage/open.cpp (the only place that knows
// every backend).
std::unique_ptr<Storage> open_storage(const std::string& url);

}  // namespace gan
