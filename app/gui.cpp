// The GUI: window, ImGui, the render loop, the video + mesh overlay and the 3D
// view. The panels are in gui_panels.cpp and gui_attention.cpp.

#include "app/gui.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <glm/gtc/matrix_transform.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include "app/gui_detections.h"
#include "app/gui_pacing.h"
#include "app/exit_codes.h"
#include "app/gui_state.h"
#include "app/window.h"
#include "core/formats/atomic_file.h"
#include "core/mesh/hand_composition.h"
#include "core/overlay_fit.h"
#include "mano/mano_model.h"
#include "core/preprocess.h"
#include "render/gl.h"

namespace intershape::app {

using namespace std::chrono;
using core::Clock;

const char* const kJointNames[core::kJointsPerHand] = {
    "wrist",   "index 1", "index 2",   "index 3",   "middle 1",   "middle 2", "middle 3",
    "pinky 1", "pinky 2", "pinky 3",   "ring 1",    "ring 2",     "ring 3",   "thumb 1",
    "thumb 2", "thumb 3", "thumb tip", "index tip", "middle tip", "ring tip", "pinky tip"};

namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted = true; }

glm::vec3 hand_color(int h) {
  const float* c = h == 0 ? kRightHandColor : kLeftHandColor;
  return {c[0], c[1], c[2]};
}

// ImGui's context and backends, torn down before the window.
struct ImGuiSession {
  ImGuiSession(GLFWwindow* window, bool fixed_layout) {
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    // The panel layout persists in the user's config folder, never in the
    // working directory; test runs start from the built-in layout.
    if (fixed_layout) {
      io.IniFilename = nullptr;
    } else {
      ini_path_ = layout_file();
      io.IniFilename = ini_path_.empty() ? nullptr : ini_path_.c_str();
    }
    ImGui::StyleColorsDark();
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowRounding = 0.f;
    style.ItemSpacing = ImVec2(8.f, 3.f);  // compact: the panel column fits 720 px
    style.FramePadding = ImVec2(4.f, 2.f);
    // Title bars stay blue when not focused, so every panel is easy to find
    // (and to check in screenshots).
    style.Colors[ImGuiCol_TitleBg] = ImVec4(0.14f, 0.25f, 0.42f, 1.f);
    style.Colors[ImGuiCol_TitleBgCollapsed] = ImVec4(0.14f, 0.25f, 0.42f, 1.f);
    const char* font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    std::error_code ec;
    if (std::filesystem::exists(font, ec)) io.Fonts->AddFontFromFileTTF(font, 14.f);
    // else: ImGui's built-in font
    ImGui_ImplGlfw_InitForOpenGL(window, true);
    ImGui_ImplOpenGL3_Init("#version 330 core");
  }
  ~ImGuiSession() {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
  }

 private:
  // $XDG_CONFIG_HOME/intershape/imgui.ini or ~/.config/intershape/imgui.ini.
  static std::string layout_file() {
    namespace fs = std::filesystem;
    fs::path base;
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
      base = xdg;
    else if (const char* home = std::getenv("HOME"); home && *home)
      base = fs::path(home) / ".config";
    else
      return {};
    std::error_code ec;
    fs::create_directories(base / "intershape", ec);
    if (ec) return {};
    return (base / "intershape" / "imgui.ini").string();
  }
  std::string ini_path_;
};

double seconds_of(Clock::time_point t) { return duration<double>(t.time_since_epoch()).count(); }

// The picture to draw under the overlay; false when it is the one shown already.
bool show_frame(GuiState& s, const core::FramePtr& frame) {
  if (!frame || frame == s.frame || frame->bgr.empty()) return false;
  s.frame = frame;
  const cv::Mat& bgr = frame->bgr;
  s.renderer->frame_texture.upload(bgr.data, bgr.cols, bgr.rows, static_cast<int>(bgr.step),
                                   render::PixelFormat::kBgr8);
  return true;
}

// A new result: smooth what is drawn; hands under the presence threshold are hidden.
void take_result(GuiState& s, core::ResultPtr r) {
  s.result = std::move(r);
  if (s.result->has_network) s.network_times.add(s.result->output.timings);
  const double t = seconds_of(s.result->finished_at);
  const core::OneEuroParams p = core::one_euro_from_strength(s.ui.smoothing);
  for (int h = 0; h < 2; ++h) {
    HandView& v = s.hands[h];
    const core::HandOutput& out = s.result->output.hands[h];
    const bool present = out.presence >= s.ui.presence_threshold &&
                         out.verts3d.size() == static_cast<size_t>(core::kVertsPerHand) * 3 &&
                         out.joints3d.size() == static_cast<size_t>(core::kJointsPerHand) * 3;
    core::OverlayFit fit;
    if (present)
      fit = core::fit_overlay(out.joints3d, &s.result->keypoints_frame[h * core::kJointsPerHand]);
    if (!present || !fit.ok) {
      v.visible = false;
      v.joints_filter.reset();
      v.verts_filter.reset();
      v.fit_filter.reset();
      continue;
    }
    v.joints_filter.set_params(p);
    v.verts_filter.set_params(p);
    v.fit_filter.set_params(p);
    v.joints = out.joints3d;
    v.verts = out.verts3d;
    v.joints_filter.filter(v.joints, t);
    v.verts_filter.filter(v.verts, t);
    std::vector<float> f = {fit.scale, fit.tx, fit.ty};
    v.fit_filter.filter(f, t);
    v.fit = {f[0], f[1], f[2], true};
    v.visible = true;
  }
}

// What the video view shows now, as plain data for render/ (the layout is
// computed in window coordinates, as ImGui and the mouse see them, and drawn in
// framebuffer pixels: they differ on high-DPI screens).
render::VideoScene video_scene(GuiState& s, int fb_w, int fb_h) {
  render::VideoScene scene;
  if (!s.frame) return scene;
  const int fw = s.frame->bgr.cols, fh = s.frame->bgr.rows;
  const ImVec2 window = ImGui::GetIO().DisplaySize;
  const float sx = window.x > 0 ? fb_w / window.x : 1.f, sy = window.y > 0 ? fb_h / window.y : 1.f;
  s.video_px = video_rect(static_cast<int>(window.x), static_cast<int>(window.y), fw, fh);
  const PixelRect& v = s.video_px;
  scene.frame_width = fw;
  scene.frame_height = fh;
  scene.viewport_x = static_cast<int>(v.x * sx);
  scene.viewport_y = static_cast<int>(fb_h - (v.y + v.h) * sy);
  scene.viewport_w = static_cast<int>(v.w * sx);
  scene.viewport_h = static_cast<int>(v.h * sy);
  scene.mirror = s.ui.mirror;
  scene.show_video = s.ui.show_video;
  scene.mesh_opacity = s.ui.mesh_opacity;
  scene.wireframe = s.ui.wireframe;
  if (s.result) {
    const auto& kp = s.result->keypoints_frame;
    if (s.ui.show_detections && s.result->detections) {
      // MediaPipe's hands, drawn under the network's keypoints.
      DetectionOverlayOptions o;
      o.skeletons = s.ui.show_skeleton || !s.result->has_network;
      detection_overlay(*s.result->detections, o, hand_color(0), hand_color(1), scene.extra_lines,
                        scene.extra_points);
    }
    for (int h = 0; h < 2 && s.result->has_network; ++h) {
      render::HandOverlay& hand = scene.hands[h];
      hand.color = hand_color(h);
      const HandView& hv = s.hands[h];
      if (s.ui.show_meshes && s.faces && hv.visible) {
        hand.mesh_verts = core::apply_overlay(hv.verts, hv.fit);  // placed by the fit
        hand.mesh_faces = std::shared_ptr<const std::vector<int32_t>>(s.faces, &(*s.faces)[h]);
      }
      if (s.result->output.hands[h].presence < s.ui.presence_threshold) continue;
      if (!s.ui.show_keypoints && !s.ui.show_skeleton) continue;
      for (int j = 0; j < core::kJointsPerHand; ++j) {
        const auto& k = kp[h * core::kJointsPerHand + j];
        hand.keypoints.emplace_back(k[0], k[1], k[2]);
      }
      hand.show_points = s.ui.show_keypoints;
      if (s.ui.show_skeleton)
        hand.skeleton_parents.assign(std::begin(kJointParents), std::end(kJointParents));
    }
    if (s.ui.show_crop && s.result->has_network) {
      const core::CropRect& c = s.result->crop;
      scene.crop = render::FrameSquare{c.x0, c.y0, c.side};
    }
  }
  if (s.dragging) {
    const float side = std::max(std::fabs(s.drag_x1 - s.drag_x0), std::fabs(s.drag_y1 - s.drag_y0));
    scene.drag = render::FrameSquare{s.drag_x1 < s.drag_x0 ? s.drag_x0 - side : s.drag_x0,
                                     s.drag_y1 < s.drag_y0 ? s.drag_y0 - side : s.drag_y0, side};
  }
  return scene;
}

void draw_scene(GuiState& s, int fb_w, int fb_h) {
  s.renderer->video_scene.draw(video_scene(s, fb_w, fb_h), s.renderer->frame_texture, fb_w, fb_h);
}

// Window pixels -> frame pixels of the shown frame (undoing the mirror).
bool window_to_frame(const GuiState& s, float mx, float my, float& fx, float& fy) {
  if (!s.frame) return false;
  const PixelRect& v = s.video_px;
  if (v.w <= 0 || mx < v.x || my < v.y || mx > v.x + v.w || my > v.y + v.h) return false;
  const float u = (mx - v.x) / v.w, w = (my - v.y) / v.h;
  fx = (s.ui.mirror ? 1.f - u : u) * s.frame->bgr.cols;
  fy = w * s.frame->bgr.rows;
  return true;
}

// Dragging on the video sets the network's crop (a square); a right click resets it.
void handle_video_mouse(GuiState& s) {
  ImGuiIO& io = ImGui::GetIO();
  float fx = 0, fy = 0;
  const bool inside = window_to_frame(s, io.MousePos.x, io.MousePos.y, fx, fy);
  if (!io.WantCaptureMouse && inside && ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
    s.dragging = true;
    s.drag_x0 = s.drag_x1 = fx;
    s.drag_y0 = s.drag_y1 = fy;
  }
  if (s.dragging) {
    if (s.frame) {
      const PixelRect& v = s.video_px;
      const float mx = std::clamp(io.MousePos.x, v.x, v.x + v.w);
      const float my = std::clamp(io.MousePos.y, v.y, v.y + v.h);
      window_to_frame(s, mx, my, s.drag_x1, s.drag_y1);
    }
    if (!ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
      s.dragging = false;
      const float side =
          std::max(std::fabs(s.drag_x1 - s.drag_x0), std::fabs(s.drag_y1 - s.drag_y0));
      if (side >= 16.f) {
        const float x0 = s.drag_x1 < s.drag_x0 ? s.drag_x0 - side : s.drag_x0;
        const float y0 = s.drag_y1 < s.drag_y0 ? s.drag_y0 - side : s.drag_y0;
        s.engine.set_manual_crop({x0, y0, side});
      } else if (s.result) {
        // A click near a keypoint picks that joint for the Attention panel.
        const float px_per_frame_px = s.video_px.w / std::max(1, s.frame->bgr.cols);
        float best = 12.f / std::max(px_per_frame_px, 1e-3f);  // 12 window pixels
        for (int j = 0; j < core::kJoints; ++j) {
          const auto& k = s.result->keypoints_frame[j];
          const float d = std::hypot(k[0] - s.drag_x1, k[1] - s.drag_y1);
          if (d < best) {
            best = d;
            s.attention.hand = j / core::kJointsPerHand;
            s.attention.joint = j % core::kJointsPerHand;
          }
        }
      }
    }
  }
  if (!io.WantCaptureMouse && inside && ImGui::IsMouseClicked(ImGuiMouseButton_Right))
    s.engine.reset_crop();
}

void apply_settings(GuiState& s) {
  core::HandFinderSettings hs = s.engine.hand_settings();
  const auto mode = static_cast<core::CropMode>(std::clamp(s.ui.crop_mode, 0, 2));
  if (hs.crop.mode != mode) {
    hs.crop.mode = mode;
    s.engine.set_hand_settings(hs);
  }
  core::CropTrackerSettings c = s.engine.crop_settings();
  c.follow = s.ui.follow_hands;
  c.min_confidence = s.ui.keypoint_confidence;
  c.margin = s.ui.crop_margin;
  c.smoothing = s.ui.crop_smoothing;
  s.engine.set_crop_settings(c);
  core::EstimateOptions o;
  o.stage_details = s.ui.show_attention;
  o.attention_details = s.ui.show_attention;
  o.full_heatmaps = s.ui.show_attention && s.attention.depth_slices;
  o.keep_input = s.ui.show_attention;  // the maps are drawn over the network's input
  if (o.keep_input != s.requested_options.keep_input ||
      o.stage_details != s.requested_options.stage_details ||
      o.attention_details != s.requested_options.attention_details ||
      o.full_heatmaps != s.requested_options.full_heatmaps) {
    s.engine.set_estimate_options(o);
    s.requested_options = o;
  }
}

// Without a model (replaying a recording), the MANO triangles come from the
// MANO folder in the Model panel, loaded once per folder on a thread of its
// own (reading the pkl files takes a while); until then meshes are not drawn.
std::shared_ptr<const core::Faces> replay_faces(GuiState& s) {
  if (!s.result || s.form.mano_dir.empty()) return nullptr;
  if (s.fallback_faces_dir != s.form.mano_dir) {
    s.fallback_faces_dir = s.form.mano_dir;
    s.fallback_faces.reset();
    s.fallback_faces_loading =
        std::async(std::launch::async, [dir = s.form.mano_dir]() -> std::shared_ptr<const core::Faces> {
          try {
            const mano::ManoPair pair = mano::load_mano_dir(dir);
            return std::make_shared<const core::Faces>(core::Faces{pair.right.faces, pair.left.faces});
          } catch (const std::exception&) {
            return nullptr;  // the Model panel reports MANO problems when the model is loaded
          }
        });
  }
  if (s.fallback_faces_loading.valid() &&
      s.fallback_faces_loading.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
    s.fallback_faces = s.fallback_faces_loading.get();
  return s.fallback_faces;
}

// How old the drawn result is, in the video's bottom-left corner.
void draw_video_caption(GuiState& s) {
  ImDrawList* draw = ImGui::GetBackgroundDrawList();
  if (!s.frame) {  // nothing to show yet: say why, where the video would be
    const core::CaptureStatus cs = s.engine.capture_status();
    const std::string text = cs.message.empty() ? "Waiting for " + cs.source + "..." : cs.message;
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    const float area = display.x - kPanelColumnWidth - kRightColumnWidth;
    const float wrap = std::max(100.f, std::min(520.f, area - 40.f));
    const ImVec2 size = ImGui::CalcTextSize(text.c_str(), nullptr, false, wrap);
    const ImVec2 at(kPanelColumnWidth + (area - size.x) / 2, (display.y - size.y) / 2);
    draw->AddText(ImGui::GetFont(), ImGui::GetFontSize(), at, IM_COL32(230, 230, 230, 255),
                  text.c_str(), nullptr, wrap);
    return;
  }
  if (s.video_px.w <= 0) return;
  char text[160];
  if (s.result) {
    const double age =
        duration<double, std::milli>(Clock::now() - s.result->frame->captured_at).count();
    std::snprintf(text, sizeof text, "frame %lld, result of frame %lld (%.0f ms old)",
                  static_cast<long long>(s.frame->index),
                  static_cast<long long>(s.result->frame->index), age);
  } else {
    std::snprintf(text, sizeof text, "frame %lld, no result",
                  static_cast<long long>(s.frame->index));
  }
  const ImVec2 at(s.video_px.x + 6.f, s.video_px.y + s.video_px.h - ImGui::GetFontSize() - 6.f);
  const ImVec2 size = ImGui::CalcTextSize(text);
  draw->AddRectFilled(ImVec2(at.x - 3, at.y - 2), ImVec2(at.x + size.x + 3, at.y + size.y + 2),
                      IM_COL32(0, 0, 0, 150));
  draw->AddText(at, IM_COL32(255, 255, 255, 230), text);
}

// Encoded in memory, written through the atomic writer: a failure names its
// reason ("No space left on device"), which cv::imwrite does not give.
void save_screenshot(const std::string& path, int w, int h) {
  std::vector<uint8_t> rgb = render::read_pixels_rgb(w, h);
  cv::Mat img(h, w, CV_8UC3, rgb.data());
  cv::Mat bgr;
  cv::cvtColor(img, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> png;
  if (!cv::imencode(".png", bgr, png))
    throw render::RenderError("Could not encode the screenshot " + path);
  try {
    core::formats::write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(png.data()),
                                                            png.size()));
  } catch (const core::formats::ExportError& e) {
    throw render::RenderError(std::string("Could not write the screenshot: ") + e.what());
  }
}

}  // namespace

PixelRect video_rect(int window_w, int window_h, int frame_w, int frame_h) {
  PixelRect r;
  const float area_x = static_cast<float>(kPanelColumnWidth);
  const float area_w = std::max(1.f, static_cast<float>(window_w - kRightColumnWidth) - area_x);
  const float area_h = static_cast<float>(window_h);
  if (frame_w <= 0 || frame_h <= 0) return r;
  const float scale = std::min(area_w / frame_w, area_h / frame_h);
  r.w = std::floor(frame_w * scale);
  r.h = std::floor(frame_h * scale);
  r.x = std::floor(area_x + (area_w - r.w) / 2);
  r.y = std::floor((area_h - r.h) / 2);
  return r;
}

core::ModelConfig ModelForm::to_config() const {
  core::ModelConfig c;
  c.checkpoint = checkpoint;
  c.mano_dir = mano_dir;
  static const char* kDevices[] = {"auto", "cpu", "cuda"};
  static const char* kPrecisions[] = {"fp32", "fp16"};
  c.device = kDevices[std::clamp(device, 0, 2)];
  c.precision = kPrecisions[std::clamp(precision, 0, 1)];
  c.threads = threads;
  c.synthetic = synthetic;
  return c;
}

void render_view3d(GuiState& s, int width, int height) {
  Renderer& r = *s.renderer;
  r.view3d.resize(width, height);
  r.view3d.bind();
  glClearColor(0.13f, 0.14f, 0.16f, 1.f);
  glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
  if (s.result && !s.result->has_network && s.result->detections &&
      !s.result->detections->hands.empty()) {
    // Skeleton mode: MediaPipe's world landmarks (metres), seen as the camera saw them.
    const std::vector<render::LineVertex> lines =
        world_skeleton_lines(*s.result->detections, hand_color(0), hand_color(1));
    glm::vec3 centre(0.f);
    for (const auto& v : lines) centre += v.position;
    centre /= static_cast<float>(lines.size());
    float radius = 1e-3f;
    for (const auto& v : lines) radius = std::max(radius, glm::length(v.position - centre));
    const Orbit& o = s.orbit;
    const glm::vec3 dir(std::sin(o.yaw) * std::cos(o.pitch), -std::sin(o.pitch),
                        -std::cos(o.yaw) * std::cos(o.pitch));
    const float distance = o.distance * radius;
    const glm::mat4 view = glm::lookAt(centre + distance * dir, centre, glm::vec3(0.f, -1.f, 0.f));
    const glm::mat4 proj = glm::perspective(glm::radians(40.f), static_cast<float>(width) / height,
                                            0.02f * distance, distance + 4.f * radius);
    r.lines.draw(lines, GL_LINES, proj * view);
    return;
  }
  if (!s.result || !s.faces) return;
  std::array<std::vector<float>, 2> composed;
  glm::vec3 centre(0.f);
  int n = 0;
  for (int h = 0; h < 2; ++h) {
    if (!s.hands[h].visible) continue;
    composed[h] = core::mesh::compose_hand(static_cast<core::Hand>(h), s.hands[h].verts,
                                           s.hands[h].joints, s.result->output.trans);
    for (size_t i = 0; i + 2 < composed[h].size(); i += 3, ++n)
      centre += glm::vec3(composed[h][i], composed[h][i + 1], composed[h][i + 2]);
  }
  if (n == 0) return;
  centre /= static_cast<float>(n);
  float radius = 1e-3f;  // frame both hands whatever their units
  for (const auto& c : composed)
    for (size_t i = 0; i + 2 < c.size(); i += 3)
      radius = std::max(radius, glm::length(glm::vec3(c[i], c[i + 1], c[i + 2]) - centre));
  const Orbit& o = s.orbit;
  // Camera space of the network: x right, y down, z away from the camera; at
  // yaw = pitch = 0 we look along +z, as the camera did.
  const glm::vec3 dir(std::sin(o.yaw) * std::cos(o.pitch), -std::sin(o.pitch),
                      -std::cos(o.yaw) * std::cos(o.pitch));
  const float distance = o.distance * radius;
  const glm::vec3 eye = centre + distance * dir;
  const glm::mat4 view = glm::lookAt(eye, centre, glm::vec3(0.f, -1.f, 0.f));
  const glm::mat4 proj = glm::perspective(glm::radians(40.f), static_cast<float>(width) / height,
                                          0.02f * distance, distance + 4.f * radius);
  for (int h = 0; h < 2; ++h) {
    if (composed[h].empty()) continue;
    s.hands[h].view_mesh.upload(composed[h], (*s.faces)[h]);
    render::MeshStyle style;
    style.color = hand_color(h);
    style.wireframe = s.ui.wireframe;
    style.view_dir = glm::normalize(dir);
    style.light_dir = glm::normalize(dir + glm::vec3(0.3f, -0.5f, 0.f));
    r.mesh.draw(s.hands[h].view_mesh, proj * view, style);
  }
}

unsigned int draw_map(GuiState& s, const std::string& name, const float* values, int w, int h,
                      bool over_crop, float opacity, int size) {
  Renderer& r = *s.renderer;
  render::ImageTexture& tex = r.map_textures[name];
  tex.upload(values, w, h, w * static_cast<int>(sizeof(float)), render::PixelFormat::kR32f, true);
  // The colour scale spans the map's own range (raw network values need not
  // be probabilities).
  float lo = values[0], hi = values[0];
  for (int i = 1; i < w * h; ++i) {
    lo = std::min(lo, values[i]);
    hi = std::max(hi, values[i]);
  }
  if (hi <= lo) hi = lo + 1e-6f;
  render::RenderTarget& rt = r.targets[name];
  rt.resize(size, size);
  rt.bind();
  // Texture row 0 is the map's top; the target's row 0 is its bottom, and
  // ImGui shows it flipped (uv (0,1)-(1,0)), so draw top row at the top (y = +1).
  r.maps.draw(over_crop ? &r.crop_texture : nullptr, tex, lo, hi, over_crop ? opacity : 1.f,
              {-1, 1, 1, -1}, {0, 0, 1, 1});
  return rt.texture();
}

namespace {

// Whether results are coming: then the picture shown is each result's frame.
// "Recently" scales with the network's own rate: on a loaded CPU a pass can take
// over a second, and switching to the live frames between results would draw at
// the camera's rate, on the cores the network needs.
bool results_flowing(const GuiState& s, const core::WorkerStatus& ws) {
  if (!s.result) return false;
  // The result rate, or the last pass's own time (the rate needs two results).
  const double pass_s = (ws.preprocess_ms + ws.network_ms + ws.palm_ms + ws.landmarks_ms) / 1000.0;
  const double period = std::max(ws.rate_hz > 0 ? 1.0 / ws.rate_hz : 0.0, pass_s);
  const double patience = std::clamp(3.0 * period, 1.0, 10.0);
  return Clock::now() - s.result->finished_at < duration<double>(patience);
}

}  // namespace

int run_gui(const GuiConfig& config, core::EstimatorFactory factory) {
  const bool test_mode = config.frames > 0 && !config.screenshot.empty();
  // A missing camera is shown in the Playback panel; OpenCV's own warnings
  // about it would only repeat that on the terminal every retry.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
  core::Engine engine(std::move(factory), config.detector);
  engine.set_hand_settings(config.hands);
  // The window outlives everything that holds GL objects (declared later,
  // destroyed earlier, also when an exception leaves this function).
  Window window(config.width, config.height, "Intershape Live");
  const std::string gl_info = render::load_gl(reinterpret_cast<GLADloadfunc>(glfwGetProcAddress));
  ImGuiSession imgui(window.handle(), test_mode || !config.remember_layout);

  GuiState s(engine, config);
  s.gl_info = gl_info;
  s.renderer = std::make_unique<Renderer>();  // compiles the shaders: fails early and clearly
  s.form.checkpoint = config.model.checkpoint;
  s.form.mano_dir = config.model.mano_dir;
  s.form.device = config.model.device == "cpu"                ? 1
                  : config.model.device.rfind("cuda", 0) == 0 ? 2
                                                              : 0;
  s.form.precision = config.model.precision == "fp16" ? 1 : 0;
  s.form.threads = config.model.threads;
  s.form.synthetic = config.model.synthetic;
  s.source_text = config.source.kind == core::SourceSpec::Kind::kCamera ? "" : config.source.path;
  s.camera_index = config.source.camera;
  s.ui.presence_threshold = config.presence_threshold;
  s.ui.show_keypoints = config.show_keypoints;
  s.ui.crop_mode = static_cast<int>(config.hands.crop.mode);
  s.ui.show_skeleton = config.show_skeleton;
  if (config.panel == "attention") s.ui.show_attention = true;
  if (config.panel == "3d") s.ui.show_3d = true;

  if (test_mode) {
    engine.capture().set_pacing(core::Pacing::kEveryFrame);
    engine.capture().set_last_frame(config.frames - 1);
  }
  apply_settings(s);
  engine.set_rerun_recorded(config.rerun_recorded);
  engine.start(config.source, config.model, config.load_model);
  if (!config.record_folder.empty()) {
    s.record_folder = config.record_folder;
    s.record_error = s.recorder.start(config.record_folder, engine, "{}");
    if (!s.record_error.empty())
      throw std::runtime_error("Cannot record into " + config.record_folder + ": " +
                               s.record_error);
  }

  g_interrupted = false;
  auto previous_handler = std::signal(SIGINT, on_sigint);

  GuiRunReport report;
  int exit_code = 0;
  bool recording_error_shown = false;
  bool screenshot_saved = false;
  int settle = -1;  // screenshot mode: frames left to render once the last result is in
  // The loop sleeps in the window's event queue until something changes; the
  // capture and worker threads wake it (gui_pacing.h says why). The hook is
  // removed before the window goes (WakeGuard), as producers may still run.
  engine.set_wake(&Window::post_empty_event);
  struct WakeGuard {
    core::Engine& e;
    ~WakeGuard() { e.set_wake({}); }
  } wake_guard{engine};
  PacingSettings pacing;
  if (const int hz = Window::refresh_rate_hz(); hz >= 30 && hz <= 240) pacing.min_period_s = 1.0 / hz;
  RedrawPacer pacer(pacing);
  pacer.activity();  // ImGui lays its windows out over the first frames
  LoopStats loop_stats(Clock::now());
  // The finish time of the first result not drawn yet (none: max()).
  Clock::time_point result_to_show = Clock::time_point::max();
  core::FramePtr pending_frame;           // taken, not shown yet (10 Hz while waiting for results)
  Clock::time_point last_live_shown{};    // when a frame was last shown as it came
  constexpr auto kWaitingFramePeriod = std::chrono::milliseconds(100);
  while (!window.should_close() && !g_interrupted) {
    {
      const auto before = Clock::now();
      double wait_s = pacer.wait_s(before);
      if (pending_frame)  // a frame held back (below) is shown when its time comes
        wait_s = std::min(wait_s, std::max(0.0, duration<double>(last_live_shown +
                                                                 kWaitingFramePeriod - before)
                                                    .count()));
      Window::wait_events(wait_s);
      loop_stats.slept(duration<double>(Clock::now() - before).count());
    }
    if (window.take_activity()) pacer.activity();
    // The newest frame and result; never waits for inference. While results
    // come (a model, or a replay), the picture shown is each result's own
    // frame unless the user chose the live frame.
    const core::WorkerStatus ws_now = engine.worker_status();
    const bool follow_results = !s.ui.live_frame && results_flowing(s, ws_now);
    const bool results_expected = ws_now.state == core::WorkerStatus::State::kReady ||
                                  ws_now.state == core::WorkerStatus::State::kLoading ||
                                  engine.replaying();
    if (auto f = engine.take_frame()) {
      pending_frame = follow_results ? nullptr : *f;
      // Frames are recorded on their own only when no result will come for them.
      s.recorder.on_frame(*f, results_expected);
    }
    if (pending_frame) {
      // While the model loads or its first results are on their way, camera
      // frames are shown at most 10 a second: the load and the first passes
      // run on the cores a software rasteriser would draw with, and the video
      // soon follows the results anyway. Otherwise each frame as it comes.
      const bool throttle = results_expected && !s.ui.live_frame;
      const auto due = last_live_shown + (throttle ? kWaitingFramePeriod : Clock::duration::zero());
      if (Clock::now() >= due) {
        if (show_frame(s, pending_frame)) pacer.invalidate();
        pending_frame.reset();
        last_live_shown = Clock::now();
      }
    }
    if (std::optional<core::ResultPtr> r = engine.take_result(); r && *r) {
      take_result(s, *r);
      if (!s.ui.live_frame) {
        show_frame(s, s.result->frame);
        pending_frame.reset();  // older than the result's own frame, or as old
      }
      s.recorder.on_result(s.result);
      ++report.results_seen;
      result_to_show = std::min(result_to_show, s.result->finished_at);
      pacer.invalidate();
    }
    if (s.recorder.recording() && !recording_error_shown) {
      const RecordingStatus rs = s.recorder.status();
      if (!rs.error.empty()) {  // said once, when it happens; again at the end
        std::fprintf(stderr, "intershape: recording: %s\n", rs.error.c_str());
        recording_error_shown = true;
      }
    }
    {
      // A skipped frame is a per-frame outcome: named on stderr, counted, and
      // the run goes on (issue 14, item 1).
      for (const std::string& problem : engine.capture().take_problems()) {
        std::fprintf(stderr, "intershape: warning: %s\n", problem.c_str());
        ++report.frames_skipped;
      }
    }
    {
      auto faces = engine.faces();
      if (!faces) faces = replay_faces(s);
      if (faces != s.faces) pacer.invalidate();
      s.faces = std::move(faces);
    }
    const auto now = Clock::now();
    loop_stats.update(now);
    if (!pacer.should_draw(now)) continue;
    if (report.results_seen == 0) ++report.frames_rendered_before_first_result;
    s.render_hz = loop_stats.render_hz();
    s.idle_share = loop_stats.idle_share();
    s.animate = false;

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    model_panel(s);
    playback_panel(s);
    thresholds_panel(s);
    recording_panel(s);
    stats_panel(s);
    if (s.ui.show_3d) view3d_panel(s);
    if (s.ui.show_attention) attention_panel(s);
    handle_video_mouse(s);
    apply_settings(s);
    draw_video_caption(s);
    ImGui::Render();

    int fb_w = 0, fb_h = 0;
    window.framebuffer_size(fb_w, fb_h);
    draw_scene(s, fb_w, fb_h);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    ++s.frames_shown;
    ++report.frames_rendered;
    if (report.first_result_s == 0.0 && report.results_seen > 0)
      report.first_result_s = loop_stats.total_s(Clock::now());
    if (result_to_show != Clock::time_point::max()) {
      const double ms = duration<double, std::milli>(Clock::now() - result_to_show).count();
      report.max_result_to_screen_ms = std::max(report.max_result_to_screen_ms, ms);
      result_to_show = Clock::time_point::max();
    }

    if (test_mode) {
      const core::CaptureStatus cs = engine.capture_status();
      const core::WorkerStatus ws = engine.worker_status();
      // Done when the source has nothing more to give (frame limit, end, or an
      // error), the newest frame is on screen, and its result is in, or no
      // result can come (no model, or it failed).
      const bool capture_error = cs.state == core::CaptureStatus::State::kError;
      const bool last_frame_shown =
          s.frame &&
          (cs.state == core::CaptureStatus::State::kEnded || s.frame->index >= config.frames - 1) &&
          s.frame->index >= cs.position - 1;
      // Skeleton mode: with MediaPipe's models loading or loaded, results come
      // without a network.
      const bool detector_busy =
          config.detector && (ws.detector.empty() || ws.detector == "ready");
      const bool model_idle = (ws.state == core::WorkerStatus::State::kError ||
                               ws.state == core::WorkerStatus::State::kNoModel) &&
                              !detector_busy;
      const bool result_for_it = s.result && s.result->frame == s.frame;
      if (settle < 0 && (capture_error || (last_frame_shown && (result_for_it || model_idle))))
        settle = 3;
      if (settle == 0) {
        save_screenshot(config.screenshot, fb_w, fb_h);
        screenshot_saved = true;
        // The exit status (app/exit_codes.h): the source or the model could not
        // be opened. The screenshot above still shows the error in the window.
        if (cs.state == core::CaptureStatus::State::kError) {
          std::fprintf(stderr, "intershape: %s\n", cs.message.c_str());
          exit_code = kModelOrSource;
        } else if (config.load_model && ws.state == core::WorkerStatus::State::kError) {
          std::fprintf(stderr, "intershape: the model did not load: %s\n", ws.message.c_str());
          exit_code = kModelOrSource;
        }
        window.request_close();
      }
      if (settle > 0) --settle;
      if (settle >= 0) s.animate = true;  // the settle frames come one after another
    }
    window.swap();
    pacer.drawn(now);
    if (s.animate || s.dragging) pacer.animate();  // for the next frame
    loop_stats.drawn(now);
    if (report.frames_rendered == 1 && config.on_first_frame) config.on_first_frame();
  }
  std::signal(SIGINT, previous_handler);
  if (test_mode && !screenshot_saved) {
    // Interrupted (SIGINT, window closed) before the frames were in: no
    // screenshot, so not a success (was: exit 0).
    std::fprintf(stderr, "intershape: interrupted before the screenshot; %s not written\n",
                 config.screenshot.c_str());
    exit_code = std::max<int>(exit_code, kFailure);
  }
  {
    const core::CaptureStatus cs = engine.capture_status();
    if (cs.items_failed > 0) {
      // 0 only if every picture was processed (app/exit_codes.h); files that
      // are not pictures are only skipped.
      std::fprintf(stderr, "intershape: %llu frame(s) could not be read and were skipped\n",
                   static_cast<unsigned long long>(cs.items_failed));
      exit_code = std::max<int>(exit_code, kFailure);
    }
  }
  report.last_result = s.result;
  report.seconds = loop_stats.total_s(Clock::now());
  report.idle_seconds = loop_stats.total_idle_s();
  report.network_ms_median = s.network_times.median_total_ms();
  report.internet_ms_median = s.network_times.median_internet_ms();
  report.network_results = s.network_times.count();
  if (config.report) *config.report = report;

  s.recorder.stop();  // finishes the session folder (drains its own queue)
  if (!s.recorder.last_error().empty()) {
    // Recording failures surface: stderr, the exit code and the manifest's
    // "error" (written by the recorder). Was: exit 0 in silence.
    std::fprintf(stderr, "intershape: the recording into %s is incomplete: %s\n",
                 s.recorder.last_folder().c_str(), s.recorder.last_error().c_str());
    exit_code = std::max<int>(exit_code, kFailure);
  }
  // Shutdown order: request stop -> close slots -> join (Engine::stop) ->
  // destroy GL objects -> ImGui -> the context (the window, last).
  engine.stop();
  for (HandView& h : s.hands) {
    h.view_mesh = render::MeshBuffers();
  }
  s.renderer.reset();
  return exit_code;
}

}  // namespace intershape::app
