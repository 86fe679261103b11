// safetensors files: checkpoints and generator snapshots that PyTorch loads with
// safetensors.torch.load_file.
//
// Format (https://github.com/huggingface/safetensors): 8-byte little-endian header length N,
// N bytes of JSON {"__metadata__":{str:str}, "<name>":{"dtype":"F32","shape":[..],
// "data_offsets":[begin,end]}, ...} padded with spaces to a multiple of 8, then the data buffer
// (offsets relative to its start). We write like safetensors' own serializer: compact JSON,
// "__metadata__" first, tensors ordered by dtype (widest first) then name, data in that order.
// The reader checks everything a corrupt or hostile file could get wrong (header length, JSON,
// dtype, shape × dtype size = byte length, offsets inside the buffer, no overlap, no gaps) before
// it copies any tensor data, so it never holds more data than the file's own size; headers over
// 1 MiB or with more than 16,384 tensors are refused. Each error names the file and tensor.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gan {
namespace safetensors {

enum class Dtype { F64, I64, F32, I32, U8 };
const char* dtype_name(Dtype d);  // "F32", ...
size_t dtype_size(Dtype d);

struct Tensor {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<int64_t> shape;
  std::string data;  // little-endian element bytes, numel × dtype_size
  int64_t numel() const;
};

struct File {
  std::vector<Tensor> tensors;                  // after parse: in file order
  std::map<std::string, std::string> metadata;  // "__metadata__"

  void add_f32(const std::string& name, std::vector<int64_t> shape, const float* data);
  void add_i64(const std::string& name, std::vector<int64_t> shape, const int64_t* data);
  void add_u8(const std::string& name, std::vector<int64_t> shape, const uint8_t* data);
  const Tensor* find(const std::string& name) const;  // nullptr when absent
  const Tensor& at(const std::string& name) const;    // throws naming the tensor
  // Typed copies; throw when the dtype differs or the tensor is absent.
  std::vector<float> f32(const std::string& name) const;
  std::vector<int64_t> i64(const std::string& name) const;
  std::vector<uint8_t> u8(const std::string& name) const;
};

// Bytes of a safetensors file. Throws on duplicate names or data whose size does not match shape.
std::string serialize(const File& f);
// Parses bytes; `source` (a path) names the file in errors.
File parse(const std::string& bytes, const std::string& source);

// save writes atomically (write_file_atomic); load reads and parses.
void save(const std::string& path, const File& f);
File load(const std::string& path);

}  // namespace safetensors
}  // namespace gan
