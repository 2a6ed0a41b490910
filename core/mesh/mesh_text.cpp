#include "core/mesh/mesh_text.h"

#include <algorithm>
#include <cstdio>

namespace intershape::core::mesh {
namespace {

void append_le(std::string& s, const void* p, size_t n) {
  // Our targets are little-endian (x86-64, aarch64); PLY says so in its header.
  s.append(static_cast<const char*>(p), n);
}

}  // namespace

std::string obj_text(const Mesh& mesh, const std::vector<float>& normals,
                     const std::string& comment) {
  std::string s;
  s.reserve(mesh.positions.size() * 24 + mesh.triangles.size() * 16);
  size_t from = 0;
  while (from <= comment.size()) {
    const size_t nl = std::min(comment.find('\n', from), comment.size());
    s += "# " + comment.substr(from, nl - from) + "\n";
    from = nl + 1;
  }
  char buf[128];
  for (size_t i = 0; i + 2 < mesh.positions.size(); i += 3) {
    int n = std::snprintf(buf, sizeof buf, "v %.9g %.9g %.9g\n", mesh.positions[i],
                          mesh.positions[i + 1], mesh.positions[i + 2]);
    s.append(buf, static_cast<size_t>(n));
  }
  for (size_t i = 0; i + 2 < normals.size(); i += 3) {
    int n = std::snprintf(buf, sizeof buf, "vn %.9g %.9g %.9g\n", normals[i], normals[i + 1],
                          normals[i + 2]);
    s.append(buf, static_cast<size_t>(n));
  }
  for (size_t t = 0; t + 2 < mesh.triangles.size(); t += 3) {
    const int a = mesh.triangles[t] + 1, b = mesh.triangles[t + 1] + 1,
              c = mesh.triangles[t + 2] + 1;
    int n = std::snprintf(buf, sizeof buf, "f %d//%d %d//%d %d//%d\n", a, a, b, b, c, c);
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}

std::string ply_bytes(const Mesh& mesh, const std::vector<float>& normals) {
  std::string s = "ply\nformat binary_little_endian 1.0\ncomment Intershape Live\nelement vertex " +
                  std::to_string(mesh.vertex_count()) +
                  "\nproperty float x\nproperty float y\nproperty float z\n"
                  "property float nx\nproperty float ny\nproperty float nz\n"
                  "element face " +
                  std::to_string(mesh.triangle_count()) +
                  "\nproperty list uchar int vertex_indices\nend_header\n";
  s.reserve(s.size() + mesh.positions.size() * 8 + mesh.triangles.size() / 3 * 13);
  for (int v = 0; v < mesh.vertex_count(); ++v) {
    append_le(s, &mesh.positions[3 * v], 12);
    append_le(s, &normals[3 * v], 12);
  }
  for (size_t t = 0; t + 2 < mesh.triangles.size(); t += 3) {
    const unsigned char three = 3;
    append_le(s, &three, 1);
    append_le(s, &mesh.triangles[t], 12);
  }
  return s;
}

}  // namespace intershape::core::mesh
