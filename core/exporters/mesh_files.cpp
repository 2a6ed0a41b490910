#include "core/exporters/mesh_files.h"

#include "core/formats/atomic_file.h"
#include "core/mesh/mesh_text.h"

namespace intershape::core::exporters {

void write_obj(const std::string& path, const Mesh& mesh) {
  formats::write_file_atomic(path, mesh::obj_text(mesh, vertex_normals(mesh)));
}

void write_ply(const std::string& path, const Mesh& mesh) {
  formats::write_file_atomic(path, mesh::ply_bytes(mesh, vertex_normals(mesh)));
}

std::vector<std::string> write_demo_meshes(const std::string& dir, const std::string& name,
                                           const std::string& ext, const NetworkOutput& out,
                                           const std::array<std::vector<int32_t>, 2>& faces,
                                           bool absent_too) {
  if (ext != "obj" && ext != "ply") throw formats::ExportError("unknown mesh format '" + ext + "'");
  const std::string stem = (dir.empty() ? std::string() : dir + "/") + name;
  // Absent hands (presence < 0.5) get no file and stay out of the
  // interacting mesh: a phantom hand is worse than none. Present hands are
  // exactly the reference demo's meshes.
  const bool right = absent_too || hand_present(out.hands[0]);
  const bool left = absent_too || hand_present(out.hands[1]);
  std::vector<std::pair<const char*, Mesh>> meshes;
  if (right) meshes.emplace_back("_right.", right_mesh(out, faces));
  if (left) meshes.emplace_back("_left.", left_mesh(out, faces));
  if (right && left)
    meshes.emplace_back("_interacting.", interacting_mesh(out, faces));
  else if (right || left)
    meshes.emplace_back("_interacting.", meshes.front().second);
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
