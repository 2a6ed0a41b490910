#include "app/window.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

namespace intershape::app {
namespace {

std::string& last_glfw_error() {
  static std::string error;
  return error;
}

void on_glfw_error(int code, const char* description) {
  last_glfw_error() =
      std::string(description ? description : "?") + " (GLFW error " + std::to_string(code) + ")";
}

}  // namespace

Window::Window(int width, int height, const std::string& title, bool visible) {
  glfwSetErrorCallback(on_glfw_error);
  if (!glfwInit())
    throw WindowError("Could not start the window system: " + last_glfw_error() +
                      ". Is there a display? (Run under a desktop session, or headless with "
                      "xvfb-run -a -s \"-screen 0 1280x720x24\".)");
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  glfwWindowHint(GLFW_DEPTH_BITS, 24);
  glfwWindowHint(GLFW_VISIBLE, visible ? GLFW_TRUE : GLFW_FALSE);
  window_ = glfwCreateWindow(width, height, title.c_str(), nullptr, nullptr);
  if (!window_) {
    const std::string why = last_glfw_error();
    glfwTerminate();
    throw WindowError("Could not open a window with OpenGL 3.3 core: " + why);
  }
  glfwMakeContextCurrent(window_);
  glfwSwapInterval(1);
}

Window::~Window() {
  if (window_) glfwDestroyWindow(window_);
  glfwTerminate();
}

bool Window::should_close() const { return glfwWindowShouldClose(window_); }
void Window::request_close() { glfwSetWindowShouldClose(window_, GLFW_TRUE); }
void Window::framebuffer_size(int& width, int& height) const {
  glfwGetFramebufferSize(window_, &width, &height);
}
void Window::swap() { glfwSwapBuffers(window_); }
void Window::poll_events() { glfwPollEvents(); }

}  // namespace intershape::app
