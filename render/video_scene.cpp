#include "render/video_scene.h"

#include <algorithm>

#include <glm/gtc/matrix_transform.hpp>

#include "render/gl.h"

namespace intershape::render {
namespace {

std::vector<LineVertex> square_loop(const FrameSquare& q, const glm::vec4& colour) {
  return {{{q.x0, q.y0, 0}, colour},
          {{q.x0 + q.side, q.y0, 0}, colour},
          {{q.x0 + q.side, q.y0 + q.side, 0}, colour},
          {{q.x0, q.y0 + q.side, 0}, colour}};
}

}  // namespace

glm::mat4 video_overlay_projection(float fw, float fh, bool mirror) {
  const float zr = 8.f * std::max(fw, fh);
  const glm::mat4 proj =
      mirror ? glm::ortho(fw, 0.f, fh, 0.f, -zr, zr) : glm::ortho(0.f, fw, fh, 0.f, -zr, zr);
  return proj * glm::scale(glm::mat4(1.f), glm::vec3(1.f, 1.f, -1.f));
}

void VideoSceneRenderer::draw(const VideoScene& scene, const ImageTexture& frame, int fb_w,
                              int fb_h) {
  RenderTarget::bind_default(fb_w, fb_h);
  glClearColor(0.07f, 0.07f, 0.08f, 1.f);
  glClearDepth(1.0);
  glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
  if (scene.frame_width <= 0 || scene.frame_height <= 0) return;
  glViewport(scene.viewport_x, scene.viewport_y, scene.viewport_w, scene.viewport_h);
  if (scene.show_video) {
    const glm::vec4 uv = scene.mirror ? glm::vec4(1, 0, 0, 1) : glm::vec4(0, 0, 1, 1);
    video_.draw(frame, {-1, 1, 1, -1}, uv);
  }
  const glm::mat4 mvp = video_overlay_projection(static_cast<float>(scene.frame_width),
                                                 static_cast<float>(scene.frame_height),
                                                 scene.mirror);
  // Meshes first (depth-tested among themselves), then the 2D marks on top.
  glClear(GL_DEPTH_BUFFER_BIT);
  for (size_t h = 0; h < scene.hands.size(); ++h) {
    const HandOverlay& hand = scene.hands[h];
    if (hand.mesh_verts.empty() || !hand.mesh_faces) continue;
    meshes_[h].upload(hand.mesh_verts, *hand.mesh_faces);
    MeshStyle style;
    style.color = hand.color;
    style.opacity = scene.mesh_opacity;
    style.wireframe = scene.wireframe;
    style.light_dir = glm::normalize(glm::vec3(0.3f, -0.6f, -1.f));
    style.view_dir = {0.f, 0.f, -1.f};
    mesh_.draw(meshes_[h], mvp, style);
  }
  std::vector<LineVertex> lines, points;
  for (const HandOverlay& hand : scene.hands) {
    const glm::vec3 c = hand.color;
    for (size_t j = 0; j < hand.keypoints.size(); ++j) {
      const glm::vec3& k = hand.keypoints[j];
      if (hand.show_points)
        points.push_back({{k.x, k.y, 0.f},
                          {0.25f + 0.75f * c.x, 0.25f + 0.75f * c.y, 0.25f + 0.75f * c.z,
                           0.3f + 0.7f * k.z}});
      const int p = j < hand.skeleton_parents.size() ? hand.skeleton_parents[j] : -1;
      if (p >= 0 && static_cast<size_t>(p) < hand.keypoints.size()) {
        const glm::vec3& q = hand.keypoints[static_cast<size_t>(p)];
        lines.push_back({{k.x, k.y, 0.f}, {c * 0.6f, 0.9f}});
        lines.push_back({{q.x, q.y, 0.f}, {c * 0.6f, 0.9f}});
      }
    }
  }
  lines_.draw(lines, GL_LINES, mvp);
  lines_.draw(points, GL_POINTS, mvp, 7.f);
  if (scene.crop) lines_.draw(square_loop(*scene.crop, {1.f, 1.f, 1.f, 0.6f}), GL_LINE_LOOP, mvp);
  if (scene.drag) lines_.draw(square_loop(*scene.drag, {0.3f, 1.f, 0.4f, 0.9f}), GL_LINE_LOOP, mvp);
  RenderTarget::bind_default(fb_w, fb_h);
}

}  // namespace intershape::render
