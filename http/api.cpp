#include "http/api.h"

#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <utility>

#include "http/downsample.h"
#include "http/paths.h"

namespace gan::http {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

static void num(Writer& w, double v) {
  if (!std::isfinite(v)) {
    w.Null();
    return;
  }
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.6g", v);
  w.RawValue(buf, (size_t)n, rapidjson::kNumberType);
}

static void str(Writer& w, const std::string& s) { w.String(s.c_str(), (rapidjson::SizeType)s.size()); }
// Named numbers of one object, in order (NaN and infinities as null).
static void numbers(Writer& w, std::initializer_list<std::pair<const char*, double>> fields) {
  for (const auto& f : fields) {
    w.Key(f.first);
    num(w, f.second);
  }
}

// Forwards SAX events to a Writer and stops the parse past kMaxDepth levels of nesting.
struct DepthLimited : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DepthLimited> {
  static constexpr int kMaxDepth = 64;  // gan's documents (and the reference's) are 2 deep
  Writer& out;
  int depth = 0;
  explicit DepthLimited(Writer& w) : out(w) {}
  bool Null() { return out.Null(); }
  bool Bool(bool b) { return out.Bool(b); }
  bool Int(int i) { return out.Int(i); }
  bool Uint(unsigned u) { return out.Uint(u); }
  bool Int64(int64_t i) { return out.Int64(i); }
  bool Uint64(uint64_t u) { return out.Uint64(u); }
  bool Double(double d) { return out.Double(d); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return out.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return out.Key(s, n, copy); }
  bool StartObject() { return ++depth <= kMaxDepth && out.StartObject(); }
  bool EndObject(rapidjson::SizeType n) { --depth; return out.EndObject(n); }
  bool StartArray() { return ++depth <= kMaxDepth && out.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { --depth; return out.EndArray(n); }
};

// Parses `text` and writes it, or writes null and records why. The parse is iterative and
// depth-limited and writes through SAX events (no DOM, whose Accept would recurse), so a file
// of "[[[[..." from storage cannot overflow the stack.
static void embed_json(Writer& w, const std::optional<std::string>& text, const std::string& name,
                       std::vector<std::string>& errors) {
  if (!text) {
    w.Null();
    return;
  }
  rapidjson::StringBuffer copy;
  Writer cw(copy);
  DepthLimited handler(cw);
  rapidjson::Reader reader;
  rapidjson::MemoryStream ms(text->data(), text->size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(ms);
  if (!reader.Parse<rapidjson::kParseIterativeFlag>(in, handler)) {
    w.Null();
    errors.push_back(name + (handler.depth > DepthLimited::kMaxDepth
                                 ? ": nested deeper than " + std::to_string(DepthLimited::kMaxDepth) + " levels"
                                 : std::string(": not valid JSON (still being written?)")));
    return;
  }
  w.RawValue(copy.GetString(), copy.GetSize(), rapidjson::kObjectType);
}

// gan writes some settings twice, under its own name and the reference system's (batch_size and
// batchsize, ...), and every model's widths: the page lists each setting once, under gan's name,
// and only the settings of the run's own model. A reference run's file (its spellings only) and
// anything else stay as they are.
static std::string normalize_hyperparameters(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  if (d.HasParseError() || !d.IsObject()) return json;
  static const char* const kAliases[][2] = {
      {"batchsize", "batch_size"}, {"evalfreq", "eval_freq"}, {"latentDim", "latent_dim"}, {"labelDim", "label_dim"}};
  for (const auto& a : kAliases) {
    if (d.HasMember(a[0]) && d.HasMember(a[1])) d.EraseMember(a[0]);
  }
  // Widths only dcgan64 reads.
  auto model = d.FindMember("model");
  if (model != d.MemberEnd() && model->value.IsString() && std::string(model->value.GetString()) != "dcgan64") {
    d.EraseMember("ngf");
    d.EraseMember("ndf");
  }
  rapidjson::StringBuffer sb;
  Writer w(sb);
  d.Accept(w);
  return sb.GetString();
}

static void errors_array(Writer& w, const std::vector<std::string>& errors) {
  w.Key("errors");
  w.StartArray();
  for (const auto& e : errors) str(w, e);
  w.EndArray();
}

std::string file_url(const std::string& key) { return "/files/" + key; }

static bool listed(const std::vector<ObjectInfo>& files, const std::string& key) {
  return std::any_of(files.begin(), files.end(), [&](const ObjectInfo& o) { return o.key == key; });
}

static void files_array(Writer& w, const std::vector<ObjectInfo>& files) {
  w.StartArray();
  for (const ObjectInfo& o : files) {
    auto segs = split_safe_path(o.key);
    if (!segs || !is_served_artifact(*segs)) continue;  // /files/ would not serve it
    w.StartObject();
    w.Key("name");
    str(w, o.key.substr(o.key.rfind('/') + 1));
    w.Key("size");
    w.Int64(o.size);
    w.Key("url");
    str(w, file_url(o.key));
    w.EndObject();
  }
  w.EndArray();
}

std::string api_runs(RunCatalog& cat) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  std::string live = cat.live_run_id();
  w.StartObject();
  w.Key("runs");
  w.StartArray();
  for (const std::string& r : cat.runs()) {
    w.StartObject();
    w.Key("id");
    str(w, r);
    w.Key("live");
    w.Bool(r == live && cat.live() && cat.live()->snapshot(INT64_MAX).progress.live);
    w.EndObject();
  }
  w.EndArray();
  w.Key("live");
  if (live.empty()) w.Null(); else str(w, live);
  w.EndObject();
  return sb.GetString();
}

static void progress_fields(Writer& w, const RunState::Snapshot& s) {
  const Progress& p = s.progress;
  w.Key("epoch"); w.Int(p.epoch);
  w.Key("epochs"); w.Int(p.epochs);
  w.Key("batch"); w.Int(p.batch);
  w.Key("batches"); w.Int(p.batches);
  numbers(w, {{"images_per_sec", p.images_per_sec}, {"eta_seconds", p.eta_seconds}, {"elapsed", p.elapsed}});
  w.Key("live"); w.Bool(p.live);
  w.Key("finished"); w.Bool(p.finished);
  w.Key("total_rows"); w.Int64(s.total_rows);
  w.Key("upload_queue"); w.Int64(s.upload_queue);
}

std::string progress_json(const RunState::Snapshot& snap) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("run");
  str(w, snap.run_id);
  progress_fields(w, snap);
  w.EndObject();
  return sb.GetString();
}

std::string api_run(RunCatalog& cat, const std::string& run) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  std::vector<std::string> errors;
  const bool is_live = cat.live() && run == cat.live_run_id();
  RunState::Snapshot snap;
  if (is_live) snap = cat.live()->snapshot(INT64_MAX);

  std::vector<ObjectInfo> top = cat.files(run, -1);
  const bool has_hyper = listed(top, run + "/hyperparameters.json"), has_target = listed(top, run + "/target.png");
  std::optional<std::string> hyper;
  if (has_hyper) hyper = cat.storage().get(run + "/hyperparameters.json");
  if (!hyper && is_live && !snap.hyperparameters_json.empty()) hyper = snap.hyperparameters_json;

  RowsResult rows = cat.rows(run);
  errors.insert(errors.end(), rows.errors.begin(), rows.errors.end());

  w.StartObject();
  w.Key("id"); str(w, run);
  w.Key("live"); w.Bool(is_live && snap.progress.live);
  w.Key("hyperparameters");
  {
    rapidjson::StringBuffer hb;
    Writer hw(hb);
    const size_t before = errors.size();
    embed_json(hw, hyper, "hyperparameters.json", errors);
    // embed_json has checked the depth, so a DOM is safe here.
    std::string h = hb.GetString();
    if (hyper && errors.size() == before) h = normalize_hyperparameters(h);
    w.RawValue(h.c_str(), h.size(), rapidjson::kObjectType);
  }
  w.Key("epochs");
  w.StartArray();
  for (int e : cat.epochs(run)) w.Int(e);
  w.EndArray();
  w.Key("target"); w.Bool(has_target);
  w.Key("total_rows"); w.Int64((int64_t)rows.rows->size());
  w.Key("first_step"); w.Int64(rows.rows->empty() ? 0 : rows.rows->front().step);
  w.Key("last_step"); w.Int64(rows.rows->empty() ? 0 : rows.rows->back().step);
  w.Key("progress");
  if (is_live) {
    w.StartObject();
    progress_fields(w, snap);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("files"); files_array(w, top);
  errors_array(w, errors);
  w.EndObject();
  return sb.GetString();
}

std::string api_series(const RowsResult& rr, int64_t from, int64_t to, int width) {
  const std::vector<BatchRow>& rows = *rr.rows;
  size_t b = 0, e = rows.size();
  if (!rows.empty()) step_range(rows, from, to, &b, &e);
  width = std::clamp(width, 1, 20000);
  std::vector<Bucket> buckets = downsample(rows, b, e, width);
  const bool raw = buckets.empty() || (size_t)buckets.size() == e - b;

  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("total"); w.Int64((int64_t)rows.size());
  w.Key("count"); w.Int64((int64_t)(e - b));
  w.Key("from"); w.Int64(b < e ? rows[b].step : 0);
  w.Key("to"); w.Int64(b < e ? rows[e - 1].step : 0);
  w.Key("first_step"); w.Int64(rows.empty() ? 0 : rows.front().step);
  w.Key("last_step"); w.Int64(rows.empty() ? 0 : rows.back().step);
  w.Key("bucket_size"); w.Int64(raw ? 1 : (int64_t)((e - b + buckets.size() - 1) / buckets.size()));
  w.Key("x");
  w.StartArray();
  for (const Bucket& k : buckets) w.Int64(k.x_first);
  w.EndArray();
  w.Key("x_end");
  w.StartArray();
  for (const Bucket& k : buckets) w.Int64(k.x_last);
  w.EndArray();
  w.Key("series");
  w.StartObject();
  for (int m = 0; m < kMetricCount; ++m) {
    w.Key(kMetricNames[m]);
    w.StartObject();
    w.Key("mean");
    w.StartArray();
    for (const Bucket& k : buckets) num(w, k.mean[m]);
    w.EndArray();
    if (!raw) {
      w.Key("min");
      w.StartArray();
      for (const Bucket& k : buckets) num(w, k.min[m]);
      w.EndArray();
      w.Key("max");
      w.StartArray();
      for (const Bucket& k : buckets) num(w, k.max[m]);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndObject();
  errors_array(w, rr.errors);
  w.EndObject();
  return sb.GetString();
}

std::string api_epoch(RunCatalog& cat, const std::string& run, int epoch) {
  std::vector<std::string> errors;
  std::vector<ObjectInfo> files = cat.files(run, epoch);
  const std::string dir = run + "/epoch/" + std::to_string(epoch) + "/";
  const bool has_summary = listed(files, dir + "summary.json"), has_generated = listed(files, dir + "generated.png");
  std::optional<std::string> summary;
  if (has_summary) summary = cat.storage().get(dir + "summary.json");
  RowsResult rows = cat.epoch_rows(run, epoch);
  errors.insert(errors.end(), rows.errors.begin(), rows.errors.end());

  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("run"); str(w, run);
  w.Key("epoch"); w.Int(epoch);
  w.Key("summary");
  if (summary) {
    embed_json(w, summary, "summary.json", errors);
  } else if (cat.live() && run == cat.live_run_id()) {
    // The live run's evaluation before summary.json lands: the numbers RunState already has.
    bool found = false;
    for (const EvalRow& e : cat.live()->snapshot(INT64_MAX).evals) {
      if (e.epoch != epoch) continue;
      found = true;
      w.StartObject();
      w.Key("Epoch"); w.Int(e.epoch);
      numbers(w, {{"Real Accuracy", e.real_acc}, {"Fake Accuracy", e.fake_acc}, {"Elapsed Time", e.elapsed},
                  {"Class Accuracy", e.class_acc}, {"Discriminator Loss: Real", e.d_loss_real},
                  {"Discriminator Loss: Fake", e.d_loss_fake}, {"GAN Loss", e.g_loss},
                  {"Class Loss", e.class_loss}, {"Images/s", e.images_per_sec}});
      w.EndObject();
      break;
    }
    if (!found) w.Null();
  } else {
    w.Null();
  }
  w.Key("generated"); w.Bool(has_generated);
  w.Key("rows"); w.Int64((int64_t)rows.rows->size());
  w.Key("cumulative"); w.Bool(rows.cumulative);
  w.Key("files"); files_array(w, files);
  errors_array(w, errors);
  w.EndObject();
  return sb.GetString();
}

// ---- quality metrics and comparison ----

// Parses a stored JSON document through embed_json's depth limit, then into a DOM.
static bool parse_stored(const std::optional<std::string>& text, const std::string& name, rapidjson::Document* d,
                         std::vector<std::string>& errors) {
  if (!text) return false;
  rapidjson::StringBuffer b;
  Writer w(b);
  const size_t before = errors.size();
  embed_json(w, text, name, errors);
  if (errors.size() != before) return false;
  d->Parse(b.GetString(), b.GetSize());
  return !d->HasParseError() && d->IsObject();
}

static double member_number(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsNumber() ? it->value.GetDouble() : NAN;
}

std::vector<QualityPoint> quality_points(RunCatalog& cat, const std::string& run, std::vector<std::string>& errors,
                                         bool newest_only) {
  std::vector<QualityPoint> out;
  std::vector<int> epochs = cat.epochs(run);  // newest first
  if (!newest_only) std::sort(epochs.begin(), epochs.end());
  for (int e : epochs) {
    if (newest_only && !out.empty()) break;
    const std::string key = run + "/epoch/" + std::to_string(e) + "/summary.json";
    if (!cat.storage().stat(key)) continue;
    rapidjson::Document d;
    if (!parse_stored(cat.storage().get(key), "epoch/" + std::to_string(e) + "/summary.json", &d, errors)) continue;
    QualityPoint q;
    q.epoch = e;
    q.fd = member_number(d, "Frechet Distance");
    q.class_agreement = member_number(d, "Class Agreement");
    q.precision = member_number(d, "Precision");
    q.recall = member_number(d, "Recall");
    q.evaluator_accuracy = member_number(d, "Evaluator Accuracy");
    if (std::isfinite(q.fd) || std::isfinite(q.class_agreement) || std::isfinite(q.precision) || std::isfinite(q.recall))
      out.push_back(q);
  }
  return out;
}

int best_epoch(RunCatalog& cat, const std::string& run, std::string* best_json, std::vector<std::string>& errors) {
  const std::string key = run + "/best.json";
  if (!cat.storage().stat(key)) return -1;
  std::optional<std::string> text = cat.storage().get(key);
  rapidjson::Document d;
  if (!parse_stored(text, "best.json", &d, errors)) return -1;
  const double e = member_number(d, "epoch");
  if (!std::isfinite(e) || e < 0) {
    errors.push_back("best.json: no \"epoch\" number");
    return -1;
  }
  if (best_json) {
    rapidjson::StringBuffer b;
    Writer w(b);
    d.Accept(w);
    *best_json = b.GetString();
  }
  return (int)e;
}

static void quality_array(Writer& w, const std::vector<QualityPoint>& qs) {
  w.StartArray();
  for (const QualityPoint& q : qs) {
    w.StartObject();
    w.Key("epoch"); w.Int(q.epoch);
    numbers(w, {{"fd", q.fd}, {"class_agreement", q.class_agreement}, {"precision", q.precision},
                {"recall", q.recall}, {"evaluator_accuracy", q.evaluator_accuracy}});
    w.EndObject();
  }
  w.EndArray();
}

std::string api_quality(RunCatalog& cat, const std::string& run) {
  std::vector<std::string> errors;
  std::vector<QualityPoint> qs = quality_points(cat, run, errors);
  std::string best;
  const int be = best_epoch(cat, run, &best, errors);
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("run"); str(w, run);
  w.Key("epochs"); quality_array(w, qs);
  w.Key("best_epoch");
  if (be >= 0) w.Int(be); else w.Null();
  w.Key("best");
  if (be >= 0) w.RawValue(best.c_str(), best.size(), rapidjson::kObjectType); else w.Null();
  errors_array(w, errors);
  w.EndObject();
  return sb.GetString();
}

std::string api_compare(RunCatalog& cat, const std::vector<std::string>& runs, int width) {
  std::vector<std::string> errors;
  // Hyperparameters as shown on the page (one name per setting), for the table of differences.
  std::vector<rapidjson::Document> hypers(runs.size());
  std::vector<std::string> keys;  // union, in first-seen order
  for (size_t i = 0; i < runs.size(); ++i) {
    rapidjson::Document run;
    run.Parse(api_run(cat, runs[i]).c_str());
    if (run.HasParseError() || !run.IsObject() || !run["hyperparameters"].IsObject()) {
      hypers[i].SetObject();
      continue;
    }
    hypers[i].CopyFrom(run["hyperparameters"], hypers[i].GetAllocator());
    for (auto& m : hypers[i].GetObject()) {
      std::string k = m.name.GetString();
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
  }
  auto value_text = [](const rapidjson::Document& h, const std::string& k) -> std::optional<std::string> {
    auto it = h.FindMember(k.c_str());
    if (it == h.MemberEnd()) return std::nullopt;
    rapidjson::StringBuffer b;
    Writer w(b);
    it->value.Accept(w);
    return std::string(b.GetString());
  };

  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("runs");
  w.StartArray();
  for (const std::string& r : runs) {
    w.StartObject();
    w.Key("id"); str(w, r);
    w.Key("quality"); quality_array(w, quality_points(cat, r, errors));
    w.Key("best_epoch");
    const int be = best_epoch(cat, r, nullptr, errors);
    if (be >= 0) w.Int(be); else w.Null();
    RowsResult rows = cat.rows(r);
    for (const std::string& e : rows.errors) errors.push_back(r + ": " + e);
    w.Key("series");
    std::string s = api_series(rows, INT64_MIN, INT64_MAX, width);
    w.RawValue(s.c_str(), s.size(), rapidjson::kObjectType);
    w.EndObject();
  }
  w.EndArray();
  // Settings whose values are not all the same (a setting missing from a run counts as differing).
  w.Key("differing");
  w.StartArray();
  for (const std::string& k : keys) {
    std::vector<std::optional<std::string>> vals;
    for (const auto& h : hypers) vals.push_back(value_text(h, k));
    bool same = true;
    for (const auto& v : vals) same &= v == vals[0];
    if (same) continue;
    w.StartObject();
    w.Key("key"); str(w, k);
    w.Key("values");
    w.StartArray();
    for (const auto& v : vals) {
      if (v) w.RawValue(v->c_str(), v->size(), rapidjson::kObjectType); else w.Null();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  errors_array(w, errors);
  w.EndObject();
  return sb.GetString();
}

const std::vector<std::string>& row_columns() {
  static const std::vector<std::string> cols = {
      "step", "epoch", "epochs", "batch", "batches", "d_loss_real", "d_loss_fake", "g_loss",
      "class_loss", "d_acc_real", "d_acc_fake", "class_acc", "seconds"};
  return cols;
}

static void row_array(Writer& w, const BatchRow& r) {
  w.StartArray();
  w.Int64(r.step);
  w.Int(r.epoch);
  w.Int(r.epochs);
  w.Int(r.batch);
  w.Int(r.batches);
  for (int m = 0; m < kMetricCount; ++m) num(w, metric_value(r, m));
  num(w, r.seconds);
  w.EndArray();
}

// The text of one small document that `body` writes.
template <typename Body>
static std::string document(Body&& body) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  body(w);
  w.EndObject();
  return sb.GetString();
}

std::string batches_event_json(const std::string& run, int64_t total, const std::vector<BatchRow>* rows) {
  return document([&](Writer& w) {
    w.Key("run"); str(w, run);
    w.Key("total"); w.Int64(total);
    w.Key("rows");
    if (!rows) return (void)w.Null();
    w.StartArray();
    for (const BatchRow& r : *rows) row_array(w, r);
    w.EndArray();
  });
}

std::string run_event_json(const std::string& run, const char* name, int64_t value) {
  return document([&](Writer& w) {
    w.Key("run"); str(w, run);
    if (name) {
      w.Key(name);
      w.Int64(value);
    }
  });
}

std::string error_json(const std::string& message) {
  return document([&](Writer& w) { w.Key("error"); str(w, message); });
}

std::string api_rows(const RowsResult& rr, int page, int per_page) {
  const std::vector<BatchRow>& rows = *rr.rows;
  per_page = std::clamp(per_page, 1, 1000);
  const int64_t total = (int64_t)rows.size();
  const int64_t pages = std::max<int64_t>(1, (total + per_page - 1) / per_page);
  page = (int)std::clamp<int64_t>(page, 0, pages - 1);
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("total"); w.Int64(total);
  w.Key("page"); w.Int(page);
  w.Key("per_page"); w.Int(per_page);
  w.Key("pages"); w.Int64(pages);
  w.Key("cumulative"); w.Bool(rr.cumulative);
  w.Key("columns");
  w.StartArray();
  for (const auto& c : row_columns()) str(w, c);
  w.EndArray();
  w.Key("rows");
  w.StartArray();
  for (int64_t i = (int64_t)page * per_page; i < std::min(total, (int64_t)(page + 1) * per_page); ++i) row_array(w, rows[(size_t)i]);
  w.EndArray();
  errors_array(w, rr.errors);
  w.EndObject();
  return sb.GetString();
}

}  // namespace gan::http
