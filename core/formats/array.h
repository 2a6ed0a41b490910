#pragma once
// A typed n-dimensional host array: what the file readers (pickle, checkpoint)
// hand to the rest of the program. No LibTorch.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace intershape::core::formats {

enum class DType : uint8_t {
  kFloat32,
  kFloat64,
  kFloat16,
  kBFloat16,
  kInt64,
  kInt32,
  kInt16,
  kInt8,
  kUInt8,
  kBool
};

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // "float32", "int64", ...
bool is_floating(DType dtype);         // float16/32/64, bfloat16

// "[778, 3, 10]": how messages print a shape.
std::string shape_string(const std::vector<int64_t>& shape);

// C-contiguous data; bytes.size() == numel() * dtype_size(dtype).
struct Array {
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  int64_t numel() const;
  std::string shape_string() const;  // "[778, 3, 10]"
  // Converted element-wise (float64 -> float32 rounds once; ints convert exactly or round).
  std::vector<float> to_float() const;
  std::vector<int64_t> to_int64() const;
};

}  // namespace intershape::core::formats
