// URL paths to storage keys, and nothing else: every name that comes from a URL passes here.
//
// cpp-httplib has already percent-decoded the path once, so "%2e%2e" arrives as "..". A segment
// that still holds '%' was encoded twice; it is rejected rather than decoded again, so no layer
// further down can turn it into "..". Backslashes, NUL, control characters, empty segments
// (which is what an absolute path inside a path looks like: "/files//etc/passwd") and "." / ".."
// are all rejected.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace gan::http {

// A run id or file name: [A-Za-z0-9._-+=]+ minus "." and "..".
bool is_safe_segment(const std::string& s);

// "run/epoch/10/generated.png" → its segments, or nullopt if any segment is unsafe.
std::optional<std::vector<std::string>> split_safe_path(const std::string& path);

// Whether /files/ may serve this key (already split by split_safe_path): only the artifacts a run
// writes (README, "What a run writes"), and those of the reference system's layout, by name and
// place. Everything else in a storage folder (the upload journal and its snapshots, dotfiles,
// stray files) is not the monitor's to hand out. The one list: a new artifact is added here.
bool is_served_artifact(const std::vector<std::string>& segs);

// The Content-Type for an artifact by its extension; application/octet-stream when unknown.
std::string content_type_for(const std::string& name);

// Whether a browser should download (true) or show (false) an artifact.
bool is_download(const std::string& name);

// A non-negative decimal epoch number ("10"), or -1.
int parse_epoch(const std::string& s);

}  // namespace gan::http
