// Atomic files: every artifact a reader may open while the trainer runs is written whole or not
// at all.
//
// write_file_atomic writes "<path>.tmp.<pid>.<n>" beside the target (same directory, so the same
// filesystem), fsyncs it, renames it over the target and fsyncs the directory, so a crash leaves
// either the old file or the new one. Errors throw std::runtime_error naming the path, the errno
// text and what to do.
#pragma once
#include <string>

namespace gan {

// Writes `bytes` to `path` atomically; the parent directory must exist (see make_dirs).
void write_file_atomic(const std::string& path, const std::string& bytes);

// Copies the file at `src` to `dst` atomically (streamed; `dst`'s directory must exist).
void copy_file_atomic(const std::string& src, const std::string& dst);

// True for "<name>.tmp.<pid>.<n>" (or an older "<name>.tmp.<pid>"): a write in progress, or one
// whose writer died (listings skip these).
bool is_atomic_temp_name(const std::string& name);

// Deletes, under `dir` (recursively), the temp files of writers other than this process: what a
// SIGKILL or a crash mid-write leaves behind. Only one process writes a run folder, so on --resume
// they are all stale. Returns how many were removed; unreadable folders are skipped.
int remove_stale_temp_files(const std::string& dir);

// fsyncs the folder that holds `path`, so a rename or a new name in it survives a power loss.
// Returns 0, or the errno of what failed (0 also where the filesystem cannot sync a folder).
int sync_parent_dir(const std::string& path);

// mkdir -p: creates `path` and any missing parents; a path that is already a directory is fine.
void make_dirs(const std::string& path);

// The whole file, or throws naming the path. read_file_if_exists returns false when it is absent.
std::string read_file(const std::string& path);
bool read_file_if_exists(const std::string& path, std::string* out);

}  // namespace gan
