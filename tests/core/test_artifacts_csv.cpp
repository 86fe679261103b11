// metrics.csv: the header is the reference system's to the byte, rows round-trip at %.6g, and the
// reader accepts the reference's seven-column files and pandas-style exports.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "train/artifacts/csv.h"

using gan::BatchRow;

TEST(ArtifactsCsv, HeaderIsExact) {
  EXPECT_EQ(gan::metrics_csv_header(),
            "Epoch,Epochs,Mini-Batch,Mini-Batches,Discriminator Loss: Real,"
            "Discriminator Loss: Fake,GAN Loss,Class Loss,Discriminator Accuracy: Real,"
            "Discriminator Accuracy: Fake,Class Accuracy");
  EXPECT_EQ(gan::metrics_csv({}), gan::metrics_csv_header() + "\n");
}

TEST(ArtifactsCsv, LineFormat) {
  BatchRow r;
  r.epoch = 3; r.epochs = 100; r.batch = 17; r.batches = 468;
  r.d_loss_real = 0.693147182f; r.d_loss_fake = 1234567.0f; r.g_loss = 2.5e-7f; r.class_loss = 0;
  r.d_acc_real = 0.5f; r.d_acc_fake = 1; r.class_acc = std::nanf(""); r.seconds = 0.0123456789f;
  // No seconds column: timing would make two runs of the same seed differ.
  EXPECT_EQ(gan::metrics_csv_line(r), "3,100,17,468,0.693147,1.23457e+06,2.5e-07,0,0.5,1,nan");
}

TEST(ArtifactsCsv, RoundTrip) {
  std::vector<BatchRow> rows;
  for (int e = 1; e <= 3; ++e)
    for (int b = 1; b <= 5; ++b) {
      BatchRow r;
      r.epoch = e; r.epochs = 3; r.batch = b; r.batches = 5;
      r.step = (e - 1) * 5 + b;
      float t = 0.37f * (float)r.step;
      r.d_loss_real = std::sin(t) + 1.5f; r.d_loss_fake = std::cos(t) + 1.1f; r.g_loss = 3.14159f * t;
      r.class_loss = 1e-9f * t; r.d_acc_real = 0.25f; r.d_acc_fake = 0.75f; r.class_acc = 1.0f / (float)b;
      r.seconds = 0.001f * t;
      rows.push_back(r);
    }
  rows[4].g_loss = std::nanf("");
  rows[5].d_loss_real = -INFINITY;
  auto back = gan::parse_metrics_csv(gan::metrics_csv(rows), "metrics.csv");
  ASSERT_EQ(back.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const BatchRow &a = rows[i], &b = back[i];
    EXPECT_EQ(a.epoch, b.epoch); EXPECT_EQ(a.epochs, b.epochs);
    EXPECT_EQ(a.batch, b.batch); EXPECT_EQ(a.batches, b.batches);
    EXPECT_EQ(a.step, b.step);
    const float av[] = {a.d_loss_real, a.d_loss_fake, a.g_loss, a.class_loss, a.d_acc_real, a.d_acc_fake, a.class_acc};
    const float bv[] = {b.d_loss_real, b.d_loss_fake, b.g_loss, b.class_loss, b.d_acc_real, b.d_acc_fake, b.class_acc};
    for (int k = 0; k < 7; ++k) {
      if (std::isnan(av[k])) { EXPECT_TRUE(std::isnan(bv[k])) << i << "," << k; continue; }
      if (std::isinf(av[k])) { EXPECT_EQ(av[k], bv[k]) << i << "," << k; continue; }
      EXPECT_NEAR(av[k], bv[k], 5e-6 * std::fabs(av[k])) << "row " << i << " col " << k;
    }
  }
}

// A row's epoch, epochs, batch, batches and step.
using Counters = std::array<int64_t, 5>;
static Counters counters(const BatchRow& r) { return {r.epoch, r.epochs, r.batch, r.batches, r.step}; }

TEST(ArtifactsCsv, ReadsReferenceSevenColumnFile) {
  const std::string ref =
      "Epoch,Epochs,Mini-Batch,Mini-Batches,Discriminator Loss: Real,Discriminator Loss: Fake,GAN Loss\n"
      "1,100,1,468,0.7012,0.6931,0.7123\n"
      "1,100,2,468,0.65,0.72,0.80\n";
  auto rows = gan::parse_metrics_csv(ref, "eval/run/epoch/10/metrics.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(counters(rows[1]), (Counters{1, 100, 2, 468, 2}));
  EXPECT_FLOAT_EQ(rows[0].d_loss_real, 0.7012f);
  EXPECT_FLOAT_EQ(rows[0].d_loss_fake, 0.6931f);
  EXPECT_FLOAT_EQ(rows[0].g_loss, 0.7123f);
  EXPECT_TRUE(std::isnan(rows[0].class_loss));
  EXPECT_TRUE(std::isnan(rows[0].d_acc_real));
  EXPECT_TRUE(std::isnan(rows[0].class_acc));
  EXPECT_TRUE(std::isnan(rows[0].seconds));
}

TEST(ArtifactsCsv, ReadsPandasStyleExport) {
  // An unnamed index column, quoted names, CRLF, a BOM, reordered columns, integer columns as
  // floats, an unknown column, a blank line at the end.
  const std::string text =
      "\xEF\xBB\xBF,\"Mini-Batch\",Epoch,\"GAN Loss\",Notes,Mini-Batches,Epochs\r\n"
      "0,3.0,2,\"1.5\",\"a, \"\"quoted\"\"\nnote\",10,4\r\n"
      "\r\n";
  auto rows = gan::parse_metrics_csv(text, "m.csv");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(counters(rows[0]), (Counters{2, 4, 3, 10, 13}));
  EXPECT_FLOAT_EQ(rows[0].g_loss, 1.5f);
  EXPECT_TRUE(std::isnan(rows[0].d_loss_real));
}

static std::string csv_error(const std::string& text) {
  std::string what = "(no error)";
  try { gan::parse_metrics_csv(text, "run/epoch/10/metrics.csv"); } catch (const std::runtime_error& e) { what = e.what(); }
  return what;
}

TEST(ArtifactsCsv, ErrorsNameFileAndLine) {
  const std::string h = gan::metrics_csv_header() + "\n";
  std::string good = "1,1,1,1,1,1,1,1,1,1,1\n";
  EXPECT_EQ(csv_error(h + good + "1,1,1\n"),
            "run/epoch/10/metrics.csv:3: expected 11 fields like the header, found 3");
  EXPECT_EQ(csv_error(h + good + good + "1,1,1,1,abc,1,1,1,1,1,1\n"),
            "run/epoch/10/metrics.csv:4: column \"Discriminator Loss: Real\": \"abc\" is not a number");
  EXPECT_NE(csv_error(h + "1.5,1,1,1,1,1,1,1,1,1,1\n").find("metrics.csv:2: column \"Epoch\""), std::string::npos);
  EXPECT_NE(csv_error(h + "-1,1,1,1,1,1,1,1,1,1,1\n").find(":2:"), std::string::npos);
  EXPECT_NE(csv_error("").find("metrics.csv:1: empty file"), std::string::npos);
  EXPECT_NE(csv_error("a,b,c\n1,2,3\n").find("metrics.csv:1: no \"Epoch\" column"), std::string::npos);
  EXPECT_NE(csv_error(h + "\"1,1\n").find("unterminated quoted field"), std::string::npos);
}
