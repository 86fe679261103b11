// loss_accuracy.svg: well-formed standalone SVG (tags balance, xmlns), one line per series, size
// bounded at 50,000 rows, spikes survive the downsampling, non-finite values break lines.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

#include "train/artifacts/svg_chart.h"

using gan::BatchRow;

namespace {

// A minimal XML check: every start tag is closed in order, attributes are quoted, text holds no
// raw '<' or stray '&'. Returns "" when well-formed, else what is wrong.
std::string xml_problem(const std::string& s, std::string* root) {
  std::vector<std::string> stack;
  size_t p = 0;
  while (p < s.size()) {
    if (s[p] != '<') {
      if (s[p] == '&') {
        size_t semi = s.find(';', p);
        std::string ent = s.substr(p, semi == std::string::npos ? 8 : semi - p + 1);
        if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;" && ent != "&apos;")
          return "bad entity " + ent;
      }
      ++p;
      continue;
    }
    if (s.compare(p, 2, "<?") == 0) { p = s.find("?>", p); if (p == std::string::npos) return "open <?"; p += 2; continue; }
    size_t end = p + 1;
    char quote = 0;
    for (; end < s.size(); ++end) {  // find the tag's '>' outside quotes
      if (quote) { if (s[end] == quote) quote = 0; else if (s[end] == '<') return "'<' in attribute"; }
      else if (s[end] == '"' || s[end] == '\'') quote = s[end];
      else if (s[end] == '>') break;
    }
    if (end >= s.size()) return "unterminated tag";
    std::string tag = s.substr(p + 1, end - p - 1);
    p = end + 1;
    if (tag.empty()) return "empty tag";
    if (tag[0] == '/') {
      std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) return "</" + name + "> closes " + (stack.empty() ? "nothing" : stack.back());
      stack.pop_back();
      continue;
    }
    bool self_closing = tag.back() == '/';
    std::string name = tag.substr(0, tag.find_first_of(" \t\n/"));
    if (root && root->empty()) *root = tag;
    if (!self_closing) stack.push_back(name);
  }
  if (!stack.empty()) return "<" + stack.back() + "> never closed";
  return "";
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

std::vector<BatchRow> make_rows(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<BatchRow> rows(n);
  for (int i = 0; i < n; ++i) {
    BatchRow& r = rows[i];
    r.epoch = i / 468 + 1; r.batch = i % 468 + 1; r.batches = 468; r.epochs = 100;
    r.step = i + 1;
    r.d_loss_real = 0.7f + 0.3f * u(rng); r.d_loss_fake = 0.6f + 0.4f * u(rng);
    r.g_loss = 1.0f + u(rng); r.class_loss = 2.3f * std::exp(-i / 1000.0f) + 0.1f * u(rng);
    r.d_acc_real = u(rng); r.d_acc_fake = u(rng); r.class_acc = std::min(1.0f, i / 5000.0f);
    r.seconds = 0.01f;
  }
  return rows;
}

}  // namespace

TEST(ArtifactsSvg, WellFormedWithOneLinePerSeries) {
  gan::SvgChartOptions opt;
  opt.title = "run <20260101T000000Z> & \"friends\"";
  std::string svg = gan::loss_accuracy_svg(make_rows(100, 1), opt);
  std::string root;
  EXPECT_EQ(xml_problem(svg, &root), "") << svg.substr(0, 2000);
  EXPECT_EQ(root.rfind("svg ", 0), 0u) << root;
  EXPECT_NE(root.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline"), 7u);
  EXPECT_NE(svg.find("run &lt;20260101T000000Z&gt; &amp; &quot;friends&quot;"), std::string::npos);
  for (const char* label : {"D loss real", "D loss fake", "G loss", "class loss", "D acc real", "D acc fake", "class acc", "mini-batch"})
    EXPECT_NE(svg.find(label), std::string::npos) << label;
}

TEST(ArtifactsSvg, FiftyThousandRowsStaySmall) {
  std::string svg = gan::loss_accuracy_svg(make_rows(50000, 2));
  EXPECT_LT(svg.size(), 300u * 1024) << svg.size();
  EXPECT_EQ(xml_problem(svg, nullptr), "");
  EXPECT_EQ(count(svg, "<polyline"), 7u);
  EXPECT_NE(svg.find(">50000<"), std::string::npos) << "x axis should reach the last mini-batch";
}

TEST(ArtifactsSvg, SpikeSurvivesDownsampling) {
  std::vector<BatchRow> rows(50000);
  for (int i = 0; i < 50000; ++i) {
    rows[i].step = i + 1;
    rows[i].d_loss_real = rows[i].d_loss_fake = rows[i].g_loss = rows[i].class_loss = 1.0f;
    rows[i].d_acc_real = rows[i].d_acc_fake = rows[i].class_acc = 0.5f;
  }
  rows[31337].d_loss_real = 10.0f;  // one mini-batch in 50,000
  std::string svg = gan::loss_accuracy_svg(rows);
  // The first polyline is D loss real; its smallest y is the top of the loss panel (the axis
  // ends at the nice tick 10, which the spike reaches).
  size_t p = svg.find("points=\"", svg.find("<polyline")) + 8;
  std::istringstream pts(svg.substr(p, svg.find('"', p) - p));
  double ymin = 1e9, x, y;
  char comma;
  while (pts >> x >> comma >> y) ymin = std::min(ymin, y);
  EXPECT_EQ(ymin, 32.0) << "spike lost: highest point at y=" << ymin;
}

TEST(ArtifactsSvg, NonFiniteValuesBreakTheLine) {
  auto rows = make_rows(300, 3);
  rows[100].g_loss = std::nanf("");
  rows[200].g_loss = INFINITY;
  std::string svg = gan::loss_accuracy_svg(rows);
  EXPECT_EQ(xml_problem(svg, nullptr), "");
  EXPECT_EQ(count(svg, "stroke=\"#2ca02c\" stroke-width=\"1.2\""), 3u);  // G loss in 3 pieces
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(ArtifactsSvg, EmptyAndSingleRow) {
  std::string empty = gan::loss_accuracy_svg({});
  EXPECT_EQ(xml_problem(empty, nullptr), "");
  EXPECT_NE(empty.find("no mini-batches yet"), std::string::npos);
  EXPECT_EQ(count(empty, "<polyline"), 0u);
  std::string one = gan::loss_accuracy_svg(make_rows(1, 4));
  EXPECT_EQ(xml_problem(one, nullptr), "");
  EXPECT_EQ(count(one, "<circle"), 7u);  // a lone point per series
}
