#include "tensor.h"

#include <stdexcept>

namespace gan {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::I32: return 4;
    case DType::U8: return 1;
  }
  return 4;
}

static int64_t count(const std::vector<int>& shape) {
  int64_t n = 1;
  for (int d : shape) {
    if (d < 0) throw std::invalid_argument("tensor: negative dimension in shape " + shape_str(shape));
    n *= d;
  }
  return n;
}

Tensor::Tensor(Ops& ops, std::vector<int> shape, DType dtype)
    : ops_(&ops), shape_(std::move(shape)), dtype_(dtype), numel_(count(shape_)) {
  buf_ = ops.alloc(std::max<size_t>(bytes(), 1));
}

float* Tensor::f32() const {
  if (dtype_ != DType::F32) throw std::logic_error("tensor " + shape_str() + " is not float32");
  return static_cast<float*>(buf_->data());
}
int32_t* Tensor::i32() const {
  if (dtype_ != DType::I32) throw std::logic_error("tensor " + shape_str() + " is not int32");
  return static_cast<int32_t*>(buf_->data());
}
uint8_t* Tensor::u8() const {
  if (dtype_ != DType::U8) throw std::logic_error("tensor " + shape_str() + " is not uint8");
  return static_cast<uint8_t*>(buf_->data());
}

Tensor Tensor::view(std::vector<int> shape) const {
  if (count(shape) != numel_)
    throw std::invalid_argument("tensor: cannot view " + shape_str() + " as " + gan::shape_str(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::first(int n) const {
  if (shape_.empty() || n < 0 || n > shape_[0])
    throw std::invalid_argument("tensor: cannot take the first " + std::to_string(n) + " of " + shape_str());
  Tensor t = *this;
  t.shape_[0] = n;
  t.numel_ = shape_[0] ? numel_ / shape_[0] * n : 0;
  return t;
}

namespace {
// Part of another buffer (Tensor::slice): keeps its parent alive.
class SubBuffer final : public Buffer {
 public:
  SubBuffer(std::shared_ptr<Buffer> parent, size_t offset, size_t bytes)
      : parent_(std::move(parent)), offset_(offset), bytes_(bytes) {}
  void* data() override { return static_cast<char*>(parent_->data()) + offset_; }
  size_t bytes() const override { return bytes_; }

 private:
  std::shared_ptr<Buffer> parent_;
  size_t offset_, bytes_;
};
}  // namespace

Tensor Tensor::slice(int64_t offset, std::vector<int> shape) const {
  const int64_t n = count(shape);
  if (offset < 0 || offset + n > numel_)
    throw std::invalid_argument("tensor: cannot take " + gan::shape_str(shape) + " at offset " + std::to_string(offset) +
                                " of " + shape_str());
  Tensor t;
  t.ops_ = ops_;
  t.shape_ = std::move(shape);
  t.dtype_ = dtype_;
  t.numel_ = n;
  const size_t es = dtype_size(dtype_);
  t.buf_ = std::make_shared<SubBuffer>(buf_, (size_t)offset * es, (size_t)std::max<int64_t>(n, 1) * es);
  return t;
}

std::vector<float> Tensor::to_host() const {
  std::vector<float> v(numel_);
  if (numel_) ops_->copy_to_host(v.data(), f32(), bytes());
  return v;
}
std::vector<int32_t> Tensor::to_host_i32() const {
  std::vector<int32_t> v(numel_);
  if (numel_) ops_->copy_to_host(v.data(), i32(), bytes());
  return v;
}
void Tensor::from_host(const std::vector<float>& v) {
  if ((int64_t)v.size() != numel_) throw std::invalid_argument("tensor " + shape_str() + ": host data has wrong size");
  if (numel_) ops_->copy_to_device(f32(), v.data(), bytes());
}
void Tensor::from_host_i32(const std::vector<int32_t>& v) {
  if ((int64_t)v.size() != numel_) throw std::invalid_argument("tensor " + shape_str() + ": host data has wrong size");
  if (numel_) ops_->copy_to_device(i32(), v.data(), bytes());
}
void Tensor::zero() {
  if (dtype_ == DType::F32) {
    ops_->fill(f32(), numel_, 0.0f);
  } else {
    std::vector<uint8_t> z(bytes(), 0);
    if (numel_) ops_->copy_to_device(buf_->data(), z.data(), bytes());
  }
}

std::string shape_str(const std::vector<int>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}
std::string Tensor::shape_str() const { return gan::shape_str(shape_); }

}  // namespace gan
