// The JSON API (/api/...): one function per endpoint, each returning the response body.
//
// Kept apart from the server so tests can check documents without sockets, and so each handler
// is "parse the URL, call one of these, send". Numbers that are NaN or infinite (a reference run
// has no class loss) are written as null; floats are written with 6 significant digits, which is
// what a chart needs and keeps a 1,000-bucket series small. Documents read from storage
// (hyperparameters.json, summary.json) are parsed and re-emitted; one that does not parse is null
// plus an entry in "errors".
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "http/run_catalog.h"

namespace gan::http {

// {"runs":[{"id","live"}...], "live": id|null}  newest first.
std::string api_runs(RunCatalog& cat);

// {"id","live","hyperparameters":{}|null,"epochs":[N...] newest first,"target":bool,
//  "total_rows","first_step","last_step","progress":{...}|null,"upload_queue","files":[...],"errors":[...]}
std::string api_run(RunCatalog& cat, const std::string& run);

// Downsampled series over steps [from, to] (defaults: everything) for `width` buckets:
// {"total","from","to","bucket_size","x":[first step],"x_end":[last step],
//  "series":{"d_loss_real":{"mean":[...],"min":[...],"max":[...]},...}}  (min/max only when bucket_size > 1)
std::string api_series(const RowsResult& rows, int64_t from, int64_t to, int width);

// {"epoch","summary":{}|null,"files":[{"name","size","url"}],"rows","generated":bool,"errors":[...]}
std::string api_epoch(RunCatalog& cat, const std::string& run, int epoch);

// One page of an epoch's mini-batch table: {"total","page","per_page","pages","columns":[...],"rows":[[...]...]}
// One evaluation epoch's quality metrics (summary.json's "Frechet Distance", "Class Agreement",
// "Precision", "Recall", "Evaluator Accuracy"; NaN where absent).
struct QualityPoint {
  int epoch = 0;
  double fd = NAN, class_agreement = NAN, precision = NAN, recall = NAN, evaluator_accuracy = NAN;
};
// The run's evaluation epochs that hold quality metrics, oldest first (newest_only: just the newest
// one, reading summaries from the newest epoch back until one has them); unreadable summaries add
// errors.
std::vector<QualityPoint> quality_points(RunCatalog& cat, const std::string& run, std::vector<std::string>& errors,
                                         bool newest_only = false);
// best.json's epoch (-1 when the run has none or it does not parse); *best_json gets the document.
int best_epoch(RunCatalog& cat, const std::string& run, std::string* best_json, std::vector<std::string>& errors);

// GET /api/runs/<run>/quality: {"run", "epochs": [{"epoch", "fd", "class_agreement", "precision",
// "recall", "evaluator_accuracy"}], "best_epoch", "best" (best.json), "errors"}.
std::string api_quality(RunCatalog& cat, const std::string& run);

// GET /api/compare?runs=a,b: per run its quality points, best epoch and downsampled series (as
// /series answers), and "differing": [{"key", "values": one per run, null where absent}] for the
// hyperparameters whose values are not all equal.
std::string api_compare(RunCatalog& cat, const std::vector<std::string>& runs, int width);

std::string api_rows(const RowsResult& rows, int page, int per_page);

// The column names of a row in api_rows and batches_event_json (each row is an array in this order).
const std::vector<std::string>& row_columns();

// The event stream's documents: {"run","total","rows":[row...]} (rows null when the page should
// re-fetch the series instead); {"run"} plus, when `name` is given, name: value (the eval, files
// and hello events); and an error answer, {"error": message}.
std::string batches_event_json(const std::string& run, int64_t total, const std::vector<BatchRow>* rows);
std::string run_event_json(const std::string& run, const char* name = nullptr, int64_t value = 0);
std::string error_json(const std::string& message);

// The live run's progress: {"epoch","epochs","batch","batches","images_per_sec","eta_seconds",
// "elapsed","live","finished","total_rows","upload_queue"}.
std::string progress_json(const RunState::Snapshot& snap);

// URL of an artifact under /files/ (what the page links to; the server redirects to a presigned
// URL when the storage has one).
std::string file_url(const std::string& key);

}  // namespace gan::http
