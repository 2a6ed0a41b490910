#pragma once
// A whole sequence as one glTF 2.0 binary (.glb): both hands' MANO meshes,
// animated over the source's timestamps.
//
// Animation encoding: one node per frame (mesh "frame_K" with two primitives,
// right and left), made visible by a scale channel with STEP interpolation
// (scale 1 from its frame's time until the next frame's, 0 otherwise). Why not
// one morph target per frame: a weights channel then carries T weights per key
// (T^2 floats, 100 MB at 5000 frames), three.js's WebGL path caps active morph
// targets, and Blender makes a shape key per frame. Node scale with STEP is
// linear in T, exact per frame (no blending between poses), and imported as an
// animation by Blender (object scale keys) and three.js (AnimationMixer) alike.
// Frame 0's node has scale 1 in the static scene, the others 0.
//
// Coordinates: metres, glTF axes (+Y up, viewer looking down -Z):
//   p = diag(1, -1, -1) · v_demo · L_r / 1000,
// v_demo the NAME_interacting.obj coordinates (core/postprocess.h), L_r the
// right hand's wrist-to-middle-MCP length in mm (so the hands keep their size;
// the network's camera axes are x right, y down, z forward).
//
// Frame times: the timestamps given, made strictly increasing (a time not
// after the previous one becomes previous + 1/30 s) and shifted so the first
// frame is at 0. Not thread-safe.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/types.h"

namespace intershape::core::exporters {

// The two hands' glTF positions of one frame, [778*3] each (right, left).
std::array<std::vector<float>, 2> glb_positions(const NetworkOutput& out);

class GlbSequence {
 public:
  explicit GlbSequence(std::array<std::vector<int32_t>, 2> faces);
  // Keeps the positions only (about 19 KB a frame).
  void add(double timestamp_s, const NetworkOutput& out);
  size_t frame_count() const { return times_.size(); }
  // The animation times actually used (seconds, from 0, strictly increasing).
  std::vector<float> animation_times() const;
  // Builds the file and writes it atomically; throws formats::ExportError (also for an
  // empty sequence).
  void write(const std::string& path) const;
  std::string glb_bytes() const;

 private:
  std::array<std::vector<int32_t>, 2> faces_;
  std::vector<double> times_;
  std::vector<std::array<std::vector<float>, 2>> positions_;
};

}  // namespace intershape::core::exporters
