// Helpers for the CUDA tests the op registry (tests/ops/cases.h) does not cover: device buffers
// with guard regions, poisoning, and the registry's random inputs and comparison.
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
#include "tests/ops/op_case.h"
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

using opcases::max_abs;
using opcases::randi;
using opcases::randu;
using opcases::Tol;

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
  const std::string m = opcases::mismatch(what, got, ref, tol);
  if (m.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << m;
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
