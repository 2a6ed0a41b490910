#pragma once
// The video view as plain data: what to draw over one frame, in that frame's
// pixels (x right, y down; mesh depth in pixels, larger = farther). The app
// builds a VideoScene from its state each frame; render draws it without
// knowing where it came from (no core types, no ImGui).
//
// Thread: the GL thread only (draw_video_scene).

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include <glm/glm.hpp>

#include "render/passes.h"

namespace intershape::render {

// A square in frame pixels: top-left corner and side.
struct FrameSquare {
  float x0 = 0.f, y0 = 0.f, side = 0.f;
};

struct HandOverlay {
  glm::vec3 color{1.f};
  // The placed mesh: [n*3] frame pixels, with its triangles; empty: no mesh.
  std::vector<float> mesh_verts;
  std::shared_ptr<const std::vector<int32_t>> mesh_faces;
  // 21 keypoints: x, y (frame pixels), confidence; empty: none drawn.
  std::vector<glm::vec3> keypoints;
  // Parent of each keypoint (-1 for the root), for the skeleton; empty: no skeleton.
  std::vector<int> skeleton_parents;
  bool show_points = true;
};

struct VideoScene {
  int frame_width = 0, frame_height = 0;  // 0: no picture yet (only the clear colour)
  // Where the video goes, framebuffer pixels with GL's bottom-left origin.
  int viewport_x = 0, viewport_y = 0, viewport_w = 0, viewport_h = 0;
  bool mirror = false;      // show mirrored (selfie); overlays follow
  bool show_video = true;   // draw the picture
  float mesh_opacity = 1.f;
  bool wireframe = false;
  std::array<HandOverlay, 2> hands;  // right, left
  std::optional<FrameSquare> crop;   // the square the network saw
  std::optional<FrameSquare> drag;   // a square being dragged by the user
};

// The passes and per-hand buffers the video view needs; GL objects, so make
// one after the GL context and destroy it before.
class VideoSceneRenderer {
 public:
  // Clears the framebuffer (fb_w x fb_h) and draws `scene` with `frame` as the picture.
  void draw(const VideoScene& scene, const ImageTexture& frame, int fb_w, int fb_h);

 private:
  VideoPass video_;
  MeshPass mesh_;
  LinePass lines_;
  std::array<MeshBuffers, 2> meshes_;
};

// Frame pixels -> clip space of the video viewport (orthographic; mirrored on
// request). Depth: pixels, larger = farther.
glm::mat4 video_overlay_projection(float frame_w, float frame_h, bool mirror);

}  // namespace intershape::render
