#pragma once
// The one place that includes the GL loader. render/ sees OpenGL through glad
// (generated at build time for GL 3.3 core + KHR_debug); it never sees GLFW.

#include <glad/gl.h>

#include <stdexcept>
#include <string>

namespace intershape::render {

// A setup failure in the renderer (no GL 3.3 context, a shader that does not
// compile, an incomplete framebuffer). what() says which and why.
class RenderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ShaderError : public RenderError {
 public:
  using RenderError::RenderError;
};

// Loads the GL 3.3 core entry points with `loader` (the window library's
// get-proc-address), on the thread whose context is current. Throws
// RenderError when the context is older than 3.3. Returns "vendor, renderer,
// version" for logs.
std::string load_gl(GLADloadfunc loader);

// Throws RenderError naming `what` if glGetError() reports an error.
void check_gl(const char* what);

}  // namespace intershape::render
