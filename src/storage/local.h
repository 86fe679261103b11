// LocalStorage: a Storage over a folder on this machine (the default "eval", or file://...).
//
// Keys map to paths under the root. Every key is validated before it touches the filesystem:
// "..", absolute paths, backslashes, empty segments and NUL are rejected, since the monitor
// passes keys that came from URLs. put is atomic (write_file_atomic), so a monitor reading
// while the trainer writes sees the old file or the new one.
#pragma once
#include <string>

#include "storage/storage.h"

namespace gan {

class LocalStorage : public Storage {
 public:
  // `root` is created on first write; "" means the current directory.
  explicit LocalStorage(std::string root);

  std::string url() const override { return root_; }
  void put(const std::string& key, const std::string& bytes) override;
  void put_file(const std::string& key, const std::string& local_path) override;
  std::optional<std::string> get(const std::string& key) override;
  std::optional<ObjectInfo> stat(const std::string& key) override;
  std::unique_ptr<ObjectReader> open_reader(const std::string& key) override;
  std::vector<ObjectInfo> list(const std::string& prefix) override;
  std::vector<std::string> list_dirs(const std::string& prefix) override;
  void remove(const std::string& key) override;

  // The filesystem path of a (validated) key.
  std::string path_for(const std::string& key) const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

// Throws std::invalid_argument naming the key unless it is a safe relative key: non-empty,
// '/'-separated segments that are neither empty, "." nor "..", no leading '/', no '\\', no NUL.
void validate_storage_key(const std::string& key);
// A list prefix is "" or any leading part of a key: the same rules, but it may end in '/'.
void validate_storage_prefix(const std::string& prefix);

}  // namespace gan
