#pragma once
// Shader programs from the embedded shader files.

#include <string>

#include <glm/glm.hpp>

#include "render/gl_objects.h"

namespace intershape::render {

// Compiles one embedded shader; throws ShaderError with the shader's name and
// the compiler's info log.
Shader compile_shader(const std::string& name, GLenum type);
// The same for a given source text (`name` is used in messages).
Shader compile_shader_source(const std::string& name, const std::string& source, GLenum type);

class Program {
 public:
  Program() = default;
  // Compiles and links `vert` + `frag` (names in shaders/); throws ShaderError
  // naming them with the info log.
  Program(const std::string& vert, const std::string& frag);

  void use() const { glUseProgram(program_.id()); }
  GLuint id() const { return program_.id(); }
  const std::string& name() const { return name_; }

  // Uniform setters; the program must be in use. Unknown names are ignored
  // (GL reports -1 for uniforms the compiler optimised away).
  void set(const char* uniform, int v) const;
  void set(const char* uniform, float v) const;
  void set(const char* uniform, const glm::vec3& v) const;
  void set(const char* uniform, const glm::vec4& v) const;
  void set(const char* uniform, const glm::mat4& v) const;

 private:
  ProgramObject program_;
  std::string name_;
};

}  // namespace intershape::render
