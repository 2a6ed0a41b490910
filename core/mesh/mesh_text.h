#pragma once
// Mesh file contents: Wavefront OBJ text and binary PLY bytes. One writer for
// the exporters (core/exporters/mesh_files.h writes them atomically) and
// `intershape mano`. Pure functions, any thread.

#include <string>
#include <vector>

#include "core/mesh/mesh.h"

namespace intershape::core::mesh {

// "# <comment>" (one line per line of `comment`), "v x y z" (9 significant
// digits), "vn nx ny nz", "f a//a b//b c//c" (1-based). `normals` [n*3] as
// vertex_normals() gives.
std::string obj_text(const Mesh& mesh, const std::vector<float>& normals,
                     const std::string& comment = "Intershape Live");
// binary_little_endian 1.0: vertex {float x, y, z, nx, ny, nz}, face {uchar n, int idx[n]}.
std::string ply_bytes(const Mesh& mesh, const std::vector<float>& normals);

}  // namespace intershape::core::mesh
