// Tensors: a shape, a dtype and a buffer on one backend's device.
//
// A Tensor is a cheap handle (shared buffer); views (reshape, flatten) share storage. Layers own
// their parameter and activation tensors; nothing here computes, that is Ops' job.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "ops.h"

namespace gan {

enum class DType { F32, I32, U8 };
size_t dtype_size(DType t);

class Tensor {
 public:
  Tensor() = default;
  Tensor(Ops& ops, std::vector<int> shape, DType dtype = DType::F32);

  const std::vector<int>& shape() const { return shape_; }
  int dim(int i) const { return shape_.at(i < 0 ? shape_.size() + i : i); }
  int ndim() const { return (int)shape_.size(); }
  int64_t numel() const { return numel_; }
  size_t bytes() const { return numel_ * dtype_size(dtype_); }
  DType dtype() const { return dtype_; }
  bool defined() const { return buf_ != nullptr; }

  float* f32() const;
  int32_t* i32() const;
  uint8_t* u8() const;

  // Same storage, new shape with the same element count (reshape/flatten are free).
  Tensor view(std::vector<int> shape) const;
  // The first n entries along dim 0, same storage: layers allocate activations once for the
  // largest batch they will see and hand out prefixes, so addresses never change between steps.
  Tensor first(int n) const;
  // `shape`'s elements starting `offset` elements into this tensor, same storage (keeps it alive).
  Tensor slice(int64_t offset, std::vector<int> shape) const;

  // Host round trips (synchronise with the device).
  std::vector<float> to_host() const;
  std::vector<int32_t> to_host_i32() const;
  void from_host(const std::vector<float>& v);
  void from_host_i32(const std::vector<int32_t>& v);
  void zero();

  std::string shape_str() const;
  Ops* ops() const { return ops_; }

 private:
  Ops* ops_ = nullptr;
  std::vector<int> shape_;
  DType dtype_ = DType::F32;
  int64_t numel_ = 0;
  std::shared_ptr<Buffer> buf_;
};

std::string shape_str(const std::vector<int>& shape);

}  // namespace gan
