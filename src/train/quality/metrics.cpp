#include "metrics.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>

#include "../../ref/ops.h"
#include "../../splitmix.h"
#include "frechet.h"
#include "precision_recall.h"

namespace gan {
namespace quality {

namespace {
constexpr int kNeighbours = 3;  // Kynkäänniemi et al.'s default

Json num(double x) { return std::isfinite(x) ? Json(x) : Json(); }
double read(const Json& j, const char* key) {
  const Json* v = j.find(key);
  return v && v->is_number() ? v->as_double() : NAN;
}

// The rows of `x` (d columns) whose label is c.
std::vector<float> rows_of(const std::vector<float>& x, const std::vector<int32_t>& labels, int c, int d, int* n) {
  std::vector<float> out;
  *n = 0;
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] == c) {
      out.insert(out.end(), x.begin() + i * d, x.begin() + (i + 1) * d);
      ++*n;
    }
  return out;
}
}  // namespace

QualityProbe::QualityProbe(Evaluator& ev, const Dataset& real, int samples, int num_classes, bool conditional,
                           int latent_dim, uint64_t seed)
    : ev_(ev), n_(std::min(samples, real.n)), classes_(std::max(1, num_classes)), latent_(latent_dim),
      conditional_(conditional) {
  if (n_ < kNeighbours + 1)
    throw std::invalid_argument("quality metrics: need more than " + std::to_string(kNeighbours) +
                                " held-out images (have " + std::to_string(real.n) + ")");
  // A fixed sample of the held-out images: the first n of a seeded permutation.
  std::vector<int32_t> perm(real.n);
  std::iota(perm.begin(), perm.end(), 0);
  SplitMix rng{seed * 0x9E3779B97F4A7C15ULL + 0x7175616cULL /*"qual"*/};
  for (int i = 0; i < n_; ++i) std::swap(perm[i], perm[i + rng.below((uint32_t)(real.n - i))]);
  const int64_t per = (int64_t)real.c * real.h * real.w;
  std::vector<float> imgs((size_t)n_ * per);
  real_labels_.resize(n_);
  for (int i = 0; i < n_; ++i) {
    std::copy(real.images.begin() + perm[i] * per, real.images.begin() + (perm[i] + 1) * per, imgs.begin() + i * per);
    real_labels_[i] = real.labels[perm[i]];
  }
  ev_.embed(imgs.data(), n_, &real_features_, nullptr);
  noise_.resize((size_t)n_ * latent_);
  ref::randn(noise_.data(), (int64_t)noise_.size(), 0.0f, 1.0f, seed ^ 0x7175616c6974ULL, 0);
  labels_.resize(n_);
  for (int i = 0; i < n_; ++i) labels_[i] = i % classes_;  // uniform over the classes
}

QualityMetrics QualityProbe::measure(const GenerateFn& generate, int chunk) {
  auto t0 = std::chrono::steady_clock::now();
  const int d = Evaluator::kFeatures;
  std::vector<float> feats((size_t)n_ * d), f;
  std::vector<int> pred(n_), p;
  for (int at = 0; at < n_; at += chunk) {
    const int m = std::min(chunk, n_ - at);
    std::vector<float> z(noise_.begin() + (size_t)at * latent_, noise_.begin() + (size_t)(at + m) * latent_);
    std::vector<int32_t> y(labels_.begin() + at, labels_.begin() + at + m);
    std::vector<float> imgs = generate(z, y);
    ev_.embed(imgs.data(), m, &f, &p);
    std::copy(f.begin(), f.end(), feats.begin() + (size_t)at * d);
    std::copy(p.begin(), p.end(), pred.begin() + at);
  }
  QualityMetrics q;
  q.samples = n_;
  q.fd = frechet_distance(fit_gaussian(real_features_.data(), n_, d), fit_gaussian(feats.data(), n_, d));
  PrecisionRecall pr = precision_recall(real_features_.data(), n_, feats.data(), n_, d, kNeighbours);
  q.precision = pr.precision;
  q.recall = pr.recall;
  if (conditional_) {
    int agree = 0;
    for (int i = 0; i < n_; ++i) agree += pred[i] == labels_[i];
    q.class_agreement = (double)agree / n_;
    for (int c = 0; c < classes_; ++c) {
      int nr = 0, nf = 0;
      std::vector<float> r = rows_of(real_features_, real_labels_, c, d, &nr), g = rows_of(feats, labels_, c, d, &nf);
      q.per_class_fd.push_back(nr >= 2 && nf >= 2 ? frechet_distance(fit_gaussian(r.data(), nr, d), fit_gaussian(g.data(), nf, d))
                                                  : NAN);
    }
  }
  q.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return q;
}

void add_quality_keys(Json* s, const QualityMetrics& q, double evaluator_accuracy) {
  s->set("Frechet Distance", num(q.fd));
  s->set("Class Agreement", num(q.class_agreement));
  Json pc = Json::array();
  for (double x : q.per_class_fd) pc.push(num(x));
  s->set("Per-Class Frechet Distance", q.per_class_fd.empty() ? Json() : pc);
  s->set("Precision", num(q.precision));
  s->set("Recall", num(q.recall));
  s->set("Quality Samples", q.samples);
  s->set("Evaluator Accuracy", num(evaluator_accuracy));
  s->set("Quality Seconds", num(q.seconds));
}

Json quality_json(const QualityMetrics& q, double evaluator_accuracy) {
  Json j = Json::object();
  add_quality_keys(&j, q, evaluator_accuracy);
  return j;
}

bool quality_from_summary(const Json& s, QualityMetrics* q) {
  q->fd = read(s, "Frechet Distance");
  q->class_agreement = read(s, "Class Agreement");
  q->precision = read(s, "Precision");
  q->recall = read(s, "Recall");
  q->seconds = read(s, "Quality Seconds");
  const Json* n = s.find("Quality Samples");
  q->samples = n && n->is_number() ? (int)n->as_double() : 0;
  q->per_class_fd.clear();
  if (const Json* pc = s.find("Per-Class Frechet Distance"); pc && pc->is_array())
    for (const Json& x : pc->items()) q->per_class_fd.push_back(x.is_number() ? x.as_double() : NAN);
  if (const Json* e = s.find("Epoch"); e && e->is_number()) q->epoch = (int)e->as_double();
  return std::isfinite(q->fd);
}

Json update_best(const Json* previous, const QualityMetrics& q, double evaluator_accuracy) {
  struct Entry {
    int epoch;
    double fd, agreement;
    Json metrics;
  };
  std::vector<Entry> all;
  if (previous)
    if (const Json* list = previous->find("evaluation_epochs"); list && list->is_array())
      for (const Json& e : list->items()) {
        const Json* ep = e.find("epoch");
        if (!ep || !ep->is_number() || (int)ep->as_double() >= q.epoch) continue;
        const Json* m = e.find("metrics");
        all.push_back({(int)ep->as_double(), read(e, "fd"), read(e, "class_agreement"), m ? *m : Json::object()});
      }
  all.push_back({q.epoch, q.fd, q.class_agreement, quality_json(q, evaluator_accuracy)});
  std::sort(all.begin(), all.end(), [](const Entry& a, const Entry& b) { return a.epoch < b.epoch; });
  // Lowest FD; among equal FDs the higher class agreement; then the earlier epoch.
  auto better = [](const Entry& a, const Entry& b) {
    const bool fa = std::isfinite(a.fd), fb = std::isfinite(b.fd);
    if (fa != fb) return fa;
    if (a.fd != b.fd) return a.fd < b.fd;
    const double ga = std::isfinite(a.agreement) ? a.agreement : -1, gb = std::isfinite(b.agreement) ? b.agreement : -1;
    if (ga != gb) return ga > gb;
    return a.epoch < b.epoch;
  };
  const Entry* best = &all[0];
  int ties = 0;
  for (const Entry& e : all)
    if (better(e, *best)) best = &e;
  for (const Entry& e : all) ties += &e != best && e.fd == best->fd;
  char why[320];
  if (all.size() == 1)
    snprintf(why, sizeof why, "the only evaluation epoch so far (Fréchet distance %.4g)", best->fd);
  else if (ties)
    snprintf(why, sizeof why,
             "lowest Fréchet distance (%.4g) of %zu evaluation epochs, shared with %d other(s); its class agreement "
             "(%.3f) breaks the tie",
             best->fd, all.size(), ties, best->agreement);
  else {
    double second = NAN;
    for (const Entry& e : all)
      if (&e != best && std::isfinite(e.fd) && !(second <= e.fd)) second = e.fd;
    snprintf(why, sizeof why, "lowest Fréchet distance (%.4g) of %zu evaluation epochs; the next lowest is %.4g", best->fd,
             all.size(), second);
  }
  Json j = Json::object();
  j.set("epoch", best->epoch);
  j.set("metrics", best->metrics);
  j.set("why", std::string(why));
  j.set("generator", "epoch/" + std::to_string(best->epoch) + "/generator.safetensors");
  Json list = Json::array();
  for (const Entry& e : all) {
    Json x = Json::object();
    x.set("epoch", e.epoch);
    x.set("fd", num(e.fd));
    x.set("class_agreement", num(e.agreement));
    x.set("metrics", e.metrics);
    list.push(x);
  }
  j.set("evaluation_epochs", list);
  return j;
}

}  // namespace quality
}  // namespace gan
