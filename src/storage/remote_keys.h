// What the remote backends (S3, Azure Blob, GCS) share: key arithmetic, and RemoteStorage, the
// one Storage adaptor over a dialect's cloud::ObjectClient.
//
// Storage key K lives at "<prefix>/K" in the bucket or container (at "K" with no prefix). Listings
// come back with full names; these helpers turn them into Storage's keys and folder names, so
// every backend validates, joins and maps keys the same way.
#pragma once
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cloud/engine.h"
#include "storage/storage.h"
#include "storage/upload_queue.h"

namespace gan {

// "<prefix>/<key>" after validate_storage_key (throws std::invalid_argument naming the key).
std::string remote_full_key(const std::string& prefix, const std::string& key);
// The name prefix to list for Storage::list(sub): "<prefix>/<sub>" (validates sub).
std::string remote_list_prefix(const std::string& prefix, const std::string& sub);
// The folder to list for Storage::list_dirs(sub): as above, ending in '/' when not empty.
std::string remote_dir_prefix(const std::string& prefix, const std::string& sub);

// Objects listed under `list_prefix` (full names) → Storage keys relative to `prefix`, sorted;
// folder markers (names ending in '/') and the prefix itself are dropped.
std::vector<ObjectInfo> remote_objects(const std::string& prefix, std::vector<ObjectInfo> listed);
// Common prefixes returned for `dir_prefix` → the immediate child names, sorted.
std::vector<std::string> remote_dirs(const std::string& dir_prefix, const std::vector<std::string>& common_prefixes);

// The Content-Type a key is stored with (".png" → image/png, ...), so a shared link opens in a
// browser; application/octet-stream for anything else.
std::string content_type_for_key(const std::string& key);

// The Storage seam over a dialect's client (S3Storage, GcsStorage, AzureStorage derive from it):
// keys are validated like local ones (the monitor passes keys from URLs), joined under the URL's
// prefix, and given a Content-Type so presigned links open in a browser. Remote failures surface
// as RemoteStorageError (upload_queue.h), which says whether trying again later can help — the
// upload queue keeps retrying those, and reports the rest. set_cancelled is the client's, so the
// queue's shutdown deadline cuts a stalled upload short.
class RemoteStorage : public Storage {
 public:
  std::string url() const override { return url_; }
  void put(const std::string& key, const std::string& bytes) override;
  void put_file(const std::string& key, const std::string& local_path) override;
  std::optional<std::string> get(const std::string& key) override;
  std::optional<ObjectInfo> stat(const std::string& key) override;
  std::vector<ObjectInfo> list(const std::string& prefix) override;
  std::vector<std::string> list_dirs(const std::string& prefix) override;
  void remove(const std::string& key) override;
  void set_cancelled(bool cancelled) override { client_->set_cancelled(cancelled); }
  const std::string& prefix() const { return prefix_; }

 protected:
  explicit RemoteStorage(const std::string& url) : url_(url) {}
  std::string full_key(const std::string& key) const { return remote_full_key(prefix_, key); }
  // Runs a client call, turning the dialect's errors into RemoteStorageError.
  template <class F>
  auto remote_call(F&& f) const -> decltype(f()) {
    try {
      return f();
    } catch (const cloud::Error& e) {
      throw RemoteStorageError(e.what(), e.transient());
    } catch (const std::exception& e) {
      if (!permanent(e)) throw;
      throw RemoteStorageError(e.what(), false);
    }
  }
  // The dialect's other errors that waiting cannot fix (no credentials, a malformed key).
  virtual bool permanent(const std::exception& e) const = 0;
  // A put or put_file (Azure's creates a missing container first).
  virtual void write(const std::function<std::string()>& f) { remote_call(f); }

  std::string url_, bucket_, prefix_;  // bucket_: S3's bucket, Azure's container; prefix_ without a trailing '/'
  std::unique_ptr<cloud::ObjectClient> client_;
};

}  // namespace gan
