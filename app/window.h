#pragma once
// The GLFW window with an OpenGL 3.3 core context, current on the thread that
// made it (main). RAII: the library is initialised by the first window and
// terminated with it. The window outlives the renderer and ImGui.

#include <stdexcept>
#include <string>

struct GLFWwindow;

namespace intershape::app {

// No display, no GL 3.3 context, ... what() says which, in plain words.
class WindowError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Window {
 public:
  // visible=false keeps it off screen (still renders into its back buffer).
  Window(int width, int height, const std::string& title, bool visible = true);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  GLFWwindow* handle() const { return window_; }
  bool should_close() const;
  void request_close();
  void framebuffer_size(int& width, int& height) const;
  void swap();
  static void poll_events();

 private:
  GLFWwindow* window_ = nullptr;
};

}  // namespace intershape::app
