#pragma once
// Draw passes: the video frame, hand meshes, lines and points, scalar maps, and
// off-screen render targets. Thread: the GL thread only. Each pass owns its
// program and GL objects (RAII); construct them after load_gl() and destroy
// them before the context.
//
// Coordinates: a pass draws into the current framebuffer and viewport; rects
// are in normalised device coordinates (x0, y0, x1, y1) of that viewport.

#include <cstdint>
#include <vector>

#include <glm/glm.hpp>

#include "render/gl_objects.h"
#include "render/program.h"

namespace intershape::render {

enum class PixelFormat { kBgr8, kRgb8, kRgba8, kR32f };

// A 2D texture holding a picture or a map. Re-allocates on a size or format
// change; linear filtering (nearest for maps when asked).
class ImageTexture {
 public:
  // `data` rows are `stride_bytes` apart, top row first (the texture's v = 0
  // is the top row, so draw with uv_rect (0,0)-(1,1) from top-left).
  void upload(const void* data, int width, int height, int stride_bytes, PixelFormat format,
              bool nearest = false);
  GLuint id() const { return texture_.id(); }
  int width() const { return width_; }
  int height() const { return height_; }
  bool empty() const { return !texture_ || width_ == 0; }

 private:
  Texture texture_;
  int width_ = 0, height_ = 0;
  PixelFormat format_ = PixelFormat::kRgb8;
};

// An off-screen colour (RGBA8) + depth target, e.g. the 3D view or a map shown
// in an ImGui window. Its texture's first row is the bottom of the picture.
class RenderTarget {
 public:
  void resize(int width, int height);  // throws RenderError if incomplete
  void bind() const;                   // binds it and sets the viewport
  static void bind_default(int window_width, int window_height);
  GLuint texture() const { return color_.id(); }
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  Framebuffer fbo_;
  Texture color_;
  Renderbuffer depth_;
  int width_ = 0, height_ = 0;
};

// Draws a texture as a rectangle (the video behind everything).
class VideoPass {
 public:
  VideoPass();
  // `uv_rect` (u0, v0, u1, v1) at rect's (x0, y0) and (x1, y1) corners.
  void draw(const ImageTexture& image, const glm::vec4& ndc_rect, const glm::vec4& uv_rect,
            float opacity = 1.f) const;

 private:
  Program program_;
  VertexArray empty_vao_;  // core profile needs a bound VAO even without attributes
};

// Draws a scalar map in a colour scale, optionally blended over a picture.
class MapPass {
 public:
  MapPass();
  void draw(const ImageTexture* base, const ImageTexture& values, float lo, float hi, float opacity,
            const glm::vec4& ndc_rect, const glm::vec4& uv_rect) const;

 private:
  Program program_;
  VertexArray empty_vao_;
};

// One mesh on the GPU: positions + normals (computed here) + triangles.
class MeshBuffers {
 public:
  // `positions` [n*3]; `faces` [m*3] 0-based indices < n. Normals are core/mesh's area-
  // weighted vertex normals. Re-uploading the same topology reuses the buffers.
  void upload(const std::vector<float>& positions, const std::vector<int32_t>& faces);
  bool empty() const { return index_count_ == 0; }

 private:
  friend class MeshPass;
  VertexArray vao_;
  Buffer vertices_, indices_;
  int index_count_ = 0;
  const void* faces_key_ = nullptr;
  size_t faces_size_ = 0;
  std::vector<float> interleaved_;
};

struct MeshStyle {
  glm::vec3 color{0.9f, 0.5f, 0.3f};
  float opacity = 1.f;
  bool wireframe = false;
  glm::vec3 light_dir{0.f, 0.f, -1.f};  // world space, towards the light
  glm::vec3 view_dir{0.f, 0.f, -1.f};   // world space, towards the viewer
};

// Lit, shaded meshes with the depth test on; blends when opacity < 1.
class MeshPass {
 public:
  MeshPass();
  void draw(const MeshBuffers& mesh, const glm::mat4& mvp, const MeshStyle& style) const;

 private:
  Program program_;
};

struct LineVertex {
  glm::vec3 position;
  glm::vec4 color;
};

// Points and lines with per-vertex colours (keypoints, skeleton, crop box).
class LinePass {
 public:
  LinePass();
  // mode: GL_POINTS, GL_LINES or GL_LINE_LOOP. Depth test off: drawn on top.
  void draw(const std::vector<LineVertex>& vertices, GLenum mode, const glm::mat4& mvp,
            float point_size = 6.f) const;

 private:
  Program program_;
  VertexArray vao_;
  Buffer buffer_;
};

// Reads the current read buffer (the back buffer before the swap) as RGB8,
// rows top-down (flipped from GL's bottom-up order).
std::vector<uint8_t> read_pixels_rgb(int width, int height);

}  // namespace intershape::render
