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
  // Sleeps until a window event arrives, post_empty_event() is called or
  // `timeout_s` passes, then handles the events (main thread).
  static void wait_events(double timeout_s);
  // Any thread: wakes wait_events() (glfwPostEmptyEvent is thread-safe).
  static void post_empty_event();
  // True when input (keys, mouse, scroll, focus), a resize or an expose
  // arrived since the last call: the picture must be drawn again.
  bool take_activity();
  // The monitor's refresh rate in Hz, 0 when unknown (e.g. Xvfb).
  static int refresh_rate_hz();

 private:
  GLFWwindow* window_ = nullptr;
  bool activity_ = true;  // set by the GLFW callbacks (main thread)
};

}  // namespace intershape::app
