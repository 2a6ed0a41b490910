#include "render/program.h"

#include <vector>

#include <glm/gtc/type_ptr.hpp>

#include "render/shader_sources.h"

namespace intershape::render {

Shader compile_shader(const std::string& name, GLenum type) {
  return compile_shader_source(name, shader_source(name), type);
}

Shader compile_shader_source(const std::string& name, const std::string& source, GLenum type) {
  Shader shader(glCreateShader(type));
  const char* text = source.c_str();
  glShaderSource(shader.id(), 1, &text, nullptr);
  glCompileShader(shader.id());
  GLint ok = GL_FALSE;
  glGetShaderiv(shader.id(), GL_COMPILE_STATUS, &ok);
  if (ok != GL_TRUE) {
    GLint len = 0;
    glGetShaderiv(shader.id(), GL_INFO_LOG_LENGTH, &len);
    std::vector<char> log(static_cast<size_t>(std::max(len, 1)), '\0');
    glGetShaderInfoLog(shader.id(), len, nullptr, log.data());
    throw ShaderError("Shader " + name + " does not compile:\n" + log.data());
  }
  return shader;
}

Program::Program(const std::string& vert, const std::string& frag) : name_(vert + " + " + frag) {
  Shader vs = compile_shader(vert, GL_VERTEX_SHADER);
  Shader fs = compile_shader(frag, GL_FRAGMENT_SHADER);
  program_ = ProgramObject::create();
  glAttachShader(program_.id(), vs.id());
  glAttachShader(program_.id(), fs.id());
  glLinkProgram(program_.id());
  GLint ok = GL_FALSE;
  glGetProgramiv(program_.id(), GL_LINK_STATUS, &ok);
  glDetachShader(program_.id(), vs.id());
  glDetachShader(program_.id(), fs.id());
  if (ok != GL_TRUE) {
    GLint len = 0;
    glGetProgramiv(program_.id(), GL_INFO_LOG_LENGTH, &len);
    std::vector<char> log(static_cast<size_t>(std::max(len, 1)), '\0');
    glGetProgramInfoLog(program_.id(), len, nullptr, log.data());
    throw ShaderError("Program " + name_ + " does not link:\n" + log.data());
  }
}

void Program::set(const char* u, int v) const { glUniform1i(glGetUniformLocation(id(), u), v); }
void Program::set(const char* u, float v) const { glUniform1f(glGetUniformLocation(id(), u), v); }
void Program::set(const char* u, const glm::vec3& v) const {
  glUniform3fv(glGetUniformLocation(id(), u), 1, glm::value_ptr(v));
}
void Program::set(const char* u, const glm::vec4& v) const {
  glUniform4fv(glGetUniformLocation(id(), u), 1, glm::value_ptr(v));
}
void Program::set(const char* u, const glm::mat4& v) const {
  glUniformMatrix4fv(glGetUniformLocation(id(), u), 1, GL_FALSE, glm::value_ptr(v));
}

}  // namespace intershape::render
