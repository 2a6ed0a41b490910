#pragma once
// The shaders of shaders/, embedded at build time (shaders/embed.cmake).

#include <string>

namespace intershape::render {

struct EmbeddedShader {
  const char* name;    // file name, e.g. "mesh.frag"
  const char* source;  // NUL-terminated
  int size;            // bytes, without the NUL
};
extern const EmbeddedShader kEmbeddedShaders[];
extern const int kEmbeddedShaderCount;

// The source of shader `name`; throws ShaderError naming the missing shader
// and the ones there are.
std::string shader_source(const std::string& name);

}  // namespace intershape::render
