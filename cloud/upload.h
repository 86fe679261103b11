// The one multipart / block upload driver: a file cut into parts sent in parallel from byte
// ranges of the file (so no part sits in memory), each retried by the engine on its own, then
// committed in order. The dialect supplies the calls: S3's UploadPart + CompleteMultipartUpload
// (aborted after a failure, so no orphaned parts keep costing storage), Azure's Put Block + Put
// Block List (uncommitted blocks cost nothing and need no clean-up).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cloud {

struct PartedUpload {
  // Sends part `index` (bytes [offset, offset + length) of the file); returns what the commit
  // lists for it (S3: the part's ETag; Azure: its block id).
  std::function<std::string(int index, int64_t offset, int64_t length)> send_part;
  // Commits the parts, in order; returns the object's ETag.
  std::function<std::string(const std::vector<std::string>& tags)> commit;
  // After a failed commit: the object's ETag when it was written after all (a commit whose
  // answer was lost), else "". May be empty.
  std::function<std::string()> committed_anyway;
  // The clean-up after a failure; may be empty. Best effort: its own failure is ignored, as the
  // original failure is the one to report.
  std::function<void()> abort;
};

// The part size for a file: at least `preferred` and `min_part`, grown (in whole MiB) so that
// the file needs at most max_parts parts.
int64_t choose_part_size(int64_t file_size, int64_t preferred, int64_t min_part, int max_parts);

// Uploads `size` bytes as parts of part_size, `concurrency` in flight. The first failure stops
// handing out parts (a cancelled client's parts fail at once, so a cancellation stops the whole
// upload too), aborts, and is rethrown.
std::string upload_parts(int64_t size, int64_t part_size, int concurrency, const PartedUpload& upload);

}  // namespace cloud
