// metrics.csv reader (src/train/artifacts/csv.cpp): what it reads, written again, reads the same.
#include "fuzz_util.h"
#include "train/artifacts/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<gan::BatchRow> rows;
  if (!fuzz::accepts([&] { rows = gan::parse_metrics_csv(text, "metrics.csv"); })) return 0;
  const std::string once = gan::metrics_csv(rows);
  std::vector<gan::BatchRow> again;
  fuzz::check(fuzz::accepts([&] { again = gan::parse_metrics_csv(once, "rewritten.csv"); }), "a rewritten metrics.csv does not parse");
  fuzz::check(gan::metrics_csv(again) == once, "metrics_csv(parse(metrics_csv(rows))) != metrics_csv(rows)");
  return 0;
}
