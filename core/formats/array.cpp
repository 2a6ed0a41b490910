#include "core/formats/array.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace intershape::core::formats {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kFloat64:
    case DType::kInt64:
      return 8;
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kInt16:
      return 2;
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kBool:
      return 1;
  }
  return 1;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat64:
      return "float64";
    case DType::kFloat16:
      return "float16";
    case DType::kBFloat16:
      return "bfloat16";
    case DType::kInt64:
      return "int64";
    case DType::kInt32:
      return "int32";
    case DType::kInt16:
      return "int16";
    case DType::kInt8:
      return "int8";
    case DType::kUInt8:
      return "uint8";
    case DType::kBool:
      return "bool";
  }
  return "?";
}

int64_t Array::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::string Array::shape_string() const { return formats::shape_string(shape); }

bool is_floating(DType d) {
  return d == DType::kFloat32 || d == DType::kFloat64 || d == DType::kFloat16 ||
         d == DType::kBFloat16;
}

namespace {

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  float f;
  if (exp == 0) {
    f = std::ldexp(static_cast<float>(mant), -24);  // zero or subnormal
    return sign ? -f : f;
  }
  uint32_t bits;
  if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / nan
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  std::memcpy(&f, &bits, 4);
  return f;
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Element i as double (exact for every type but the largest int64s).
double element(const Array& a, int64_t i) {
  const uint8_t* p = a.bytes.data() + static_cast<size_t>(i) * dtype_size(a.dtype);
  switch (a.dtype) {
    case DType::kFloat32:
      return load<float>(p);
    case DType::kFloat64:
      return load<double>(p);
    case DType::kFloat16:
      return half_to_float(load<uint16_t>(p));
    case DType::kBFloat16: {
      const uint32_t bits = static_cast<uint32_t>(load<uint16_t>(p)) << 16;
      return load<float>(reinterpret_cast<const uint8_t*>(&bits));
    }
    case DType::kInt64:
      return static_cast<double>(load<int64_t>(p));
    case DType::kInt32:
      return load<int32_t>(p);
    case DType::kInt16:
      return load<int16_t>(p);
    case DType::kInt8:
      return load<int8_t>(p);
    case DType::kUInt8:
      return *p;
    case DType::kBool:
      return *p != 0 ? 1.0 : 0.0;
  }
  return 0;
}

void check_size(const Array& a) {
  if (a.bytes.size() != static_cast<size_t>(a.numel()) * dtype_size(a.dtype)) {
    throw std::logic_error("Array: " + std::to_string(a.bytes.size()) + " bytes for " +
                           a.shape_string() + " " + dtype_name(a.dtype));
  }
}

}  // namespace

std::vector<float> Array::to_float() const {
  check_size(*this);
  const int64_t n = numel();
  std::vector<float> out(static_cast<size_t>(n));
  if (dtype == DType::kFloat32) {
    if (n > 0) std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  for (int64_t i = 0; i < n; ++i)
    out[static_cast<size_t>(i)] = static_cast<float>(element(*this, i));
  return out;
}

std::vector<int64_t> Array::to_int64() const {
  check_size(*this);
  const int64_t n = numel();
  std::vector<int64_t> out(static_cast<size_t>(n));
  if (dtype == DType::kInt64) {
    if (n > 0) std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  for (int64_t i = 0; i < n; ++i) {
    const double v = std::nearbyint(element(*this, i));
    // Out-of-range or NaN values saturate instead of being undefined.
    out[static_cast<size_t>(i)] = std::isnan(v)  ? 0
                                  : v >= 9.2e18  ? INT64_MAX
                                  : v <= -9.2e18 ? INT64_MIN
                                                 : static_cast<int64_t>(v);
  }
  return out;
}

}  // namespace intershape::core::formats
