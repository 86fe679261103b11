#include "http/run_catalog.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "http/paths.h"

namespace gan::http {

static std::string epoch_prefix(const std::string& run) { return run + "/epoch/"; }

std::string RunCatalog::live_run_id() const {
  if (!live_) return "";
  return live_->snapshot(INT64_MAX).run_id;  // INT64_MAX: copy no rows
}

std::vector<std::string> RunCatalog::runs() {
  std::vector<std::string> out;
  for (const std::string& d : storage_.list_dirs("")) {
    if (is_safe_segment(d) && d[0] != '.') out.push_back(d);
  }
  std::string live = live_run_id();
  if (!live.empty() && std::find(out.begin(), out.end(), live) == out.end()) out.push_back(live);
  std::sort(out.rbegin(), out.rend());
  return out;
}

bool RunCatalog::has_run(const std::string& run) {
  if (!is_safe_segment(run)) return false;
  if (run == live_run_id()) return true;
  // One shallow listing (a delimiter query on S3) instead of walking the run's files.
  const std::vector<std::string> dirs = storage_.list_dirs("");
  return std::find(dirs.begin(), dirs.end(), run) != dirs.end();
}

std::vector<int> RunCatalog::epochs(const std::string& run) {
  std::set<int> s;
  for (const std::string& d : storage_.list_dirs(epoch_prefix(run))) {
    int e = parse_epoch(d);
    if (e >= 0) s.insert(e);
  }
  if (live_ && run == live_run_id()) {
    for (const EvalRow& e : live_->snapshot(INT64_MAX).evals) s.insert(e.epoch);
  }
  return std::vector<int>(s.rbegin(), s.rend());
}

static bool same_row(const BatchRow& a, const BatchRow& b) {
  auto same = [](float x, float y) { return x == y || (std::isnan(x) && std::isnan(y)); };
  return a.epoch == b.epoch && a.batch == b.batch && a.batches == b.batches && same(a.d_loss_real, b.d_loss_real) &&
         same(a.d_loss_fake, b.d_loss_fake) && same(a.g_loss, b.g_loss) && same(a.class_loss, b.class_loss) &&
         same(a.d_acc_real, b.d_acc_real) && same(a.d_acc_fake, b.d_acc_fake) && same(a.class_acc, b.class_acc);
}

bool extends_rows(const std::vector<BatchRow>& earlier, const std::vector<BatchRow>& later) {
  if (earlier.empty() || later.size() <= earlier.size()) return false;
  for (size_t i = 0; i < earlier.size(); ++i)
    if (!same_row(earlier[i], later[i])) return false;
  return true;
}

void normalize_steps(std::vector<BatchRow>& rows) {
  bool sorted = true;
  for (size_t i = 1; i < rows.size() && sorted; ++i) sorted = rows[i].step > rows[i - 1].step;
  if (sorted) return;
  std::stable_sort(rows.begin(), rows.end(), [](const BatchRow& a, const BatchRow& b) { return a.step < b.step; });
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].step <= rows[i - 1].step) {
      for (size_t j = 0; j < rows.size(); ++j) rows[j].step = (int64_t)j + 1;
      return;
    }
  }
}

RunCatalog::FileEntry RunCatalog::load_csv(const ObjectInfo& obj) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = csv_cache_.find(obj.key);
    if (it != csv_cache_.end() && it->second.size == obj.size && it->second.mtime == obj.mtime) return it->second;
  }
  FileEntry f;
  f.size = obj.size;
  f.mtime = obj.mtime;
  auto empty = std::make_shared<const std::vector<BatchRow>>();
  try {
    std::optional<std::string> text = storage_.get(obj.key);
    if (!text) {
      f.rows = empty;
      f.error = obj.key + ": disappeared while reading";
      return f;  // not cached: it may come back
    }
    f.rows = std::make_shared<const std::vector<BatchRow>>(parse_metrics_csv(*text, obj.key));
  } catch (const std::exception& e) {
    f.rows = empty;
    f.error = e.what();
  }
  std::lock_guard<std::mutex> lk(mu_);
  csv_cache_[obj.key] = f;
  return f;
}

Rows RunCatalog::live_rows() {
  std::lock_guard<std::mutex> lk(live_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (live_cache_ && now - live_refreshed_ < std::chrono::milliseconds(250) && live_cached_run_ == live_run_id())
    return live_cache_;
  live_refreshed_ = now;
  const size_t have = live_cache_ ? live_cache_->size() : 0;
  RunState::Snapshot snap = live_->snapshot((int64_t)have);
  if (snap.run_id != live_cached_run_ || snap.total_rows < (int64_t)have) {  // a new run in this process
    live_cached_run_ = snap.run_id;
    snap = live_->snapshot(0);
    live_cache_.reset();
  }
  if (!live_cache_ || !snap.rows.empty()) {
    // Copy-on-append outside the trainer's lock; requests still holding the old vector keep it.
    auto next = std::make_shared<std::vector<BatchRow>>();
    next->reserve((live_cache_ ? live_cache_->size() : 0) + snap.rows.size());
    if (live_cache_) next->insert(next->end(), live_cache_->begin(), live_cache_->end());
    next->insert(next->end(), snap.rows.begin(), snap.rows.end());
    normalize_steps(*next);
    live_cache_ = std::move(next);
  }
  return live_cache_;
}

RowsResult RunCatalog::rows(const std::string& run) {
  if (live_ && run == live_run_id()) {
    Rows r = live_rows();
    if (!r->empty()) return RowsResult{r, {}};
  }
  {
    // Re-list storage at most once a second per run: pages ask for the run and its series together.
    std::lock_guard<std::mutex> lk(mu_);
    auto it = run_cache_.find(run);
    if (it != run_cache_.end() && std::chrono::steady_clock::now() - it->second.checked < std::chrono::seconds(1))
      return it->second.result;
  }
  // metrics.csv files in numeric epoch order, and a signature of their versions.
  std::vector<std::pair<int, ObjectInfo>> csvs;
  const std::string prefix = epoch_prefix(run);
  for (const ObjectInfo& o : storage_.list(prefix)) {
    const std::string rest = o.key.substr(prefix.size());
    size_t slash = rest.find('/');
    if (slash == std::string::npos || rest.substr(slash + 1) != "metrics.csv") continue;
    int e = parse_epoch(rest.substr(0, slash));
    if (e >= 0) csvs.emplace_back(e, o);
  }
  std::sort(csvs.begin(), csvs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string sig;
  for (const auto& c : csvs) sig += c.second.key + ":" + std::to_string(c.second.size) + ":" + std::to_string(c.second.mtime) + ";";
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = run_cache_.find(run);
    if (it != run_cache_.end() && it->second.signature == sig) {
      it->second.checked = std::chrono::steady_clock::now();
      return it->second.result;
    }
  }
  std::vector<BatchRow> all;
  RowsResult res;
  Rows prev;
  for (const auto& c : csvs) {
    FileEntry f = load_csv(c.second);
    if (!f.error.empty()) res.errors.push_back(f.error);
    // A cumulative file (the reference system's) repeats the previous file's rows: count each once.
    const size_t skip = prev && extends_rows(*prev, *f.rows) ? prev->size() : 0;
    all.insert(all.end(), f.rows->begin() + (ptrdiff_t)skip, f.rows->end());
    if (!f.rows->empty()) prev = f.rows;
  }
  normalize_steps(all);
  res.rows = std::make_shared<const std::vector<BatchRow>>(std::move(all));
  std::lock_guard<std::mutex> lk(mu_);
  if (res.errors.empty()) run_cache_[run] = RunEntry{sig, res, std::chrono::steady_clock::now()};
  return res;
}

void RunCatalog::invalidate(const std::string& run) {
  std::lock_guard<std::mutex> lk(mu_);
  run_cache_.erase(run);
}

RowsResult RunCatalog::epoch_rows(const std::string& run, int epoch) {
  const std::string key = epoch_prefix(run) + std::to_string(epoch) + "/metrics.csv";
  std::optional<ObjectInfo> info = storage_.stat(key);
  if (info) {
    FileEntry f = load_csv(*info);
    RowsResult r{f.rows, {}};
    if (!f.error.empty()) r.errors.push_back(f.error);
    // Cumulative when it begins with the previous evaluation epoch's rows and holds more.
    for (int e : epochs(run)) {
      if (e >= epoch) continue;
      std::optional<ObjectInfo> pinfo = storage_.stat(epoch_prefix(run) + std::to_string(e) + "/metrics.csv");
      if (!pinfo) continue;
      FileEntry p = load_csv(*pinfo);
      if (p.rows->empty()) continue;
      r.cumulative = extends_rows(*p.rows, *f.rows);
      break;
    }
    return r;
  }
  RowsResult r{std::make_shared<const std::vector<BatchRow>>(), {}};
  if (live_ && run == live_run_id()) {
    // The interval (previous evaluation epoch, epoch]: the rows metrics.csv will hold.
    int prev = -1;
    for (int e : epochs(run)) {
      if (e < epoch) { prev = e; break; }
    }
    Rows all = live_rows();
    std::vector<BatchRow> out;
    for (const BatchRow& b : *all) {
      if (b.epoch > prev && b.epoch <= epoch) out.push_back(b);
    }
    r.rows = std::make_shared<const std::vector<BatchRow>>(std::move(out));
  }
  return r;
}

std::vector<ObjectInfo> RunCatalog::files(const std::string& run, int epoch) {
  if (epoch < 0) {
    // A run's own files are known by name; listing <run>/ would walk every epoch's files.
    std::vector<ObjectInfo> out;
    for (const char* name : {"hyperparameters.json", "target.png", "best.json", "evaluator.json"}) {
      if (std::optional<ObjectInfo> o = storage_.stat(run + "/" + name)) out.push_back(*o);
    }
    return out;
  }
  const std::string prefix = epoch < 0 ? run + "/" : epoch_prefix(run) + std::to_string(epoch) + "/";
  std::vector<ObjectInfo> out;
  for (const ObjectInfo& o : storage_.list(prefix)) {
    if (o.key.find('/', prefix.size()) == std::string::npos) out.push_back(o);
  }
  return out;
}

}  // namespace gan::http
