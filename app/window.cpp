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

// Every event that changes what the window shows marks it. The callbacks are
// installed before ImGui's backend, which chains to them for the kinds it
// handles itself (ImGui 1.86: focus, cursor enter, buttons, scroll, keys, chars).
void mark(GLFWwindow* w) {
  if (auto* self = static_cast<bool*>(glfwGetWindowUserPointer(w))) *self = true;
}
void install_activity_callbacks(GLFWwindow* w) {
  glfwSetWindowFocusCallback(w, [](GLFWwindow* w, int) { mark(w); });
  glfwSetCursorEnterCallback(w, [](GLFWwindow* w, int) { mark(w); });
  glfwSetMouseButtonCallback(w, [](GLFWwindow* w, int, int, int) { mark(w); });
  glfwSetScrollCallback(w, [](GLFWwindow* w, double, double) { mark(w); });
  glfwSetKeyCallback(w, [](GLFWwindow* w, int, int, int, int) { mark(w); });
  glfwSetCharCallback(w, [](GLFWwindow* w, unsigned int) { mark(w); });
  glfwSetCursorPosCallback(w, [](GLFWwindow* w, double, double) { mark(w); });
  glfwSetWindowSizeCallback(w, [](GLFWwindow* w, int, int) { mark(w); });
  glfwSetFramebufferSizeCallback(w, [](GLFWwindow* w, int, int) { mark(w); });
  glfwSetWindowRefreshCallback(w, [](GLFWwindow* w) { mark(w); });
  glfwSetWindowIconifyCallback(w, [](GLFWwindow* w, int) { mark(w); });
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
  glfwSetWindowUserPointer(window_, &activity_);
  install_activity_callbacks(window_);
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
void Window::wait_events(double timeout_s) {
  if (timeout_s > 0)
    glfwWaitEventsTimeout(timeout_s);
  else
    glfwPollEvents();
}
void Window::post_empty_event() { glfwPostEmptyEvent(); }
bool Window::take_activity() {
  const bool any = activity_;
  activity_ = false;
  return any;
}
int Window::refresh_rate_hz() {
  GLFWmonitor* monitor = glfwGetPrimaryMonitor();
  const GLFWvidmode* mode = monitor ? glfwGetVideoMode(monitor) : nullptr;
  return mode ? mode->refreshRate : 0;
}

}  // namespace intershape::app
