#include "core/mesh/mesh.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace intershape::core::mesh {

std::vector<float> vertex_normals(const std::vector<float>& positions,
                                  const std::vector<int32_t>& triangles) {
  const int n = static_cast<int>(positions.size() / 3);
  std::vector<double> acc(static_cast<size_t>(n) * 3, 0.0);
  const auto& p = positions;
  for (size_t t = 0; t + 2 < triangles.size(); t += 3) {
    const int32_t a = triangles[t], b = triangles[t + 1], c = triangles[t + 2];
    if (a < 0 || b < 0 || c < 0 || a >= n || b >= n || c >= n)
      throw std::invalid_argument("vertex_normals: triangle " + std::to_string(t / 3) +
                                  " has an index outside 0.." + std::to_string(n - 1));
    const double e1[3] = {p[3 * b] - double(p[3 * a]), p[3 * b + 1] - double(p[3 * a + 1]),
                          p[3 * b + 2] - double(p[3 * a + 2])};
    const double e2[3] = {p[3 * c] - double(p[3 * a]), p[3 * c + 1] - double(p[3 * a + 1]),
                          p[3 * c + 2] - double(p[3 * a + 2])};
    // |e1 x e2| is twice the triangle's area: summing the raw cross products
    // weights each face by its area.
    const double nx = e1[1] * e2[2] - e1[2] * e2[1];
    const double ny = e1[2] * e2[0] - e1[0] * e2[2];
    const double nz = e1[0] * e2[1] - e1[1] * e2[0];
    for (int32_t v : {a, b, c}) {
      acc[3 * v] += nx;
      acc[3 * v + 1] += ny;
      acc[3 * v + 2] += nz;
    }
  }
  std::vector<float> normals(acc.size());
  for (int v = 0; v < n; ++v) {
    const double len = std::sqrt(acc[3 * v] * acc[3 * v] + acc[3 * v + 1] * acc[3 * v + 1] +
                                 acc[3 * v + 2] * acc[3 * v + 2]);
    for (int c = 0; c < 3; ++c)
      normals[3 * v + c] = len > 0 && std::isfinite(len) ? static_cast<float>(acc[3 * v + c] / len)
                                                         : kFallbackNormal[c];
  }
  return normals;
}

}  // namespace intershape::core::mesh
