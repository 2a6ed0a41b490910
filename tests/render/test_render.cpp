// The renderer against a real GL 3.3 core context (Xvfb + Mesa llvmpipe): all
// embedded shaders compile, errors name the shader, RAII objects move, and the
// passes draw what they should into an off-screen target.

#include <doctest/doctest.h>

#include <glm/gtc/matrix_transform.hpp>

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include "render/gl.h"
#include "render/passes.h"
#include "render/shader_sources.h"

using namespace intershape::render;

namespace {

// A hidden window whose context is current for the whole test program.
struct Context {
  Context() {
    REQUIRE(glfwInit());
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
    window = glfwCreateWindow(64, 64, "test", nullptr, nullptr);
    REQUIRE(window);
    glfwMakeContextCurrent(window);
    info = load_gl(reinterpret_cast<GLADloadfunc>(glfwGetProcAddress));
  }
  ~Context() {
    glfwDestroyWindow(window);
    glfwTerminate();
  }
  GLFWwindow* window = nullptr;
  std::string info;
};

Context& context() {
  static Context c;
  return c;
}

std::vector<uint8_t> read_target(const RenderTarget& rt) {
  std::vector<uint8_t> px(static_cast<size_t>(rt.width()) * rt.height() * 4);
  rt.bind();
  glReadPixels(0, 0, rt.width(), rt.height(), GL_RGBA, GL_UNSIGNED_BYTE, px.data());
  return px;
}

}  // namespace

TEST_CASE("every embedded shader is there and compiles") {
  context();
  REQUIRE(kEmbeddedShaderCount >= 7);
  for (int i = 0; i < kEmbeddedShaderCount; ++i) {
    const std::string name = kEmbeddedShaders[i].name;
    CAPTURE(name);
    CHECK(std::string(kEmbeddedShaders[i].source).rfind("#version 330 core", 0) == 0);
    const GLenum type = name.size() > 5 && name.substr(name.size() - 5) == ".vert"
                            ? GL_VERTEX_SHADER
                            : GL_FRAGMENT_SHADER;
    Shader s = compile_shader(name, type);
    CHECK(s.id() != 0);
  }
  // The passes link their programs.
  CHECK_NOTHROW(VideoPass());
  CHECK_NOTHROW(MeshPass());
  CHECK_NOTHROW(LinePass());
  CHECK_NOTHROW(MapPass());
}

TEST_CASE("shader errors name the shader and carry the info log") {
  context();
  try {
    compile_shader("nope.frag", GL_FRAGMENT_SHADER);
    FAIL("expected a ShaderError");
  } catch (const ShaderError& e) {
    CHECK(std::string(e.what()).find("nope.frag") != std::string::npos);
    CHECK(std::string(e.what()).find("mesh.frag") != std::string::npos);  // lists what exists
  }
  try {
    compile_shader_source("broken.frag", "#version 330 core\nvoid main() { undefined_call(); }\n",
                          GL_FRAGMENT_SHADER);
    FAIL("expected a ShaderError");
  } catch (const ShaderError& e) {
    const std::string what = e.what();
    CHECK(what.find("broken.frag") != std::string::npos);
    CHECK(what.find("undefined_call") != std::string::npos);  // from the info log
  }
}

TEST_CASE("GL objects are move-only owners") {
  context();
  Buffer a = Buffer::create();
  const GLuint id = a.id();
  REQUIRE(id != 0);
  Buffer b = std::move(a);
  CHECK(a.id() == 0);
  CHECK(b.id() == id);
  CHECK(glIsBuffer(id) == GL_FALSE);  // not bound yet: generated names are not buffers
  glBindBuffer(GL_ARRAY_BUFFER, b.id());
  CHECK(glIsBuffer(id) == GL_TRUE);
  glBindBuffer(GL_ARRAY_BUFFER, 0);
  b.reset();
  CHECK(glIsBuffer(id) == GL_FALSE);
}

TEST_CASE("a mesh is drawn lit in its colour where it is, and nowhere else") {
  context();
  RenderTarget rt;
  rt.resize(64, 64);
  rt.bind();
  glClearColor(0, 0, 0, 1);
  glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
  // A square facing the viewer over the left half (pixels 0..32 in x).
  MeshBuffers quad;
  quad.upload({0, 0, 0, 32, 0, 0, 32, 64, 0, 0, 64, 0}, {0, 1, 2, 0, 2, 3});
  MeshPass pass;
  MeshStyle style;
  style.color = {1.f, 0.f, 0.f};
  style.light_dir = {0, 0, -1};
  style.view_dir = {0, 0, -1};
  const glm::mat4 mvp = glm::ortho(0.f, 64.f, 64.f, 0.f, -10.f, 10.f);
  pass.draw(quad, mvp, style);
  check_gl("mesh draw");
  const auto px = read_target(rt);
  auto at = [&](int x, int y) { return &px[(static_cast<size_t>(y) * 64 + x) * 4]; };
  CHECK(at(10, 30)[0] > 200);  // lit red
  CHECK(at(10, 30)[1] < 80);
  CHECK(at(50, 30)[0] == 0);  // the right half stays clear
}

TEST_CASE("video pass maps texture rows top-down and mirrors on request") {
  context();
  // 2x2 texture: top row red, green; bottom row blue, white (RGB).
  const uint8_t tex_rgb[12] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
  ImageTexture tex;
  tex.upload(tex_rgb, 2, 2, 6, PixelFormat::kRgb8, true);
  RenderTarget rt;
  rt.resize(32, 32);
  VideoPass pass;
  rt.bind();
  pass.draw(tex, {-1, 1, 1, -1}, {0, 0, 1, 1});
  auto px = read_target(rt);
  // glReadPixels row 0 is the bottom: bottom-left should be blue.
  auto at = [&](int x, int y_from_top) {
    return &px[(static_cast<size_t>(31 - y_from_top) * 32 + x) * 4];
  };
  CHECK(at(4, 4)[0] == 255);   // top-left red
  CHECK(at(28, 4)[1] == 255);  // top-right green
  CHECK(at(4, 28)[2] == 255);  // bottom-left blue
  rt.bind();
  pass.draw(tex, {-1, 1, 1, -1}, {1, 0, 0, 1});  // mirrored
  px = read_target(rt);
  CHECK(at(4, 4)[1] == 255);  // top-left now green
  CHECK(at(28, 4)[0] == 255);
}
