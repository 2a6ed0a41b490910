#pragma once
// A small .npy reader for test fixtures (little-endian float32 / int32 / int64,
// C order). Test code only: it trusts the fixture files it reads.

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace intershape::test {

struct NpyArray {
  std::string descr;  // "<f4", "<i4", "<i8"
  std::vector<int64_t> shape;
  std::vector<char> bytes;

  int64_t size() const {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
  std::vector<float> as_float() const {
    std::vector<float> out(size());
    if (descr == "<f4") {
      std::memcpy(out.data(), bytes.data(), out.size() * 4);
    } else if (descr == "<i4") {
      for (int64_t i = 0; i < size(); ++i) {
        int32_t v;
        std::memcpy(&v, bytes.data() + 4 * i, 4);
        out[i] = static_cast<float>(v);
      }
    } else if (descr == "<i8") {
      for (int64_t i = 0; i < size(); ++i) {
        int64_t v;
        std::memcpy(&v, bytes.data() + 8 * i, 8);
        out[i] = static_cast<float>(v);
      }
    } else {
      throw std::runtime_error("npy: unsupported dtype " + descr);
    }
    return out;
  }
  std::vector<int32_t> as_int32() const {
    std::vector<float> f = as_float();
    return std::vector<int32_t>(f.begin(), f.end());
  }
};

inline NpyArray load_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("npy: cannot open " + path);
  char magic[8];
  in.read(magic, 8);
  if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    throw std::runtime_error("npy: bad magic in " + path);
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    uint16_t h;
    in.read(reinterpret_cast<char*>(&h), 2);
    header_len = h;
  } else {
    in.read(reinterpret_cast<char*>(&header_len), 4);
  }
  std::string header(header_len, '\0');
  in.read(header.data(), header_len);
  NpyArray a;
  auto field = [&](const std::string& key) {
    auto p = header.find("'" + key + "':");
    if (p == std::string::npos) throw std::runtime_error("npy: no " + key + " in " + path);
    return p + key.size() + 3;
  };
  auto d = header.find('\'', field("descr"));
  a.descr = header.substr(d + 1, header.find('\'', d + 1) - d - 1);
  if (header.find("True", field("fortran_order")) == field("fortran_order") + 1)
    throw std::runtime_error("npy: fortran order not supported: " + path);
  auto s = header.find('(', field("shape"));
  auto e = header.find(')', s);
  std::string dims = header.substr(s + 1, e - s - 1);
  size_t pos = 0;
  while (pos < dims.size()) {
    while (pos < dims.size() && (dims[pos] == ' ' || dims[pos] == ',')) ++pos;
    if (pos >= dims.size()) break;
    size_t end = pos;
    a.shape.push_back(std::stoll(dims.substr(pos), &end));
    pos += end;
  }
  const int64_t item = (a.descr == "<i8") ? 8 : 4;
  a.bytes.resize(static_cast<size_t>(a.size() * item));
  in.read(a.bytes.data(), static_cast<std::streamsize>(a.bytes.size()));
  if (!in) throw std::runtime_error("npy: truncated " + path);
  return a;
}

}  // namespace intershape::test
