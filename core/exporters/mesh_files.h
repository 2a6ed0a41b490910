#pragma once
// Wavefront OBJ and binary PLY meshes with area-weighted vertex normals, and
// the reference demo's per-frame set (NAME_right / NAME_left /
// NAME_interacting, normalised demo coordinates: see core/postprocess.h).
// Written atomically; throw formats::ExportError. Any thread.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/postprocess.h"
#include "core/types.h"

namespace intershape::core::exporters {

// The file contents come from core/mesh/mesh_text.h (obj_text, ply_bytes).
void write_obj(const std::string& path, const Mesh& mesh);  // normals computed here
void write_ply(const std::string& path, const Mesh& mesh);

// Writes DIR/NAME_right.EXT, DIR/NAME_left.EXT, DIR/NAME_interacting.EXT for
// ext "obj" or "ply", in the demo's normalised frame (core/postprocess.h:
// unitless, the network's camera axes x right, y down, z forward). A hand
// with presence < 0.5 gets no file and is left out of NAME_interacting (no
// file at all when both are absent); `absent_too` writes all three whatever
// the presence, exactly as the reference demo does. Returns the paths written.
std::vector<std::string> write_demo_meshes(const std::string& dir, const std::string& name,
                                           const std::string& ext, const NetworkOutput& out,
                                           const std::array<std::vector<int32_t>, 2>& faces,
                                           bool absent_too = false);

}  // namespace intershape::core::exporters
