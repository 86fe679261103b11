// safetensors reader and writer. Element bytes are copied as they are in memory, which is the
// file's little-endian layout on every host this builds for (checked below at compile time).
// The reader trusts nothing in the file: every length and offset is checked against the bytes
// actually present before anything is copied, with 64-bit overflow in mind.
#include "train/artifacts/safetensors.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <stdexcept>

#include "common/atomic_file.h"
#include "common/json.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.cpp assumes a little-endian host"
#endif

namespace gan {
namespace safetensors {
namespace {

// The safetensors library refuses headers above 100 MB. gan's own headers are a few KB (a few
// hundred tensors), and the parsed header costs about 100 bytes of memory per byte of JSON, so
// gan refuses headers above 1 MiB and more than 16,384 tensors, before allocating anything.
constexpr uint64_t kMaxHeader = 1u << 20;
constexpr size_t kMaxTensors = 16384;

// safetensors' own Dtype order (BOOL < U8 < ... < I32 < U32 < F32 < F64 < I64 < U64); its
// serializer writes wider dtypes first, then by name.
int rank(Dtype d) {
  switch (d) {
    case Dtype::U8: return 1;
    case Dtype::I32: return 2;
    case Dtype::F32: return 3;
    case Dtype::F64: return 4;
    case Dtype::I64: return 5;
  }
  return 0;
}

bool dtype_from_name(const std::string& s, Dtype* d) {
  for (Dtype x : {Dtype::F64, Dtype::I64, Dtype::F32, Dtype::I32, Dtype::U8})
    if (s == dtype_name(x)) { *d = x; return true; }
  return false;
}

// numel × size with overflow detection; false when it does not fit in 2^62.
bool byte_count(const std::vector<int64_t>& shape, Dtype d, uint64_t* out) {
  uint64_t n = 1;
  const uint64_t limit = uint64_t(1) << 62;
  for (int64_t s : shape) {
    if (s < 0) return false;
    if (s != 0 && n > limit / (uint64_t)s) return false;
    n *= (uint64_t)s;
  }
  if (n > limit / dtype_size(d)) return false;
  *out = n * dtype_size(d);
  return true;
}

template <typename T>
void add(File& f, const std::string& name, std::vector<int64_t> shape, const T* data, Dtype d) {
  Tensor t;
  t.name = name;
  t.dtype = d;
  t.shape = std::move(shape);
  uint64_t bytes = 0;
  if (!byte_count(t.shape, d, &bytes))
    throw std::invalid_argument("safetensors: tensor " + name + " has an invalid shape");
  if (bytes && !data) throw std::invalid_argument("safetensors: tensor " + name + " has no data");
  t.data.assign(reinterpret_cast<const char*>(data), (size_t)bytes);
  f.tensors.push_back(std::move(t));
}

template <typename T>
std::vector<T> typed(const File& f, const std::string& name, Dtype d) {
  const Tensor& t = f.at(name);
  if (t.dtype != d)
    throw std::runtime_error("safetensors: tensor " + name + " is " + dtype_name(t.dtype) +
                             ", expected " + dtype_name(d));
  std::vector<T> v(t.data.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), t.data.data(), v.size() * sizeof(T));
  return v;
}

}  // namespace

const char* dtype_name(Dtype d) {
  switch (d) {
    case Dtype::F64: return "F64";
    case Dtype::I64: return "I64";
    case Dtype::F32: return "F32";
    case Dtype::I32: return "I32";
    case Dtype::U8: return "U8";
  }
  return "?";
}

size_t dtype_size(Dtype d) {
  switch (d) {
    case Dtype::F64:
    case Dtype::I64: return 8;
    case Dtype::F32:
    case Dtype::I32: return 4;
    case Dtype::U8: return 1;
  }
  return 1;
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

void File::add_f32(const std::string& name, std::vector<int64_t> shape, const float* data) {
  add(*this, name, std::move(shape), data, Dtype::F32);
}
void File::add_i64(const std::string& name, std::vector<int64_t> shape, const int64_t* data) {
  add(*this, name, std::move(shape), data, Dtype::I64);
}
void File::add_u8(const std::string& name, std::vector<int64_t> shape, const uint8_t* data) {
  add(*this, name, std::move(shape), data, Dtype::U8);
}

const Tensor* File::find(const std::string& name) const {
  for (const Tensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const Tensor& File::at(const std::string& name) const {
  const Tensor* t = find(name);
  if (!t) throw std::runtime_error("safetensors: no tensor named " + name);
  return *t;
}

std::vector<float> File::f32(const std::string& name) const { return typed<float>(*this, name, Dtype::F32); }
std::vector<int64_t> File::i64(const std::string& name) const { return typed<int64_t>(*this, name, Dtype::I64); }
std::vector<uint8_t> File::u8(const std::string& name) const { return typed<uint8_t>(*this, name, Dtype::U8); }

std::string serialize(const File& f) {
  std::vector<const Tensor*> order;
  for (const Tensor& t : f.tensors) {
    if (t.name.empty() || t.name == "__metadata__")
      throw std::invalid_argument("safetensors: invalid tensor name \"" + t.name + "\"");
    uint64_t bytes = 0;
    if (!byte_count(t.shape, t.dtype, &bytes) || bytes != t.data.size())
      throw std::invalid_argument("safetensors: tensor " + t.name + " holds " +
                                  std::to_string(t.data.size()) +
                                  " bytes, which does not match its shape and dtype");
    order.push_back(&t);
  }
  std::sort(order.begin(), order.end(), [](const Tensor* a, const Tensor* b) {
    if (rank(a->dtype) != rank(b->dtype)) return rank(a->dtype) > rank(b->dtype);
    return a->name < b->name;
  });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i]->name == order[i - 1]->name)
      throw std::invalid_argument("safetensors: two tensors named " + order[i]->name);

  // Compact JSON in safetensors' own key order: the metadata, then the tensors as sorted above.
  Json header = Json::object();
  if (!f.metadata.empty()) {
    Json m = Json::object();
    for (const auto& kv : f.metadata) m.set(kv.first, kv.second);
    header.set("__metadata__", std::move(m));
  }
  uint64_t offset = 0;
  for (const Tensor* t : order) {
    Json entry = Json::object(), shape = Json::array(), offsets = Json::array();
    for (int64_t d : t->shape) shape.push(d);
    offsets.push(offset);
    offsets.push(offset + t->data.size());
    entry.set("dtype", dtype_name(t->dtype));
    entry.set("shape", std::move(shape));
    entry.set("data_offsets", std::move(offsets));
    header.set(t->name, std::move(entry));
    offset += t->data.size();
  }
  std::string h = header.dump(-1);
  h.append((8 - h.size() % 8) % 8, ' ');  // the buffer starts 8-byte aligned

  std::string out;
  out.reserve(8 + h.size() + offset);
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out += (char)((n >> (8 * i)) & 0xff);
  out += h;
  for (const Tensor* t : order) out += t->data;
  return out;
}

File parse(const std::string& bytes, const std::string& source) {
  auto fail = [&](const std::string& what) -> std::runtime_error {
    return std::runtime_error(source + ": not a valid safetensors file: " + what);
  };
  if (bytes.size() < 8) throw fail("shorter than the 8-byte header length (truncated?)");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | (unsigned char)bytes[i];
  if (n > kMaxHeader)
    throw fail("header length " + std::to_string(n) + " exceeds 1 MiB (gan's own files have headers of a few KB)");
  if (n > bytes.size() - 8)
    throw fail("header length " + std::to_string(n) + " runs past the end of the file (" +
               std::to_string(bytes.size()) + " bytes; truncated?)");
  std::string header = bytes.substr(8, (size_t)n);
  if (header.empty() || header[0] != '{') throw fail("the header does not start with '{'");
  Json j;
  try {
    j = Json::parse(header, source + " (safetensors header)");
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + " (corrupt or truncated file?)");
  }
  if (!j.is_object()) throw fail("the header is not a JSON object");
  const uint64_t buffer = bytes.size() - 8 - n;
  const char* data = bytes.data() + 8 + n;

  // Two passes: first every entry is checked and the spans are proven to tile the buffer, and
  // only then is any data copied. So the data copied is exactly the buffer (at most the file's
  // size), however many entries claim the same bytes.
  File f;
  struct Span { uint64_t begin, end; size_t index; };
  std::vector<Span> spans;
  std::set<std::string> names;
  for (const auto& kv : j.members()) {
    const std::string& name = kv.first;
    const Json& v = kv.second;
    if (name == "__metadata__") {
      if (!v.is_object()) throw fail("__metadata__ is not an object");
      for (const auto& m : v.members()) {
        if (!m.second.is_string()) throw fail("__metadata__ value of \"" + m.first + "\" is not a string");
        f.metadata[m.first] = m.second.as_string();
      }
      continue;
    }
    auto bad = [&](const std::string& what) { return fail("tensor " + name + ": " + what); };
    if (f.tensors.size() >= kMaxTensors)
      throw fail("more than " + std::to_string(kMaxTensors) + " tensors (gan's files hold a few hundred)");
    if (!v.is_object()) throw bad("entry is not an object");
    const Json* dt = v.find("dtype");
    const Json* sh = v.find("shape");
    const Json* off = v.find("data_offsets");
    if (!dt || !dt->is_string()) throw bad("missing dtype");
    if (!sh || !sh->is_array()) throw bad("missing shape");
    if (!off || !off->is_array() || off->size() != 2) throw bad("data_offsets must be [begin, end]");
    Tensor t;
    t.name = name;
    if (!dtype_from_name(dt->as_string(), &t.dtype))
      throw bad("dtype " + dt->as_string() + " is not supported (F64, I64, F32, I32, U8 are)");
    for (const Json& d : sh->items()) {
      if (!d.is_int() || d.as_int() < 0) throw bad("shape must hold non-negative integers");
      t.shape.push_back(d.as_int());
    }
    const Json& b = off->items()[0];
    const Json& e = off->items()[1];
    if (!b.is_int() || !e.is_int() || b.as_int() < 0 || e.as_int() < b.as_int())
      throw bad("data_offsets must be integers with 0 <= begin <= end");
    uint64_t begin = (uint64_t)b.as_int(), end = (uint64_t)e.as_int();
    if (end > buffer)
      throw bad("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                "] run past the end of the data (" + std::to_string(buffer) + " bytes; truncated?)");
    uint64_t want = 0;
    if (!byte_count(t.shape, t.dtype, &want)) throw bad("shape is too large");
    if (want != end - begin)
      throw bad("shape and dtype need " + std::to_string(want) + " bytes but data_offsets span " +
                std::to_string(end - begin));
    if (!names.insert(name).second) throw bad("appears twice in the header");
    spans.push_back({begin, end, f.tensors.size()});
    f.tensors.push_back(std::move(t));
  }

  // The tensors must tile the buffer exactly: no overlap (two tensors sharing bytes), no gaps.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t at = 0;
  for (const Span& s : spans) {
    const std::string& name = f.tensors[s.index].name;
    if (s.begin < at) throw fail("tensor " + name + " overlaps the previous tensor's data");
    if (s.begin > at) throw fail("gap in the data before tensor " + name);
    at = s.end;
  }
  if (at != buffer)
    throw fail(std::to_string(buffer - at) + " bytes after the last tensor's data");

  std::vector<Tensor> ordered;
  ordered.reserve(spans.size());
  for (const Span& s : spans) {
    Tensor& t = f.tensors[s.index];
    t.data.assign(data + s.begin, (size_t)(s.end - s.begin));
    ordered.push_back(std::move(t));
  }
  f.tensors = std::move(ordered);
  return f;
}

void save(const std::string& path, const File& f) { write_file_atomic(path, serialize(f)); }

File load(const std::string& path) { return parse(read_file(path), path); }

}  // namespace safetensors
}  // namespace gan
