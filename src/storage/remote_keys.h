// Key arithmetic the remote backends (S3, Azure Blob, GCS) share.
//
// Storage key K lives at "<prefix>/K" in the bucket or container (at "K" with no prefix). Listings
// come back with full names; these helpers turn them into Storage's keys and folder names, so
// every backend validates, joins and maps keys the same way.
#pragma once
#include <string>
#include <vector>

#include "storage/storage.h"

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

}  // namespace gan
