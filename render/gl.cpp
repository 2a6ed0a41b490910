#include "render/gl.h"

#include <algorithm>

#include "render/shader_sources.h"

namespace intershape::render {

std::string load_gl(GLADloadfunc loader) {
  const int version = gladLoadGL(loader);
  if (version == 0) throw RenderError("Could not load the OpenGL functions (no current context?).");
  if (GLAD_VERSION_MAJOR(version) < 3 ||
      (GLAD_VERSION_MAJOR(version) == 3 && GLAD_VERSION_MINOR(version) < 3))
    throw RenderError("OpenGL 3.3 is needed; this context offers " +
                      std::to_string(GLAD_VERSION_MAJOR(version)) + "." +
                      std::to_string(GLAD_VERSION_MINOR(version)) + ".");
  auto str = [](GLenum e) {
    const GLubyte* s = glGetString(e);
    return s ? std::string(reinterpret_cast<const char*>(s)) : std::string("?");
  };
  return str(GL_VENDOR) + ", " + str(GL_RENDERER) + ", " + str(GL_VERSION);
}

void check_gl(const char* what) {
  const GLenum e = glGetError();
  if (e != GL_NO_ERROR) {
    while (glGetError() != GL_NO_ERROR) {
    }
    throw RenderError(std::string("OpenGL error ") + std::to_string(e) + " in " + what);
  }
}

std::string shader_source(const std::string& name) {
  for (int i = 0; i < kEmbeddedShaderCount; ++i)
    if (name == kEmbeddedShaders[i].name)
      return std::string(kEmbeddedShaders[i].source, static_cast<size_t>(kEmbeddedShaders[i].size));
  std::string known;
  for (int i = 0; i < kEmbeddedShaderCount; ++i)
    known += std::string(i ? ", " : "") + kEmbeddedShaders[i].name;
  throw ShaderError("Shader \"" + name + "\" is not embedded in this build (there are: " + known +
                    ").");
}

}  // namespace intershape::render
