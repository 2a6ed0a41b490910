#include "core/exporters/mesh_files.h"

#include <cstdio>
#include <cstring>

#include "core/formats/atomic_file.h"

namespace intershape::core::exporters {
namespace {

void append_le(std::string& s, const void* p, size_t n) {
  // Our targets are little-endian (x86-64, aarch64); PLY says so in its header.
  s.append(static_cast<const char*>(p), n);
}

}  // namespace

std::string obj_text(const Mesh& mesh, const std::vector<float>& normals) {
  std::string s;
  s.reserve(mesh.positions.size() * 24 + mesh.triangles.size() * 16);
  s += "# Intershape Live\n";
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

void write_obj(const std::string& path, const Mesh& mesh) {
  formats::write_file_atomic(path, obj_text(mesh, vertex_normals(mesh)));
}

void write_ply(const std::string& path, const Mesh& mesh) {
  formats::write_file_atomic(path, ply_bytes(mesh, vertex_normals(mesh)));
}

std::vector<std::string> write_demo_meshes(const std::string& dir, const std::string& name,
                                           const std::string& ext, const NetworkOutput& out,
                                           const std::array<std::vector<int32_t>, 2>& faces) {
  if (ext != "obj" && ext != "ply") throw formats::ExportError("unknown mesh format '" + ext + "'");
  const std::string stem = (dir.empty() ? std::string() : dir + "/") + name;
  const std::pair<const char*, Mesh> meshes[] = {{"_right.", right_mesh(out, faces)},
                                                 {"_left.", left_mesh(out, faces)},
                                                 {"_interacting.", interacting_mesh(out, faces)}};
  std::vector<std::string> paths;
  for (const auto& [suffix, mesh] : meshes) {
    const std::string path = stem + suffix + ext;
    if (ext == "obj")
      write_obj(path, mesh);
    else
      write_ply(path, mesh);
    paths.push_back(path);
  }
  return paths;
}

}  // namespace intershape::core::exporters
