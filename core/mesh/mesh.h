#pragma once
// Triangle meshes and their vertex normals: one implementation for the
// renderer (render/passes.cpp), the exporters (OBJ, PLY, glTF) and
// `intershape mano`, so what is drawn and what is written agree. Pure
// functions, any thread. No LibTorch, OpenCV or GL.

#include <cstdint>
#include <vector>

namespace intershape::core::mesh {

// One triangle mesh: positions [n*3], 0-based triangles [m*3].
struct Mesh {
  std::vector<float> positions;
  std::vector<int32_t> triangles;
  int vertex_count() const { return static_cast<int>(positions.size() / 3); }
  int triangle_count() const { return static_cast<int>(triangles.size() / 3); }
};

// The normal given to a vertex with no area around it (isolated, or only in
// degenerate triangles): facing the camera, -z in the network's camera space
// (x right, y down, z away from the camera). Every normal is unit length,
// because glTF requires it and a zero normal makes a shader's normalize() NaN.
inline constexpr float kFallbackNormal[3] = {0.f, 0.f, -1.f};

// Area-weighted vertex normals: the sum of the un-normalised face normals
// (cross products, whose length is twice the triangle's area) of the
// triangles around each vertex, normalised; accumulated in double. [n*3], unit
// length; kFallbackNormal where the sum is zero. Throws std::invalid_argument
// naming the triangle when an index is outside 0..n-1.
std::vector<float> vertex_normals(const std::vector<float>& positions,
                                  const std::vector<int32_t>& triangles);
inline std::vector<float> vertex_normals(const Mesh& mesh) {
  return vertex_normals(mesh.positions, mesh.triangles);
}

}  // namespace intershape::core::mesh
