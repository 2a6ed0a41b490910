#pragma once
// Targets whose input is several text files take them as one byte string cut
// by "\n--8<--\n" (the seeds in tests/data/fuzz/<target>/ show the layout), so
// that libFuzzer mutates all of them together. Missing parts are empty.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace intershape::fuzz {

template <size_t N>
std::array<std::string_view, N> split_parts(const uint8_t* data, size_t size) {
  constexpr std::string_view kCut = "\n--8<--\n";
  std::array<std::string_view, N> parts{};
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (size_t i = 0; i + 1 < N; ++i) {
    const size_t p = rest.find(kCut);
    parts[i] = rest.substr(0, p);
    rest = p == std::string_view::npos ? std::string_view() : rest.substr(p + kCut.size());
  }
  parts[N - 1] = rest;
  return parts;
}

}  // namespace intershape::fuzz
