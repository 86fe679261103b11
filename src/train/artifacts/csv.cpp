// metrics.csv writer and reader. Numbers go through std::to_chars/from_chars (locale-independent;
// "%.6g" is to_chars' general format at precision 6). The reader follows RFC 4180 enough for
// files written by pandas or a spreadsheet: quoted fields, CRLF, a UTF-8 BOM, an unnamed index
// column; it maps columns by name and ignores ones it does not know.
#include "train/artifacts/csv.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "common/text.h"

namespace gan {
namespace {

// The written columns end at Class Accuracy: wall-clock time differs from run to run, and the
// same seed must give the same metrics.csv, so per-batch seconds live in the run state only. The
// reader still accepts a Seconds column (kSeconds) from other writers.
enum Col { kEpoch, kEpochs, kBatch, kBatches, kDReal, kDFake, kG, kClass, kAccReal, kAccFake,
           kClassAcc, kSeconds, kNumCols };
constexpr int kWritten = kSeconds;

const char* const kNames[kNumCols] = {
    "Epoch", "Epochs", "Mini-Batch", "Mini-Batches",
    "Discriminator Loss: Real", "Discriminator Loss: Fake", "GAN Loss",
    "Class Loss", "Discriminator Accuracy: Real", "Discriminator Accuracy: Fake",
    "Class Accuracy", "Seconds"};

void append_float(std::string& out, float v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 6);
  out.append(buf, r.ptr);
}

[[noreturn]] void fail(const std::string& source, size_t line, const std::string& what) {
  throw std::runtime_error(source + ":" + std::to_string(line) + ": " + what);
}

// Splits the text into records of fields. Quoted fields may hold commas, doubled quotes and
// newlines; `lines` gets each record's first line number for error messages.
std::vector<std::vector<std::string>> split_records(const std::string& text,
                                                    const std::string& source,
                                                    std::vector<size_t>* lines) {
  std::vector<std::vector<std::string>> recs;
  size_t i = 0, line = 1;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // BOM from spreadsheet exports
  while (i < text.size()) {
    std::vector<std::string> rec;
    size_t rec_line = line;
    std::string field;
    bool any = false;
    for (;;) {
      if (i < text.size() && text[i] == '"') {
        ++i;
        for (;;) {
          if (i >= text.size()) fail(source, rec_line, "unterminated quoted field");
          char c = text[i++];
          if (c == '"') {
            if (i < text.size() && text[i] == '"') { field += '"'; ++i; continue; }
            break;
          }
          if (c == '\n') ++line;
          field += c;
        }
        any = true;
      }
      while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        field += text[i++];
        any = true;
      }
      rec.push_back(std::move(field));
      field.clear();
      if (i < text.size() && text[i] == ',') { ++i; any = true; continue; }
      break;
    }
    if (i < text.size() && text[i] == '\r') ++i;
    if (i < text.size() && text[i] == '\n') ++i;
    ++line;
    if (!any && rec.size() == 1 && rec[0].empty()) continue;  // blank line
    recs.push_back(std::move(rec));
    lines->push_back(rec_line);
  }
  return recs;
}

double parse_number(const std::string& raw, const std::string& source, size_t line,
                    const char* column) {
  std::string s = trim(raw, " \t");
  if (s.empty()) return std::numeric_limits<double>::quiet_NaN();
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;  // from_chars refuses a leading '+'
  double v = 0;
  auto r = std::from_chars(b, e, v);  // also reads nan, inf, -inf
  if (r.ec == std::errc::result_out_of_range) {
    v = (s[0] == '-') ? -HUGE_VAL : HUGE_VAL;
    bool tiny = s.find("e-") != std::string::npos || s.find("E-") != std::string::npos;
    if (tiny) v = 0;
  } else if (r.ec != std::errc() || r.ptr != e) {
    fail(source, line, std::string("column \"") + column + "\": \"" + s + "\" is not a number");
  }
  return v;
}

int parse_count(const std::string& raw, const std::string& source, size_t line,
                const char* column) {
  double v = parse_number(raw, source, line, column);
  if (std::isnan(v)) return 0;
  // pandas writes integer columns as "3.0" once a value is missing; anything else is an error.
  if (!(v == std::floor(v)) || v < 0 || v > 2147483647.0)
    fail(source, line, std::string("column \"") + column + "\": \"" + trim(raw, " \t") +
                           "\" is not a count (a non-negative integer)");
  return (int)v;
}

}  // namespace

const std::string& metrics_csv_header() {
  static const std::string h = [] {
    std::string s;
    for (int c = 0; c < kWritten; ++c) {
      if (c) s += ',';
      s += kNames[c];
    }
    return s;
  }();
  return h;
}

std::string metrics_csv_line(const BatchRow& r) {
  std::string s;
  s += std::to_string(r.epoch) + ',' + std::to_string(r.epochs) + ',' + std::to_string(r.batch) +
       ',' + std::to_string(r.batches);
  for (float v : {r.d_loss_real, r.d_loss_fake, r.g_loss, r.class_loss, r.d_acc_real,
                  r.d_acc_fake, r.class_acc}) {
    s += ',';
    append_float(s, v);
  }
  return s;
}

std::string metrics_csv(const std::vector<BatchRow>& rows) {
  std::string s = metrics_csv_header();
  s += '\n';
  s.reserve(s.size() + rows.size() * 80);
  for (const BatchRow& r : rows) {
    s += metrics_csv_line(r);
    s += '\n';
  }
  return s;
}

std::vector<BatchRow> parse_metrics_csv(const std::string& text, const std::string& source) {
  std::vector<size_t> lines;
  auto recs = split_records(text, source, &lines);
  if (recs.empty()) fail(source, 1, "empty file, expected a header line starting with \"Epoch\"");
  int index[kNumCols];
  for (int& x : index) x = -1;
  const auto& header = recs[0];
  for (size_t f = 0; f < header.size(); ++f) {
    std::string name = trim(header[f], " \t");
    for (int c = 0; c < kNumCols; ++c)
      if (name == kNames[c] && index[c] < 0) index[c] = (int)f;
  }
  for (int c : {kEpoch, kBatch})
    if (index[c] < 0)
      fail(source, lines[0], std::string("no \"") + kNames[c] +
                                 "\" column: this is not a metrics.csv (the header must name "
                                 "Epoch,Epochs,Mini-Batch,...)");

  std::vector<BatchRow> rows;
  rows.reserve(recs.size() - 1);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (size_t k = 1; k < recs.size(); ++k) {
    const auto& rec = recs[k];
    size_t line = lines[k];
    if (rec.size() != header.size())
      fail(source, line, "expected " + std::to_string(header.size()) + " fields like the header, found " +
                             std::to_string(rec.size()));
    auto count = [&](int c) { return index[c] < 0 ? 0 : parse_count(rec[index[c]], source, line, kNames[c]); };
    auto num = [&](int c) { return (float)(index[c] < 0 ? nan : parse_number(rec[index[c]], source, line, kNames[c])); };
    BatchRow r;
    r.epoch = count(kEpoch);
    r.epochs = count(kEpochs);
    r.batch = count(kBatch);
    r.batches = count(kBatches);
    r.step = r.epoch > 0 && r.batches > 0 ? (int64_t)(r.epoch - 1) * r.batches + r.batch : r.batch;
    r.d_loss_real = num(kDReal);
    r.d_loss_fake = num(kDFake);
    r.g_loss = num(kG);
    r.class_loss = num(kClass);
    r.d_acc_real = num(kAccReal);
    r.d_acc_fake = num(kAccFake);
    r.class_acc = num(kClassAcc);
    r.seconds = num(kSeconds);
    rows.push_back(r);
  }
  return rows;
}

}  // namespace gan
