// The Attention panel (the inspector): attention maps over the crop, per-joint
// heatmaps (max over depth, single depth slices), per-stage Gaussian maps and
// meshes. The worker is asked for these details only while the panel is open
// (apply_settings in gui.cpp).

#include <algorithm>
#include <cmath>

#include <imgui.h>
#include <glm/gtc/matrix_transform.hpp>

#include "app/gui_state.h"
#include "core/overlay_fit.h"
#include "core/preprocess.h"

namespace intershape::app {
namespace {

struct MapClick {
  bool hovered = false, clicked = false;
  float u = 0, v = 0;  // 0..1 over the map, v down
};

// Shows a map (w x h floats) at size x size; the tooltip gives the value under
// the cursor and the crop / frame pixel.
MapClick show_map(GuiState& s, const std::string& name, const float* values, int w, int h,
                  bool over_crop, int size) {
  const unsigned int tex = draw_map(s, name, values, w, h, over_crop, s.attention.opacity, size);
  const ImVec2 at = ImGui::GetCursorScreenPos();
  ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(tex)),
               ImVec2(static_cast<float>(size), static_cast<float>(size)), ImVec2(0, 1),
               ImVec2(1, 0));
  MapClick c;
  if (ImGui::IsItemHovered()) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    c.hovered = true;
    c.u = std::clamp((m.x - at.x) / size, 0.f, 0.9999f);
    c.v = std::clamp((m.y - at.y) / size, 0.f, 0.9999f);
    c.clicked = ImGui::IsMouseClicked(ImGuiMouseButton_Left);
    const int cx = static_cast<int>(c.u * w), cy = static_cast<int>(c.v * h);
    const float value = values[cy * w + cx];
    const float px = c.u * core::kInputSize, py = c.v * core::kInputSize;
    const core::CropRect& crop = s.result->crop;
    ImGui::SetTooltip(
        "%s\ncell (%d, %d) of %dx%d: %.4f\ncrop pixel (%.0f, %.0f)\nframe pixel (%.0f, %.0f)",
        name.c_str(), cx, cy, w, h, value, px, py, crop.x0 + px / crop.scale(),
        crop.y0 + py / crop.scale());
  }
  return c;
}

// The crop picture with one hand's mesh of one stage placed on its keypoints
// (crop pixels), rendered into a panel target; returns its texture.
unsigned int draw_stage_mesh(GuiState& s, int hand, int stage, int size) {
  Renderer& r = *s.renderer;
  const std::string name = "stage mesh " + std::to_string(hand);
  render::RenderTarget& rt = r.targets[name];
  rt.resize(size, size);
  rt.bind();
  glClearColor(0.f, 0.f, 0.f, 1.f);
  glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
  r.video.draw(r.crop_texture, {-1, 1, 1, -1}, {0, 0, 1, 1}, 1.f);
  const core::NetworkOutput& out = s.result->output;
  if (!s.faces || static_cast<int>(out.stages.size()) <= stage) return rt.texture();
  const auto& joints = out.stages[stage].joints3d[hand];
  const auto& verts = out.stages[stage].verts3d[hand];
  if (verts.empty() || joints.size() < static_cast<size_t>(core::kJointsPerHand) * 3)
    return rt.texture();
  std::array<std::array<float, 3>, core::kJointsPerHand> kp{};
  for (int j = 0; j < core::kJointsPerHand; ++j) {
    const auto& x = out.xyc[hand * core::kJointsPerHand + j];
    kp[j] = {x[0] * 4.f, x[1] * 4.f, x[2]};  // heatmap cell -> crop pixel
  }
  const core::OverlayFit fit = core::fit_overlay(joints, kp.data());
  if (!fit.ok) return rt.texture();
  render::MeshBuffers& mesh = r.stage_meshes[name];
  mesh.upload(core::apply_overlay(verts, fit), (*s.faces)[hand]);
  const float n = static_cast<float>(core::kInputSize);
  const glm::mat4 mvp = glm::ortho(0.f, n, n, 0.f, -8 * n, 8 * n) *
                        glm::scale(glm::mat4(1.f), glm::vec3(1.f, 1.f, -1.f));
  render::MeshStyle style;
  const float* c = hand == 0 ? kRightHandColor : kLeftHandColor;
  style.color = {c[0], c[1], c[2]};
  style.opacity = 0.75f;
  style.light_dir = glm::normalize(glm::vec3(0.3f, -0.6f, -1.f));
  r.mesh.draw(mesh, mvp, style);
  return rt.texture();
}

}  // namespace

void attention_panel(GuiState& s) {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowPos(ImVec2(kPanelColumnWidth + 10.f, 10.f), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(
      ImVec2(std::min(880.f, display.x - kPanelColumnWidth - 20.f), display.y - 20.f),
      ImGuiCond_FirstUseEver);
  if (!ImGui::Begin("Attention", &s.ui.show_attention)) {
    ImGui::End();
    return;
  }
  const core::ResultPtr result = s.result;
  if (!result || !result->network_input ||
      result->output.attention.size() !=
          static_cast<size_t>(2 * core::kHeatmapSize * core::kHeatmapSize)) {
    ImGui::TextWrapped("No result yet: the maps appear with the next network result.");
    ImGui::End();
    return;
  }
  AttentionState& a = s.attention;
  Renderer& r = *s.renderer;
  if (a.crop_for != result) {  // the network's own input for this result
    const cv::Mat& input = *result->network_input;
    r.crop_texture.upload(input.data, input.cols, input.rows, static_cast<int>(input.step),
                          render::PixelFormat::kRgb8);
    a.crop_for = result;
  }
  constexpr int n = core::kHeatmapSize;
  ImGui::SetNextItemWidth(200);
  ImGui::SliderFloat("Opacity", &a.opacity, 0.f, 1.f, "%.2f");
  ImGui::SameLine();
  ImGui::TextDisabled("(click near a keypoint to pick the joint)");

  // Attention maps, right and left, over the crop.
  for (int h = 0; h < 2; ++h) {
    if (h) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Text("%s attention", h == 0 ? "Right" : "Left");
    const MapClick c =
        show_map(s, h == 0 ? "right attention" : "left attention",
                 &result->output.attention[static_cast<size_t>(h) * n * n], n, n, true, 220);
    if (c.clicked) {  // nearest keypoint of this hand
      float best = 1e9f;
      for (int j = 0; j < core::kJointsPerHand; ++j) {
        const auto& x = result->output.xyc[h * core::kJointsPerHand + j];
        const float d = std::hypot(x[0] - c.u * n, x[1] - c.v * n);
        if (d < best) {
          best = d;
          a.hand = h;
          a.joint = j;
        }
      }
    }
    ImGui::EndGroup();
  }

  // The chosen joint.
  ImGui::SameLine();
  ImGui::BeginGroup();
  const char* hands[] = {"right", "left"};
  ImGui::SetNextItemWidth(120);
  ImGui::Combo("Hand", &a.hand, hands, 2);
  ImGui::SetNextItemWidth(120);
  ImGui::Combo("Joint", &a.joint, kJointNames, core::kJointsPerHand);
  const int joint = a.hand * core::kJointsPerHand + a.joint;
  const auto& xyc = result->output.xyc[joint];
  ImGui::Text("argmax (%.0f, %.0f), confidence %.3f", xyc[0], xyc[1], xyc[2]);
  ImGui::Checkbox("Depth slices", &a.depth_slices);
  if (a.depth_slices) {
    ImGui::SetNextItemWidth(160);
    ImGui::SliderInt("Depth", &a.depth, 0, n - 1);
  }
  ImGui::EndGroup();

  const auto detail = result->output.attention_detail;
  if (!detail || detail->heatmap_depth_max.size() != static_cast<size_t>(core::kJoints) * n * n) {
    ImGui::TextWrapped("Waiting for a result with the inspector's details...");
    ImGui::End();
    return;
  }
  ImGui::BeginGroup();
  ImGui::Text("%s %s: max over depth", hands[a.hand], kJointNames[a.joint]);
  show_map(s, "joint heatmap", &detail->heatmap_depth_max[static_cast<size_t>(joint) * n * n], n, n,
           false, 160);
  ImGui::EndGroup();
  if (a.depth_slices) {
    ImGui::SameLine();
    ImGui::BeginGroup();
    if (detail->heatmaps.size() == static_cast<size_t>(core::kJoints) * n * n * n) {
      ImGui::Text("depth %d", a.depth);
      show_map(s, "depth slice",
               &detail->heatmaps[(static_cast<size_t>(joint) * n + a.depth) * n * n], n, n, false,
               160);
    } else {
      ImGui::TextWrapped("Waiting for the full heatmaps...");
    }
    ImGui::EndGroup();
  }

  // Refinement stages: the Gaussian map each hand's stage used, and its mesh.
  ImGui::Separator();
  ImGui::SetNextItemWidth(200);
  ImGui::SliderInt("Stage", &a.stage, 1, 3);
  const int side = 8 << (a.stage - 1);
  for (int h = 0; h < 2; ++h) {
    if (h) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Text("%s, stage %d map (%dx%d)", hands[h], a.stage, side, side);
    const auto& m = detail->stage_maps[h][a.stage - 1];
    if (m.size() == static_cast<size_t>(side) * side)
      show_map(s, std::string(hands[h]) + " stage map", m.data(), side, side, false, 128);
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Text("%s, stage %d mesh", hands[h], a.stage);
    const unsigned int tex = draw_stage_mesh(s, h, a.stage, 128);
    ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(tex)), ImVec2(128, 128),
                 ImVec2(0, 1), ImVec2(1, 0));
    ImGui::EndGroup();
  }
  ImGui::End();
}

}  // namespace intershape::app
