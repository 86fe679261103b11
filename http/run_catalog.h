// RunCatalog: what the monitor knows about runs, read through Storage and the live RunState.
//
// It shows what exists. A run is any top-level folder in storage (plus the live run, which may
// have no files yet); an epoch is any numeric folder under <run>/epoch/, whatever it holds so far.
// The mini-batch series of a stored run is the concatenation of its epochs' metrics.csv files
// (a file that repeats the previous one's rows, as the reference system's cumulative files do,
// contributes only its new rows),
// parsed once per file version (key, size, mtime) and cached, so re-opening a 50,000-row run
// costs one list call. A file that does not parse (still being written, or foreign) contributes
// no rows and an error string; it never fails the request.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/storage.h"
#include "train/run_state.h"

namespace gan::http {

using Rows = std::shared_ptr<const std::vector<BatchRow>>;

struct RowsResult {
  Rows rows;                        // never null; sorted by step
  std::vector<std::string> errors;  // files that could not be read
  // epoch_rows only: the file holds every mini-batch since the start of training (the reference
  // system writes such files), not just this evaluation interval's.
  bool cumulative = false;
};

class RunCatalog {
 public:
  RunCatalog(Storage& storage, const RunState* live) : storage_(storage), live_(live) {}

  Storage& storage() { return storage_; }
  const RunState* live() const { return live_; }
  std::string live_run_id() const;  // "" when this process trains nothing (or not yet)

  // Run ids, newest first (ids are UTC start times, so reverse lexical order); the live run is
  // included even before it has written anything.
  std::vector<std::string> runs();
  bool has_run(const std::string& run);
  // Evaluation epochs, newest first: numeric folders under <run>/epoch/, and the live run's
  // evaluations reported in RunState.
  std::vector<int> epochs(const std::string& run);

  // Every mini-batch row of the run.
  RowsResult rows(const std::string& run);
  // The rows of one evaluation interval: <run>/epoch/N/metrics.csv, or for the live run before
  // that file exists, its rows after the previous evaluation epoch up to N.
  RowsResult epoch_rows(const std::string& run, int epoch);
  // Forgets what is cached about a stored run (the storage poller saw its files change).
  void invalidate(const std::string& run);
  // The objects directly inside <run>/epoch/N/ (or <run>/ when epoch < 0).
  std::vector<ObjectInfo> files(const std::string& run, int epoch);

 private:
  struct FileEntry {
    int64_t size = -1, mtime = -1;
    Rows rows;
    std::string error;
  };
  // Parsed rows of one metrics.csv, from cache when size and mtime match.
  FileEntry load_csv(const ObjectInfo& obj);

  Storage& storage_;
  const RunState* live_;
  std::mutex mu_;
  std::map<std::string, FileEntry> csv_cache_;  // by key
  struct RunEntry {
    std::string signature;
    RowsResult result;
    std::chrono::steady_clock::time_point checked;
  };
  std::map<std::string, RunEntry> run_cache_;
  // The live run's rows, extended by snapshot(from_row = what we have): the trainer's mutex is
  // held only while the new rows are copied, never for the whole history. Refreshed at most
  // every 250 ms, so twenty pages asking at once cost one copy, not twenty.
  Rows live_rows();
  std::mutex live_mu_;
  std::string live_cached_run_;
  Rows live_cache_;
  std::chrono::steady_clock::time_point live_refreshed_{};
};

// True when `later` begins with every row of `earlier` and holds more: a cumulative metrics.csv.
bool extends_rows(const std::vector<BatchRow>& earlier, const std::vector<BatchRow>& later);

// Sorts rows by step; when steps repeat (files without counters), renumbers them 1..n.
void normalize_steps(std::vector<BatchRow>& rows);

}  // namespace gan::http
