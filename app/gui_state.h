#pragma once
// Internal to the GUI (app/gui*.cpp): the render thread's state shared by the
// render loop and the panels. Main thread only.

#include <array>
#include <map>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "app/gui.h"
#include "app/gui_pacing.h"
#include "app/gui_recording.h"
#include "core/one_euro.h"
#include "core/overlay_fit.h"
#include "core/pipeline.h"
#include "render/passes.h"
#include "render/video_scene.h"

namespace intershape::app {

struct UiSettings {
  // Thresholds
  bool follow_hands = true;
  float keypoint_confidence = 0.3f;  // crop tracking
  float crop_margin = 0.3f;
  float crop_smoothing = 0.6f;
  float smoothing = 0.3f;           // One-Euro strength on joints, vertices, placement
  float presence_threshold = 0.5f;  // below: the hand is not drawn
  bool mirror = false;              // display only
  // false (default): while results come, the picture shown is the frame each
  // result was computed from, so mesh and image always agree. true: the newest
  // camera frame with the latest result over it (smoother video on a slow CPU,
  // but the overlay lags the picture by the result's age).
  bool live_frame = false;
  // Drawing
  bool show_video = true;
  bool show_meshes = true;
  bool show_keypoints = true;
  bool show_skeleton = true;
  bool show_crop = true;
  bool show_detections = true;  // MediaPipe's hands: palms, regions, 2D skeletons
  int crop_mode = 2;            // whole, track, detect (CropMode order)
  bool wireframe = false;
  float mesh_opacity = 1.0f;
  // Windows
  bool show_3d = true;
  bool show_attention = false;
};

struct ModelForm {
  std::string checkpoint;
  std::string mano_dir;
  int device = 0;     // auto, cpu, cuda
  int precision = 0;  // fp32, fp16
  int threads = 0;
  bool synthetic = false;
  core::ModelConfig to_config() const;
};

// One hand as drawn: smoothed joints/vertices and its GPU meshes.
struct HandView {
  bool visible = false;
  std::vector<float> joints, verts;  // smoothed, mm
  core::OverlayFit fit;              // smoothed placement
  core::OneEuroVector joints_filter, verts_filter, fit_filter;
  render::MeshBuffers view_mesh;
};

struct Orbit {
  float yaw = 0.f, pitch = 0.f;  // radians
  float distance = 3.2f;         // camera distance in radii of the hands' bounding sphere
};

struct AttentionState {
  int hand = 0;   // 0 right, 1 left
  int joint = 0;  // 0..20 within the hand
  float opacity = 0.6f;
  bool depth_slices = false;  // asks the worker for the full heatmaps
  int depth = 32;
  int stage = 1;             // 1..3
  core::ResultPtr crop_for;  // the result crop_texture was made from
};

// GL resources of the GUI; destroyed before the context.
struct Renderer {
  render::VideoSceneRenderer video_scene;  // the video with its overlays
  render::VideoPass video;
  render::MeshPass mesh;
  render::LinePass lines;
  render::MapPass maps;
  render::ImageTexture frame_texture;
  render::ImageTexture crop_texture;  // the network input of the shown result (RGB)
  render::RenderTarget view3d;
  std::map<std::string, render::RenderTarget> targets;  // per map shown in a panel
  std::map<std::string, render::ImageTexture> map_textures;
  std::map<std::string, render::MeshBuffers> stage_meshes;
};

struct GuiState {
  GuiState(core::Engine& e, const GuiConfig& c) : engine(e), config(c) {}
  core::Engine& engine;
  GuiConfig config;
  UiSettings ui;
  ModelForm form;
  std::unique_ptr<Renderer> renderer;
  std::string gl_info;

  core::FramePtr frame;    // newest frame (display)
  core::ResultPtr result;  // newest result
  std::array<HandView, 2> hands;
  std::shared_ptr<const core::Faces> faces;
  std::shared_ptr<const core::Faces> fallback_faces;  // from the MANO folder (replay)
  std::string fallback_faces_dir;
  // The MANO files are read on a thread of their own, never on the GL thread.
  std::future<std::shared_ptr<const core::Faces>> fallback_faces_loading;

  double render_hz = 0.0;    // frames drawn a second, over the last second
  double idle_share = 0.0;   // share of the last second the loop slept (0..1)
  uint64_t frames_shown = 0;
  NetworkTimes network_times;  // the network's own times of the last results
  // Set by a panel that animates: another frame follows this one at once
  // (otherwise frames are drawn only when something changed, gui_pacing.h).
  bool animate = false;

  PixelRect video_px;  // where the video is, window pixels
  bool dragging = false;
  float drag_x0 = 0, drag_y0 = 0, drag_x1 = 0, drag_y1 = 0;  // frame pixels

  Orbit orbit;
  AttentionState attention;
  std::string source_text;
  int camera_index = 0;
  GuiRecorder recorder;
  std::string record_folder = GuiRecorder::default_folder();
  std::string record_error;
  bool record_rig = true;  // write sequence.glb + BVH when a recording stops
  core::EstimateOptions requested_options;
};

// Panels (gui_panels.cpp, gui_attention.cpp).
void model_panel(GuiState& s);
void thresholds_panel(GuiState& s);
void playback_panel(GuiState& s);
void recording_panel(GuiState& s);
void stats_panel(GuiState& s);
void view3d_panel(GuiState& s);
void attention_panel(GuiState& s);

// Drawing helpers (gui.cpp).
void render_view3d(GuiState& s, int width, int height);
// Renders `values` (w x h floats) in a colour scale, over `base` when given, into
// the panel target `name` (size x size); returns its texture for ImGui::Image
// (uv0 = (0,1), uv1 = (1,0)).
unsigned int draw_map(GuiState& s, const std::string& name, const float* values, int w, int h,
                      bool over_crop, float opacity, int size);

// MANO kinematic parents of the 21 joints (tips last), for the skeleton.
inline constexpr int kJointParents[core::kJointsPerHand] = {-1, 0,  1, 2,  0,  4,  5, 0, 7,  8, 0,
                                                            10, 11, 0, 13, 14, 15, 3, 6, 12, 9};
extern const char* const kJointNames[core::kJointsPerHand];

}  // namespace intershape::app
