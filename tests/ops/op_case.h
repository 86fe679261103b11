// One op test case and the machinery that runs it, in the manner of ggml's test-backend-ops: a
// case names one op (or a forward/backward pair) at one shape and builds its buffers; the same
// definition is then
//   - checked on the CPU against central finite differences of L = Σ r·out (check_gradients),
//   - run on CUDA and on the CPU reference and compared buffer by buffer (compare_backends),
//   - timed by ./bench's kernel section (benchmarks/kernels.cpp).
// The cases themselves are in tests/ops/cases.h.
//
// Buffers live on the backend (Ops::alloc) between guard regions holding a byte pattern; outputs
// start poisoned (NaN for floats, 0xFF bytes), accumulating gradients start from random values,
// so every run also proves that each output element is written, that nothing outside a buffer
// is, and that parameter gradients accumulate (+=).
#pragma once
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "src/ops.h"

namespace gan::opcases {

// |got − want| ≤ abs + of_max·max|want| + rel·|want|, element by element (max_of ≥ 0: of_max
// scales the largest magnitude of that other buffer's reference instead, for a result whose
// true value is zero and whose rounding follows another one's scale).
struct Tol {
  double abs = 0, rel = 0, of_max = 0;
  int max_of = -1;
};
const Tol kExact{};

enum class Type { F32, I32, U8 };
enum class Role {
  In,     // read by the op
  Out,    // written by the op (starts poisoned)
  Acc,    // a parameter gradient: starts from its values, the op adds to it
  InOut,  // starts from its values, the op updates it (running statistics, Adam's state)
};

struct Buf {
  std::string name;
  Type type = Type::F32;
  Role role = Role::In;
  size_t n = 0;
  std::vector<float> f;      // initial values (F32; empty for Out)
  std::vector<int32_t> i32;  // initial values (I32)
  Tol tol;                   // CUDA against the CPU (outputs)
  size_t skip = 0;           // Out: leading elements the op leaves alone (a misaligned start)
  size_t elem() const { return type == Type::U8 ? 1 : 4; }
  size_t bytes() const { return n * elem(); }
};

// Pointers to a case's buffers on one backend; index -1 is a null pointer.
class Ptrs {
 public:
  explicit Ptrs(std::vector<void*> p) : p_(std::move(p)) {}
  float* f(int i) const { return static_cast<float*>(at(i)); }
  int32_t* i(int i) const { return static_cast<int32_t*>(at(i)); }
  uint8_t* u8(int i) const { return static_cast<uint8_t*>(at(i)); }

 private:
  void* at(int i) const { return i < 0 ? nullptr : p_.at(i); }
  std::vector<void*> p_;
};
using Call = std::function<void(Ops&, const Ptrs&)>;

// An input checked by finite differences, the buffer holding its gradient, and the step: large
// for ops linear in that input (exact but for rounding), small for smooth nonlinear ones.
struct Grad {
  int x, g;
  float h = 0.05f;
};
constexpr float kStepLinear = 0.05f, kStepSmooth = 5e-3f;

// A term of the finite-difference loss: Σ weight[j]·out[j] (weight a buffer), or scale·out[0].
struct LossTerm {
  int out, weight = -1;
  double scale = 1.0;
};

enum Use : unsigned { kTest = 1, kPerf = 2 };

struct Case {
  std::string op, shape;
  std::vector<Buf> bufs;
  uint64_t step = 0;  // the backends' step counter while the case runs
  Call forward, backward;
  // Finite differences (empty: the op has no gradient to check): the loss and, for each input
  // checked, the buffer that holds its gradient after forward + backward.
  std::vector<LossTerm> loss;
  std::vector<Grad> grads;
  Tol fd_tol{2e-3, 1e-2, 0};
  unsigned use = kTest;
  double bytes_forward = 0, bytes_backward = 0;  // the fewest bytes each pass must move (./bench)

  std::string title() const { return op + " " + shape; }
};

// ---- building cases ----

inline std::vector<float> randu(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}
inline std::vector<int32_t> randi(size_t n, uint32_t seed, int high) {
  std::mt19937 g(seed);
  std::uniform_int_distribution<int> d(0, high - 1);
  std::vector<int32_t> v(n);
  for (auto& x : v) x = d(g);
  return v;
}
// Values in ±[lo, hi]: keeps finite differences of piecewise ops away from their kinks.
inline std::vector<float> away_from_zero(size_t n, uint32_t seed, float lo = 0.1f, float hi = 1.0f) {
  std::vector<float> v = randu(n, seed, lo, hi);
  std::mt19937 g(seed + 1);
  for (auto& x : v)
    if (g() & 1) x = -x;
  return v;
}

// Adds buffers to a case and returns their indices.
class Builder {
 public:
  Builder(std::string op, std::string shape) {
    c_.op = std::move(op);
    c_.shape = std::move(shape);
  }
  int in(const std::string& name, std::vector<float> v) { return add(name, Type::F32, Role::In, std::move(v), {}); }
  int in_i32(const std::string& name, std::vector<int32_t> v) {
    Buf b;
    b.name = name;
    b.type = Type::I32;
    b.n = v.size();
    b.i32 = std::move(v);
    c_.bufs.push_back(std::move(b));
    return (int)c_.bufs.size() - 1;
  }
  int out(const std::string& name, size_t n, Tol tol = kExact, Type type = Type::F32) {
    Buf b;
    b.name = name;
    b.type = type;
    b.role = Role::Out;
    b.n = n;
    b.tol = tol;
    c_.bufs.push_back(std::move(b));
    return (int)c_.bufs.size() - 1;
  }
  int acc(const std::string& name, std::vector<float> v, Tol tol = kExact) {
    return add(name, Type::F32, Role::Acc, std::move(v), tol);
  }
  int inout(const std::string& name, std::vector<float> v, Tol tol = kExact) {
    return add(name, Type::F32, Role::InOut, std::move(v), tol);
  }
  Case& c() { return c_; }
  Case take() { return std::move(c_); }

 private:
  int add(const std::string& name, Type t, Role r, std::vector<float> v, Tol tol) {
    Buf b;
    b.name = name;
    b.type = t;
    b.role = r;
    b.n = v.size();
    b.f = std::move(v);
    b.tol = tol;
    c_.bufs.push_back(std::move(b));
    return (int)c_.bufs.size() - 1;
  }
  Case c_;
};

// ---- a case's buffers on one backend ----

class Bound {
 public:
  static constexpr size_t kGuard = 64;  // bytes each side
  static constexpr uint8_t kGuardByte = 0x5A;

  // Allocates and fills every buffer; outputs are filled with `poison` bytes (0xFF: NaN floats).
  Bound(Ops& ops, const Case& c, uint8_t poison = 0xFF) : ops_(ops), c_(c) {
    std::vector<void*> ptrs;
    for (const Buf& b : c.bufs) {
      bufs_.push_back(ops.alloc(b.bytes() + 2 * kGuard));
      std::vector<uint8_t> all(b.bytes() + 2 * kGuard, kGuardByte);
      uint8_t* data = all.data() + kGuard;
      const void* from = b.type == Type::I32 ? (const void*)b.i32.data() : (const void*)b.f.data();
      if (b.role == Role::Out) std::memset(data, poison, b.bytes());
      else if (b.bytes() > 0) std::memcpy(data, from, b.bytes());  // an empty input has no source (null)
      ops.copy_to_device(bufs_.back()->data(), all.data(), all.size());
      ptrs.push_back(static_cast<uint8_t*>(bufs_.back()->data()) + kGuard);
    }
    ptrs_ = std::make_unique<Ptrs>(ptrs);
    raw_ = std::move(ptrs);
  }
  const Ptrs& ptrs() const { return *ptrs_; }
  void run_forward() {
    ops_.set_step(c_.step);
    c_.forward(ops_, *ptrs_);
  }
  void run_backward() {
    ops_.set_step(c_.step);
    if (c_.backward) c_.backward(ops_, *ptrs_);
  }
  // Buffer i as floats (ints and bytes converted exactly); `guards_ok` says whether its guard
  // regions are intact.
  std::vector<float> read(int i, bool* guards_ok = nullptr) {
    const Buf& b = c_.bufs[i];
    std::vector<uint8_t> all(b.bytes() + 2 * kGuard);
    ops_.copy_to_host(all.data(), bufs_[i]->data(), all.size());
    if (guards_ok) {
      *guards_ok = true;
      for (size_t k = 0; k < kGuard; ++k)
        if (all[k] != kGuardByte || all[kGuard + b.bytes() + k] != kGuardByte) *guards_ok = false;
    }
    std::vector<float> v(b.n);
    const uint8_t* d = all.data() + kGuard;
    for (size_t k = 0; k < b.n; ++k) {
      if (b.type == Type::U8) {
        v[k] = d[k];
      } else if (b.type == Type::I32) {
        int32_t x;
        std::memcpy(&x, d + 4 * k, 4);
        v[k] = (float)x;
      } else {
        std::memcpy(&v[k], d + 4 * k, 4);
      }
    }
    return v;
  }
  void write_element(int i, size_t k, float value) {
    ops_.copy_to_device(static_cast<float*>(raw_[i]) + k, &value, sizeof value);
  }

 private:
  Ops& ops_;
  const Case& c_;
  std::vector<std::unique_ptr<Buffer>> bufs_;
  std::vector<void*> raw_;
  std::unique_ptr<Ptrs> ptrs_;
};

// ---- comparisons ----

// Empty when got matches want within tol; otherwise says how (worst element, count).
inline double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, (double)std::fabs(x));
  return m;
}
// `scale_ref`: the reference buffer tol.max_of names (null: want itself).
inline std::string mismatch(const std::string& what, const std::vector<float>& got,
                            const std::vector<float>& want, Tol tol,
                            const std::vector<float>* scale_ref = nullptr) {
  if (got.size() != want.size()) return what + ": size " + std::to_string(got.size()) + " vs " + std::to_string(want.size());
  const double m = max_abs(scale_ref ? *scale_ref : want);
  size_t bad = 0, worst = 0, unwritten = 0;
  double worst_excess = -1e300;
  for (size_t i = 0; i < got.size(); ++i) {
    const double a = got[i], b = want[i];
    if (std::isnan(a) && !std::isnan(b)) ++unwritten;
    const double excess = std::isnan(a) != std::isnan(b) ? 1e300
                          : std::isnan(a)                ? -1e300
                          : std::fabs(a - b) - (tol.abs + tol.of_max * m + tol.rel * std::fabs(b));
    if (excess > 0) ++bad;
    if (excess > worst_excess) {
      worst_excess = excess;
      worst = i;
    }
  }
  if (!bad) return "";
  std::ostringstream os;
  os.precision(9);
  os << what << ": " << bad << " of " << got.size() << " elements out of tolerance (abs " << tol.abs << ", rel "
     << tol.rel << ", of max " << tol.of_max << ")";
  if (unwritten) os << ", " << unwritten << " never written (NaN)";
  os << "; worst [" << worst << "]: " << got[worst] << " vs " << want[worst];
  return os.str();
}

// Reads buffer i of a run, adding a failure when its guards are damaged.
inline std::vector<float> read_checked(Bound& run, const Buf& b, int i, std::vector<std::string>& fails) {
  bool guards = true;
  auto v = run.read(i, &guards);
  if (!guards) fails.push_back(b.name + ": write outside the buffer (guard damaged)");
  return v;
}

// Runs the case on `test` and on `reference` (the CPU backend) and compares every buffer the op
// writes. Returns the failures, one line each (empty: all agree).
inline std::vector<std::string> compare_backends(Ops& test, Ops& reference, const Case& c) {
  std::vector<std::string> fails;
  Bound want(reference, c), got(test, c);
  want.run_forward();
  want.run_backward();
  // Two poisons for byte outputs: a skipped byte equal to one poison shows with the other.
  bool has_u8 = false;
  for (const Buf& b : c.bufs) has_u8 |= b.role == Role::Out && b.type == Type::U8;
  for (uint8_t poison : has_u8 ? std::vector<uint8_t>{0xFF, 0x00} : std::vector<uint8_t>{0xFF}) {
    Bound g(test, c, poison);
    g.run_forward();
    g.run_backward();
    for (size_t i = 0; i < c.bufs.size(); ++i) {
      const Buf& b = c.bufs[i];
      if (b.role == Role::In) continue;
      const auto v = read_checked(g, b, (int)i, fails);
      const auto scale = b.tol.max_of >= 0 ? want.read(b.tol.max_of) : std::vector<float>{};
      const std::string m = mismatch(b.name, v, want.read((int)i), b.tol, b.tol.max_of >= 0 ? &scale : nullptr);
      if (!m.empty()) fails.push_back(m);
    }
  }
  return fails;
}

// Finite differences run the forward twice per perturbed element: cases with more elements to
// perturb than this are checked against the other backend only.
constexpr size_t kFdMaxElements = 4096;
inline size_t fd_elements(const Case& c) {
  size_t n = 0;
  for (const Grad& g : c.grads) n += c.bufs[g.x].n;
  return n;
}

// On the CPU backend: runs forward + backward, checks every output is written (finite) inside its
// guards, then compares each gradient (for Acc buffers, the increment over the starting values)
// with central differences of the case's loss. Returns the failures (empty: all agree).
inline std::vector<std::string> check_gradients(Ops& cpu, const Case& c) {
  std::vector<std::string> fails;
  Bound run(cpu, c);
  run.run_forward();
  run.run_backward();
  std::vector<std::vector<float>> analytic;
  for (size_t i = 0; i < c.bufs.size(); ++i) {
    const Buf& b = c.bufs[i];
    if (b.role == Role::In) continue;
    const auto v = read_checked(run, b, (int)i, fails);
    if (b.role == Role::Out && b.type == Type::F32)
      for (size_t k = b.skip; k < v.size(); ++k)
        if (!std::isfinite(v[k])) {
          fails.push_back(b.name + ": element " + std::to_string(k) + " not written (" + std::to_string(v[k]) + ")");
          break;
        }
  }
  for (const Grad& gr : c.grads) {
    auto g = run.read(gr.g);
    if (c.bufs[gr.g].role == Role::Acc)
      for (size_t k = 0; k < g.size(); ++k) g[k] -= c.bufs[gr.g].f[k];
    analytic.push_back(std::move(g));
  }
  // The loss on the current inputs: forward only.
  std::vector<std::vector<float>> weights;
  for (const LossTerm& t : c.loss) weights.push_back(t.weight >= 0 ? c.bufs[t.weight].f : std::vector<float>{});
  auto loss = [&] {
    run.run_forward();
    double s = 0;
    for (size_t k = 0; k < c.loss.size(); ++k) {
      const auto out = run.read(c.loss[k].out);
      if (c.loss[k].weight >= 0)
        for (size_t j = c.bufs[c.loss[k].out].skip; j < out.size(); ++j) s += (double)out[j] * weights[k][j];
      else
        s += c.loss[k].scale * out[0];
    }
    return s;
  };
  for (size_t gi = 0; gi < c.grads.size(); ++gi) {
    const Grad& gr = c.grads[gi];
    std::vector<float> xs = c.bufs[gr.x].f, numeric(xs.size());
    for (size_t k = 0; k < xs.size(); ++k) {
      run.write_element(gr.x, k, xs[k] + gr.h);
      const double lp = loss();
      run.write_element(gr.x, k, xs[k] - gr.h);
      const double lm = loss();
      run.write_element(gr.x, k, xs[k]);
      numeric[k] = (float)((lp - lm) / (2.0 * gr.h));
    }
    const size_t skip = c.bufs[gr.g].skip;  // a misaligned start: not the op's
    analytic[gi].erase(analytic[gi].begin(), analytic[gi].begin() + skip);
    numeric.erase(numeric.begin(), numeric.begin() + std::min(skip, numeric.size()));
    const std::string m = mismatch(c.bufs[gr.g].name + " (finite differences)", analytic[gi], numeric, c.fd_tol);
    if (!m.empty()) fails.push_back(m);
  }
  return fails;
}

// For parameterised tests over a list of cases: 0..n-1, and a test name from a case's title.
inline std::vector<size_t> indices(size_t n) {
  std::vector<size_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}
inline std::string test_name(size_t i, const Case& c) {
  std::string s = std::to_string(i) + "_" + c.title();
  for (char& ch : s)
    if (!std::isalnum((unsigned char)ch)) ch = '_';
  return s;
}

}  // namespace gan::opcases
