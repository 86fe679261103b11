// Helpers for the CUDA-vs-CPU op tests: device buffers with guard regions, poisoning, fresh random
// inputs and a scale-free comparison that prints the worst element.
//
// Every output buffer is allocated with kGuard extra elements on each side holding a sentinel;
// the data region is poisoned (NaN for floats) before the op runs. After it, `finish` checks that
// the guards are intact (no out-of-bounds writes) and the comparison treats a NaN left in the
// output as "not written". Tolerance: |got − ref| ≤ atol + rtol·|ref| per element.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "src/ops.h"
#include "src/ref/ops.h"
#ifdef GAN_HAVE_CUDA
#include "kernels/ops.h"
#endif

namespace gan::gputest {

// Skips the test, with the reason, when no CUDA device is usable (or the build has no CUDA).
#define GAN_REQUIRE_CUDA(ops_var)                                     \
  std::unique_ptr<::gan::Ops> ops_var;                                \
  do {                                                                \
    std::string why_;                                                 \
    if (!::gan::cuda_available(&why_)) GTEST_SKIP() << why_;          \
    ops_var = ::gan::make_cuda_ops(0);                                \
  } while (0)

inline bool tf32_on() {
#ifdef GAN_HAVE_CUDA
  return cuda::tf32_enabled();
#else
  return false;
#endif
}
// The precision the CUDA backend starts in (GAN_PRECISION, or GAN_TF32=1; fp32 otherwise).
inline Precision test_precision() {
#ifdef GAN_HAVE_CUDA
  return cuda::precision();
#else
  return Precision::Fp32;
#endif
}

struct Tol {
  double atol, rtol;
};

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

inline double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, (double)std::fabs(x));
  return m;
}

template <class T>
T sentinel();
template <>
inline float sentinel<float>() { return -123456.75f; }
template <>
inline int32_t sentinel<int32_t>() { return -987654; }
template <>
inline uint8_t sentinel<uint8_t>() { return 0xA5; }

template <class T>
T poison_value();
template <>
inline float poison_value<float>() { return std::numeric_limits<float>::quiet_NaN(); }
template <>
inline int32_t poison_value<int32_t>() { return std::numeric_limits<int32_t>::min(); }
template <>
inline uint8_t poison_value<uint8_t>() { return 0xCD; }

// A device array of n elements between two guard regions.
template <class T>
class DevBuf {
 public:
  static constexpr size_t kGuard = 64;
  DevBuf(Ops& ops, size_t n) : ops_(ops), n_(n), buf_(ops.alloc((n + 2 * kGuard) * sizeof(T))) {
    std::vector<T> all(n + 2 * kGuard, sentinel<T>());
    ops_.copy_to_device(buf_->data(), all.data(), all.size() * sizeof(T));
  }
  DevBuf(Ops& ops, const std::vector<T>& host) : DevBuf(ops, host.size()) { upload(host); }

  T* ptr() { return static_cast<T*>(buf_->data()) + kGuard; }
  size_t size() const { return n_; }
  void upload(const std::vector<T>& host) {
    if (host.size() != n_) throw std::logic_error("DevBuf::upload: size mismatch");
    if (n_) ops_.copy_to_device(ptr(), host.data(), n_ * sizeof(T));
  }
  void poison(T v = poison_value<T>()) { upload(std::vector<T>(n_, v)); }
  std::vector<T> download() {
    std::vector<T> all(n_ + 2 * kGuard);
    ops_.copy_to_host(all.data(), buf_->data(), all.size() * sizeof(T));
    guards_ok_ = true;
    for (size_t i = 0; i < kGuard; ++i)
      if (std::memcmp(&all[i], &kSent, sizeof(T)) || std::memcmp(&all[kGuard + n_ + i], &kSent, sizeof(T)))
        guards_ok_ = false;
    return std::vector<T>(all.begin() + kGuard, all.begin() + kGuard + n_);
  }
  bool guards_ok() const { return guards_ok_; }

 private:
  static inline const T kSent = sentinel<T>();
  Ops& ops_;
  size_t n_;
  std::unique_ptr<Buffer> buf_;
  bool guards_ok_ = true;
};

// Compares a device result with the reference; on failure names the worst element.
inline ::testing::AssertionResult close(const std::string& what, const std::vector<float>& got,
                                        const std::vector<float>& ref, Tol tol) {
  if (got.size() != ref.size())
    return ::testing::AssertionFailure() << what << ": size " << got.size() << " vs " << ref.size();
  size_t worst = 0, bad = 0, unwritten = 0;
  double worst_excess = -1e300;
  for (size_t i = 0; i < got.size(); ++i) {
    const double a = got[i], b = ref[i];
    if (std::isnan(a) && !std::isnan(b)) ++unwritten;
    const double excess = std::isnan(a) != std::isnan(b) ? 1e300
                          : std::isnan(a)                ? -1e300
                          : std::fabs(a - b) - (tol.atol + tol.rtol * std::fabs(b));
    if (excess > 0) ++bad;
    if (excess > worst_excess) { worst_excess = excess; worst = i; }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  std::ostringstream os;
  os.precision(9);
  os << what << ": " << bad << " of " << got.size() << " elements out of tolerance (atol "
     << tol.atol << ", rtol " << tol.rtol << ")";
  if (unwritten) os << ", " << unwritten << " never written (still NaN)";
  os << "; worst at [" << worst << "]: cuda " << got[worst] << " vs ref " << ref[worst]
     << " (|diff| " << std::fabs((double)got[worst] - ref[worst]) << ")";
  return ::testing::AssertionFailure() << os.str();
}

template <class T>
::testing::AssertionResult identical(const std::string& what, const std::vector<T>& got,
                                     const std::vector<T>& ref) {
  if (got.size() != ref.size())
    return ::testing::AssertionFailure() << what << ": size " << got.size() << " vs " << ref.size();
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (std::memcmp(&got[i], &ref[i], sizeof(T))) {
      if (!bad) first = i;
      ++bad;
    }
  if (!bad) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << bad << " of " << got.size()
                                       << " elements differ; first at [" << first << "]: cuda "
                                       << +got[first] << " vs ref " << +ref[first];
}

// Downloads, checks guards and compares in one go.
#define EXPECT_DEV_CLOSE(buf, ref, tol)                                                 \
  do {                                                                                  \
    auto got_ = (buf).download();                                                       \
    EXPECT_TRUE((buf).guards_ok()) << #buf ": write outside the buffer (guard damaged)"; \
    EXPECT_TRUE(::gan::gputest::close(#buf, got_, (ref), (tol)));                       \
  } while (0)

#define EXPECT_DEV_IDENTICAL(buf, ref)                                                  \
  do {                                                                                  \
    auto got_ = (buf).download();                                                       \
    EXPECT_TRUE((buf).guards_ok()) << #buf ": write outside the buffer (guard damaged)"; \
    EXPECT_TRUE(::gan::gputest::identical(#buf, got_, (ref)));                          \
  } while (0)

}  // namespace gan::gputest
