#include "render/passes.h"

#include "core/mesh/mesh.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace intershape::render {

// ---- ImageTexture ----------------------------------------------------------------

void ImageTexture::upload(const void* data, int width, int height, int stride_bytes,
                          PixelFormat format, bool nearest) {
  if (!texture_) texture_ = Texture::create();
  glBindTexture(GL_TEXTURE_2D, texture_.id());
  int bpp = 3;
  GLenum src_format = GL_RGB, src_type = GL_UNSIGNED_BYTE;
  GLint internal = GL_RGB8;
  switch (format) {
    case PixelFormat::kBgr8:
      src_format = GL_BGR;
      break;
    case PixelFormat::kRgb8:
      break;
    case PixelFormat::kRgba8:
      bpp = 4;
      src_format = GL_RGBA;
      internal = GL_RGBA8;
      break;
    case PixelFormat::kR32f:
      bpp = 4;
      src_format = GL_RED;
      src_type = GL_FLOAT;
      internal = GL_R32F;
      break;
  }
  // Rows may be padded (cv::Mat ROIs): tell GL the row length in pixels.
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, stride_bytes / bpp);
  if (width != width_ || height != height_ || format != format_) {
    glTexImage2D(GL_TEXTURE_2D, 0, internal, width, height, 0, src_format, src_type, data);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    width_ = width;
    height_ = height;
    format_ = format;
  } else {
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, src_format, src_type, data);
  }
  const GLint filter = nearest ? GL_NEAREST : GL_LINEAR;
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
}

// ---- RenderTarget ------------------------------------------------------------------

void RenderTarget::resize(int width, int height) {
  width = std::max(width, 1);
  height = std::max(height, 1);
  if (fbo_ && width == width_ && height == height_) return;
  if (!fbo_) {
    fbo_ = Framebuffer::create();
    color_ = Texture::create();
    depth_ = Renderbuffer::create();
  }
  glBindTexture(GL_TEXTURE_2D, color_.id());
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glBindRenderbuffer(GL_RENDERBUFFER, depth_.id());
  glRenderbufferStorage(GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, width, height);
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_.id());
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, color_.id(), 0);
  glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, depth_.id());
  const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  if (status != GL_FRAMEBUFFER_COMPLETE)
    throw RenderError("Off-screen framebuffer " + std::to_string(width) + "x" +
                      std::to_string(height) + " is incomplete (status " + std::to_string(status) +
                      ").");
  width_ = width;
  height_ = height;
}

void RenderTarget::bind() const {
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_.id());
  glViewport(0, 0, width_, height_);
}

void RenderTarget::bind_default(int window_width, int window_height) {
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glViewport(0, 0, window_width, window_height);
}

// ---- VideoPass / MapPass -------------------------------------------------------------

VideoPass::VideoPass() : program_("quad.vert", "video.frag"), empty_vao_(VertexArray::create()) {}

void VideoPass::draw(const ImageTexture& image, const glm::vec4& ndc_rect, const glm::vec4& uv_rect,
                     float opacity) const {
  if (image.empty()) return;
  glDisable(GL_DEPTH_TEST);
  if (opacity < 1.f) {
    glEnable(GL_BLEND);
    glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
  } else {
    glDisable(GL_BLEND);
  }
  program_.use();
  program_.set("rect", ndc_rect);
  program_.set("uv_rect", uv_rect);
  program_.set("opacity", opacity);
  program_.set("image", 0);
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, image.id());
  glBindVertexArray(empty_vao_.id());
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray(0);
}

MapPass::MapPass() : program_("quad.vert", "map.frag"), empty_vao_(VertexArray::create()) {}

void MapPass::draw(const ImageTexture* base, const ImageTexture& values, float lo, float hi,
                   float opacity, const glm::vec4& ndc_rect, const glm::vec4& uv_rect) const {
  if (values.empty()) return;
  glDisable(GL_DEPTH_TEST);
  glDisable(GL_BLEND);
  program_.use();
  program_.set("rect", ndc_rect);
  program_.set("uv_rect", uv_rect);
  program_.set("lo", lo);
  program_.set("hi", hi);
  program_.set("opacity", opacity);
  const bool with_base = base && !base->empty();
  program_.set("use_base", with_base ? 1 : 0);
  program_.set("values", 0);
  program_.set("base", 1);
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, values.id());
  glActiveTexture(GL_TEXTURE1);
  glBindTexture(GL_TEXTURE_2D, with_base ? base->id() : values.id());
  glActiveTexture(GL_TEXTURE0);
  glBindVertexArray(empty_vao_.id());
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray(0);
}

// ---- Meshes ----------------------------------------------------------------------------

void MeshBuffers::upload(const std::vector<float>& positions, const std::vector<int32_t>& faces) {
  const size_t n = positions.size() / 3;
  if (n == 0 || faces.empty()) {
    index_count_ = 0;
    return;
  }
  // Normals from core/mesh, the same the exported files get (throws
  // std::invalid_argument for a face index out of range).
  const std::vector<float> normals = core::mesh::vertex_normals(positions, faces);
  interleaved_.resize(n * 6);
  for (size_t i = 0; i < n; ++i)
    for (int k = 0; k < 3; ++k) {
      interleaved_[i * 6 + k] = positions[i * 3 + k];
      interleaved_[i * 6 + 3 + k] = normals[i * 3 + k];
    }
  if (!vao_) {
    vao_ = VertexArray::create();
    vertices_ = Buffer::create();
    indices_ = Buffer::create();
    glBindVertexArray(vao_.id());
    glBindBuffer(GL_ARRAY_BUFFER, vertices_.id());
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, 6 * sizeof(float), nullptr);
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, 6 * sizeof(float),
                          reinterpret_cast<const void*>(3 * sizeof(float)));
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, indices_.id());  // recorded in the VAO
    glBindVertexArray(0);
  }
  glBindBuffer(GL_ARRAY_BUFFER, vertices_.id());
  glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(interleaved_.size() * sizeof(float)),
               interleaved_.data(), GL_STREAM_DRAW);
  if (faces_key_ != faces.data() || faces_size_ != faces.size()) {
    glBindVertexArray(vao_.id());
    glBufferData(GL_ELEMENT_ARRAY_BUFFER, static_cast<GLsizeiptr>(faces.size() * sizeof(int32_t)),
                 faces.data(), GL_STATIC_DRAW);
    glBindVertexArray(0);
    faces_key_ = faces.data();
    faces_size_ = faces.size();
  }
  index_count_ = static_cast<int>(faces.size() / 3 * 3);
}

MeshPass::MeshPass() : program_("mesh.vert", "mesh.frag") {}

void MeshPass::draw(const MeshBuffers& mesh, const glm::mat4& mvp, const MeshStyle& style) const {
  if (mesh.empty()) return;
  glEnable(GL_DEPTH_TEST);
  glDepthFunc(GL_LESS);
  if (style.opacity < 1.f) {
    glEnable(GL_BLEND);
    glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
  } else {
    glDisable(GL_BLEND);
  }
  if (style.wireframe) glPolygonMode(GL_FRONT_AND_BACK, GL_LINE);
  program_.use();
  program_.set("mvp", mvp);
  program_.set("base_color", style.color);
  program_.set("opacity", style.opacity);
  program_.set("light_dir", glm::normalize(style.light_dir));
  program_.set("view_dir", glm::normalize(style.view_dir));
  glBindVertexArray(mesh.vao_.id());
  glDrawElements(GL_TRIANGLES, mesh.index_count_, GL_UNSIGNED_INT, nullptr);
  glBindVertexArray(0);
  if (style.wireframe) glPolygonMode(GL_FRONT_AND_BACK, GL_FILL);
  glDisable(GL_BLEND);
}

// ---- Lines -----------------------------------------------------------------------------

LinePass::LinePass()
    : program_("lines.vert", "lines.frag"), vao_(VertexArray::create()), buffer_(Buffer::create()) {
  glBindVertexArray(vao_.id());
  glBindBuffer(GL_ARRAY_BUFFER, buffer_.id());
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, sizeof(LineVertex),
                        reinterpret_cast<const void*>(offsetof(LineVertex, position)));
  glEnableVertexAttribArray(1);
  glVertexAttribPointer(1, 4, GL_FLOAT, GL_FALSE, sizeof(LineVertex),
                        reinterpret_cast<const void*>(offsetof(LineVertex, color)));
  glBindVertexArray(0);
}

void LinePass::draw(const std::vector<LineVertex>& vertices, GLenum mode, const glm::mat4& mvp,
                    float point_size) const {
  if (vertices.empty()) return;
  glDisable(GL_DEPTH_TEST);
  glEnable(GL_BLEND);
  glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
  glEnable(GL_PROGRAM_POINT_SIZE);
  program_.use();
  program_.set("mvp", mvp);
  program_.set("point_size", point_size);
  program_.set("round_points", mode == GL_POINTS ? 1 : 0);
  glBindVertexArray(vao_.id());
  glBindBuffer(GL_ARRAY_BUFFER, buffer_.id());
  glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(vertices.size() * sizeof(LineVertex)),
               vertices.data(), GL_STREAM_DRAW);
  glDrawArrays(mode, 0, static_cast<GLsizei>(vertices.size()));
  glBindVertexArray(0);
  glDisable(GL_BLEND);
}

std::vector<uint8_t> read_pixels_rgb(int width, int height) {
  std::vector<uint8_t> rows(static_cast<size_t>(width) * height * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, rows.data());
  std::vector<uint8_t> flipped(rows.size());
  const size_t stride = static_cast<size_t>(width) * 3;
  for (int y = 0; y < height; ++y)
    std::copy_n(rows.data() + static_cast<size_t>(height - 1 - y) * stride, stride,
                flipped.data() + static_cast<size_t>(y) * stride);
  return flipped;
}

}  // namespace intershape::render
