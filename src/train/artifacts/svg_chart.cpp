// The chart is drawn by hand (no plotting library in the core): two panels of polylines over a
// shared x axis. The idea that matters is the downsampling: per pixel column, each series keeps
// only its minimum and maximum, in the order they occurred. The line through them touches every
// pixel the full series would (spikes included), and its size is bounded by the width, not by
// the number of rows.
#include "train/artifacts/svg_chart.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>

#include "common/markup.h"

namespace gan {
namespace {

struct Series {
  const char* label;
  const char* color;
  std::function<float(const BatchRow&)> get;
};

struct Box {  // the plot area of one panel, in SVG pixels
  double x0, y0, x1, y1;
};

std::string fmt(double v, int decimals = 1) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  std::string s(buf, r.ptr);
  if (s.find('.') != std::string::npos) {  // 12.0 → 12, 12.50 → 12.5: smaller files
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string xml_escape(const std::string& s) {
  std::string text = s;
  for (char& c : text)  // XML 1.0 forbids most control characters, even escaped
    if ((unsigned char)c < 0x20 && c != '\t' && c != '\n' && c != '\r') c = ' ';
  return markup_escape(text);
}

// Tick positions at a "nice" step (1, 2 or 5 × 10^k) giving about `target` ticks over [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target, double* step_out) {
  double span = hi - lo;
  if (!(span > 0)) span = 1;
  double raw = span / std::max(1, target);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) { step = m * mag; break; }
  std::vector<double> t;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    t.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  if (step_out) *step_out = step;
  return t;
}

std::string tick_label(double v, double step) {
  int decimals = step >= 1 ? 0 : (int)std::ceil(-std::log10(step) - 1e-9);
  return fmt(v, std::min(decimals, 6));
}

// Emits one series as polylines: per pixel column, the min and max in the order they occurred;
// a non-finite value ends the current line.
void draw_series(std::string& out, const std::vector<BatchRow>& rows, const std::vector<double>& xs,
                 const Series& s, const Box& b, double xmin, double xmax, double ymin,
                 double ymax) {
  const double xscale = (b.x1 - b.x0) / (xmax - xmin);
  const double yscale = (b.y1 - b.y0) / (ymax - ymin);
  std::string pts;
  int npts = 0;
  auto end_line = [&]() {
    if (npts == 1) {  // a lone point draws nothing as a polyline; show it as a dot
      size_t sp = pts.find(',');
      out += "<circle cx=\"" + pts.substr(0, sp) + "\" cy=\"" + pts.substr(sp + 1) +
             "\" r=\"1.5\" fill=\"" + s.color + "\"/>\n";
    } else if (npts > 1) {
      out += "<polyline fill=\"none\" stroke=\"";
      out += s.color;
      out += "\" stroke-width=\"1.2\" stroke-linejoin=\"round\" points=\"" + pts + "\"/>\n";
    }
    pts.clear();
    npts = 0;
  };
  auto add = [&](double px, double v) {
    if (npts) pts += ' ';
    pts += fmt(px) + ',' + fmt(b.y1 - (v - ymin) * yscale);
    ++npts;
  };
  long col = -1;
  double mn = 0, mx = 0;
  size_t imn = 0, imx = 0;
  bool have = false;
  auto flush = [&]() {
    if (!have) return;
    double px = b.x0 + col + 0.5;
    if (mn == mx) add(px, mn);
    else if (imn < imx) { add(px, mn); add(px, mx); }
    else { add(px, mx); add(px, mn); }
    have = false;
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    double v = s.get(rows[i]);
    if (!std::isfinite(v)) {
      flush();
      end_line();
      continue;
    }
    long c = std::lround(std::floor((xs[i] - xmin) * xscale));
    c = std::clamp(c, 0L, std::max(0L, (long)(b.x1 - b.x0) - 1));
    if (have && c != col) flush();
    if (!have) {
      col = c;
      mn = mx = v;
      imn = imx = i;
      have = true;
    } else {
      if (v < mn) { mn = v; imn = i; }
      if (v > mx) { mx = v; imx = i; }
    }
  }
  flush();
  end_line();
}

void draw_panel(std::string& out, const std::vector<BatchRow>& rows, const std::vector<double>& xs,
                const std::vector<Series>& series, const Box& b, const char* title,
                const char* id, double xmin, double xmax, double ymin, double ymax) {
  // Title and legend in the strip above the plot area.
  out += "<text x=\"" + fmt(b.x0) + "\" y=\"" + fmt(b.y0 - 8) +
         "\" font-weight=\"bold\">" + title + "</text>\n";
  double lx = b.x1;
  for (auto it = series.rbegin(); it != series.rend(); ++it) {
    double w = 7.0 * std::string(it->label).size() + 26;
    lx -= w;
    out += "<line x1=\"" + fmt(lx) + "\" y1=\"" + fmt(b.y0 - 12) + "\" x2=\"" + fmt(lx + 16) +
           "\" y2=\"" + fmt(b.y0 - 12) + "\" stroke=\"" + it->color + "\" stroke-width=\"3\"/>";
    out += "<text x=\"" + fmt(lx + 20) + "\" y=\"" + fmt(b.y0 - 8) + "\">" + it->label +
           "</text>\n";
  }

  // Grid, ticks and labels.
  double ystep = 1, xstep = 1;
  out += "<g stroke=\"#e5e5e5\" stroke-width=\"1\">\n";
  std::string labels;
  for (double v : nice_ticks(ymin, ymax, 5, &ystep)) {
    double y = b.y1 - (v - ymin) * (b.y1 - b.y0) / (ymax - ymin);
    out += "<line x1=\"" + fmt(b.x0) + "\" y1=\"" + fmt(y) + "\" x2=\"" + fmt(b.x1) + "\" y2=\"" +
           fmt(y) + "\"/>\n";
    labels += "<text x=\"" + fmt(b.x0 - 6) + "\" y=\"" + fmt(y + 4) +
              "\" text-anchor=\"end\">" + tick_label(v, ystep) + "</text>\n";
  }
  for (double v : nice_ticks(xmin, xmax, 8, &xstep)) {
    double x = b.x0 + (v - xmin) * (b.x1 - b.x0) / (xmax - xmin);
    out += "<line x1=\"" + fmt(x) + "\" y1=\"" + fmt(b.y0) + "\" x2=\"" + fmt(x) + "\" y2=\"" +
           fmt(b.y1) + "\"/>\n";
    labels += "<text x=\"" + fmt(x) + "\" y=\"" + fmt(b.y1 + 16) +
              "\" text-anchor=\"middle\">" + tick_label(v, xstep) + "</text>\n";
  }
  out += "</g>\n<g fill=\"#333\">\n" + labels + "</g>\n";
  out += "<rect x=\"" + fmt(b.x0) + "\" y=\"" + fmt(b.y0) + "\" width=\"" + fmt(b.x1 - b.x0) +
         "\" height=\"" + fmt(b.y1 - b.y0) + "\" fill=\"none\" stroke=\"#888\"/>\n";
  out += "<text x=\"" + fmt((b.x0 + b.x1) / 2) + "\" y=\"" + fmt(b.y1 + 32) +
         "\" text-anchor=\"middle\" fill=\"#333\">mini-batch</text>\n";

  // Data, clipped to the plot area so an outlier cannot draw over the labels.
  out += "<clipPath id=\"" + std::string(id) + "\"><rect x=\"" + fmt(b.x0) + "\" y=\"" +
         fmt(b.y0) + "\" width=\"" + fmt(b.x1 - b.x0) + "\" height=\"" + fmt(b.y1 - b.y0) +
         "\"/></clipPath>\n";
  out += "<g clip-path=\"url(#" + std::string(id) + ")\">\n";
  if (rows.empty())
    out += "<text x=\"" + fmt((b.x0 + b.x1) / 2) + "\" y=\"" + fmt((b.y0 + b.y1) / 2) +
           "\" text-anchor=\"middle\" fill=\"#888\">no mini-batches yet</text>\n";
  for (const Series& s : series) draw_series(out, rows, xs, s, b, xmin, xmax, ymin, ymax);
  out += "</g>\n";
}

}  // namespace

std::string loss_accuracy_svg(const std::vector<BatchRow>& rows, const SvgChartOptions& opt) {
  const int width = std::max(opt.width, 200);
  const int ph = std::max(opt.panel_height, 120);
  const double left = 56, right = 16, strip = 28, below = 44;
  const double top = opt.title.empty() ? 4 : 30;
  const int height = (int)(top + 2 * (strip + ph + below));

  const std::vector<Series> losses = {
      {"D loss real", "#1f77b4", [](const BatchRow& r) { return r.d_loss_real; }},
      {"D loss fake", "#ff7f0e", [](const BatchRow& r) { return r.d_loss_fake; }},
      {"G loss", "#2ca02c", [](const BatchRow& r) { return r.g_loss; }},
      {"class loss", "#d62728", [](const BatchRow& r) { return r.class_loss; }}};
  const std::vector<Series> accs = {
      {"D acc real", "#1f77b4", [](const BatchRow& r) { return r.d_acc_real; }},
      {"D acc fake", "#ff7f0e", [](const BatchRow& r) { return r.d_acc_fake; }},
      {"class acc", "#d62728", [](const BatchRow& r) { return r.class_acc; }}};

  // x is the global mini-batch; rows without one (step 0) fall back to their position.
  std::vector<double> xs(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) xs[i] = rows[i].step > 0 ? (double)rows[i].step : (double)(i + 1);
  double xmin = 0, xmax = 1;
  if (!rows.empty()) {
    auto mm = std::minmax_element(xs.begin(), xs.end());
    xmin = *mm.first;
    xmax = *mm.second;
    if (xmax <= xmin) { xmin -= 0.5; xmax += 0.5; }
  }
  double lmin = 0, lmax = 0;  // losses are >= 0; the axis starts at 0 unless data says otherwise
  for (const BatchRow& r : rows)
    for (const Series& s : losses) {
      double v = s.get(r);
      if (std::isfinite(v)) { lmin = std::min(lmin, v); lmax = std::max(lmax, v); }
    }
  if (lmax <= lmin) lmax = lmin + 1;
  double lstep = 1;
  auto lt = nice_ticks(lmin, lmax, 5, &lstep);
  if (!lt.empty() && lt.back() < lmax) lmax = lt.back() + lstep;  // end on a tick
  if (!lt.empty() && lt.front() > lmin) lmin = lt.front() - lstep;

  std::string out;
  out.reserve(64 * 1024);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) +
         "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) +
         " " + std::to_string(height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  if (!opt.title.empty())
    out += "<text x=\"" + fmt(width / 2.0) + "\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">" +
           xml_escape(opt.title) + "</text>\n";
  Box lb{left, top + strip, width - right, top + strip + ph};
  draw_panel(out, rows, xs, losses, lb, "Loss", "clip-loss", xmin, xmax, lmin, lmax);
  double y2 = lb.y1 + below + strip;
  Box ab{left, y2, width - right, y2 + ph};
  draw_panel(out, rows, xs, accs, ab, "Accuracy", "clip-acc", xmin, xmax, 0, 1);
  out += "</svg>\n";
  return out;
}

}  // namespace gan
