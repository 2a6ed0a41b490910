// The ImGui panels: Model, Playback, Thresholds, Recording, Stats, 3D view.

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <imgui.h>
#include <imgui_stdlib.h>

#include "app/gui_state.h"
#include "core/session/session_source.h"

namespace intershape::app {

using namespace std::chrono;

namespace {

const ImVec4 kErrorColor(1.f, 0.45f, 0.4f, 1.f);
const ImVec4 kHintColor(0.75f, 0.8f, 0.9f, 1.f);

void place(const char* /*name*/, float x, float y, float w, float h) {
  ImGui::SetNextWindowPos(ImVec2(x, y), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(w, h), ImGuiCond_FirstUseEver);
}

float window_width() { return ImGui::GetIO().DisplaySize.x; }
float window_height() { return ImGui::GetIO().DisplaySize.y; }

}  // namespace

void model_panel(GuiState& s) {
  place("Model", 0, 0, kPanelColumnWidth, 238);
  if (!ImGui::Begin("Model")) {
    ImGui::End();
    return;
  }
  ImGui::PushItemWidth(-90);
  ImGui::InputText("Checkpoint", &s.form.checkpoint);
  ImGui::InputText("MANO folder", &s.form.mano_dir);
  const char* devices[] = {"auto", "cpu", "cuda"};
  ImGui::Combo("Device", &s.form.device, devices, 3);
  const char* precisions[] = {"fp32", "fp16 (CUDA)"};
  ImGui::Combo("Precision", &s.form.precision, precisions, 2);
  ImGui::Checkbox("Synthetic weights (tests)", &s.form.synthetic);
  ImGui::PopItemWidth();
  const core::WorkerStatus ws = s.engine.worker_status();
  const bool loaded = ws.state == core::WorkerStatus::State::kReady;
  if (ImGui::Button(loaded ? "Reload" : "Load")) s.engine.reload_model(s.form.to_config());
  if (loaded) {
    ImGui::SameLine();
    if (ImGui::Button("Unload")) s.engine.unload_model();
  }
  ImGui::SameLine();
  ImGui::Text("Model: %s", core::state_name(ws.state));
  switch (ws.state) {
    case core::WorkerStatus::State::kReady:
      ImGui::TextWrapped("%s", ws.describe.c_str());
      break;
    case core::WorkerStatus::State::kLoading:
      ImGui::TextWrapped("Loading the model on the inference thread...");
      break;
    case core::WorkerStatus::State::kError:
      ImGui::PushStyleColor(ImGuiCol_Text, kErrorColor);
      ImGui::TextWrapped("%s", ws.message.c_str());
      ImGui::PopStyleColor();
      break;
    case core::WorkerStatus::State::kNoModel:
      break;
  }
  // What is running: meshes need the licensed checkpoint; MediaPipe's models
  // alone give skeletons.
  const bool detector = ws.detector == "ready";
  if (loaded)
    ImGui::TextWrapped(detector ? "Meshes from the two-hand network; hands found by MediaPipe."
                                : "Meshes from the two-hand network.");
  else if (detector)
    ImGui::TextWrapped("Skeletons from MediaPipe's hand models (no checkpoint loaded).");
  if (!ws.detector.empty() && !detector) {
    ImGui::PushStyleColor(ImGuiCol_Text, kErrorColor);
    ImGui::TextWrapped("Hand detector: %s", ws.detector.c_str());
    ImGui::PopStyleColor();
  }
  if (!loaded && ws.state != core::WorkerStatus::State::kLoading) {
    ImGui::PushStyleColor(ImGuiCol_Text, kHintColor);
    ImGui::TextWrapped(
        "%s Get snapshot_99.pth.tar "
        "(github.com/iscas3dv/Two-Hand-Shape-Pose_v2) and MANO_{RIGHT,LEFT}.pkl "
        "(mano.is.tue.mpg.de), enter their paths, press Load.",
        detector ? "For meshes:" : "No model: the video plays without hands.");
    ImGui::PopStyleColor();
  }
  ImGui::End();
}

void playback_panel(GuiState& s) {
  place("Playback", 0, 238, kPanelColumnWidth, 197);
  if (!ImGui::Begin("Playback")) {
    ImGui::End();
    return;
  }
  core::Capture& cap = s.engine.capture();
  const core::CaptureStatus cs = cap.status();
  ImGui::PushItemWidth(-70);
  ImGui::InputText("##source", &s.source_text);
  ImGui::SameLine();
  if (ImGui::Button("Open") && !s.source_text.empty())
    s.engine.open(core::session::resolve_source(s.source_text));
  ImGui::InputInt("##camera", &s.camera_index);
  s.camera_index = std::clamp(s.camera_index, 0, 99);
  ImGui::SameLine();
  if (ImGui::Button("Camera")) cap.open(core::SourceSpec::camera_index(s.camera_index));
  ImGui::PopItemWidth();

  const bool paused = cap.paused();
  if (ImGui::Button(paused ? "Play" : "Pause")) cap.set_paused(!paused);
  ImGui::SameLine();
  if (ImGui::Button("Step")) {
    cap.set_paused(true);
    cap.step();
  }
  ImGui::SameLine();
  if (ImGui::Button("Restart")) cap.seek(0);
  ImGui::SameLine();
  bool loop = cap.loop();
  if (ImGui::Checkbox("Loop", &loop)) cap.set_loop(loop);
  ImGui::PushItemWidth(-70);
  if (cs.seekable && cs.frame_count > 0) {
    int pos = static_cast<int>(std::max<int64_t>(0, cs.position - 1));
    if (ImGui::SliderInt("Frame", &pos, 0, static_cast<int>(cs.frame_count - 1))) cap.seek(pos);
  }
  float speed = static_cast<float>(cap.speed());
  if (ImGui::SliderFloat("Speed", &speed, 0.1f, 4.f, "%.2fx", ImGuiSliderFlags_Logarithmic))
    cap.set_speed(speed);
  int pacing = static_cast<int>(cap.pacing());
  const char* pacings[] = {"source rate", "as fast as possible", "every frame"};
  if (ImGui::Combo("Pacing", &pacing, pacings, 3))
    cap.set_pacing(static_cast<core::Pacing>(pacing));
  ImGui::PopItemWidth();
  if (cs.source.rfind("recorded session", 0) == 0) {
    bool rerun = s.engine.rerun_recorded();
    if (ImGui::Checkbox("Re-run the network on the recording", &rerun))
      s.engine.set_rerun_recorded(rerun);
  }
  ImGui::Text("%s: %s", cs.source.c_str(), core::state_name(cs.state));

  if (!cs.message.empty()) {
    if (cs.state == core::CaptureStatus::State::kError)
      ImGui::PushStyleColor(ImGuiCol_Text, kErrorColor);
    else
      ImGui::PushStyleColor(ImGuiCol_Text, kHintColor);
    ImGui::TextWrapped("%s", cs.message.c_str());
    ImGui::PopStyleColor();
  }
  ImGui::End();
}

void thresholds_panel(GuiState& s) {
  place("Thresholds", 0, 435, kPanelColumnWidth, 285);
  if (!ImGui::Begin("Thresholds")) {
    ImGui::End();
    return;
  }
  UiSettings& u = s.ui;
  ImGui::PushItemWidth(-150);
  ImGui::SliderFloat("Hand presence", &u.presence_threshold, 0.f, 1.f, "%.2f");
  const char* crop_modes[] = {"whole frame", "track keypoints", "detect + track"};
  ImGui::Combo("Crop", &u.crop_mode, crop_modes, 3);
  ImGui::Checkbox("Follow the hands", &u.follow_hands);
  ImGui::SameLine();
  if (ImGui::Button("Reset crop")) s.engine.reset_crop();
  ImGui::SameLine();
  if (ImGui::Button("Detect")) s.engine.request_detection();
  ImGui::SliderFloat("Keypoint confidence", &u.keypoint_confidence, 0.f, 1.f, "%.2f");
  ImGui::SliderFloat("Crop margin", &u.crop_margin, 0.f, 1.f, "%.2f");
  ImGui::SliderFloat("Crop smoothing", &u.crop_smoothing, 0.f, 0.95f, "%.2f");
  ImGui::SliderFloat("Mesh smoothing", &u.smoothing, 0.f, 1.f, "%.2f");
  ImGui::SliderFloat("Mesh opacity", &u.mesh_opacity, 0.1f, 1.f, "%.2f");
  ImGui::PopItemWidth();
  ImGui::Checkbox("Mirror", &u.mirror);
  ImGui::SameLine();
  ImGui::Checkbox("Live frame", &u.live_frame);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "Show the newest camera frame with the latest result over it (smoother on a slow\n"
        "CPU; the overlay lags by the result's age). Off: each result on its own frame.");
  ImGui::SameLine();
  ImGui::Checkbox("Wireframe", &u.wireframe);
  ImGui::SameLine();
  ImGui::Checkbox("Meshes", &u.show_meshes);
  ImGui::Checkbox("Keypoints", &u.show_keypoints);
  ImGui::SameLine();
  ImGui::Checkbox("Skeleton", &u.show_skeleton);
  ImGui::SameLine();
  ImGui::Checkbox("Crop", &u.show_crop);
  ImGui::SameLine();
  ImGui::Checkbox("MediaPipe", &u.show_detections);
  ImGui::Checkbox("3D view", &u.show_3d);
  ImGui::SameLine();
  ImGui::Checkbox("Attention", &u.show_attention);
  if (ImGui::IsWindowHovered())
    ImGui::SetTooltip("Drag on the video to set the network's crop; right-click to reset it.");
  ImGui::End();
}

void recording_panel(GuiState& s) {
  place("Recording", window_width() - kRightColumnWidth, 250, kRightColumnWidth, 140);
  if (!ImGui::Begin("Recording")) {
    ImGui::End();
    return;
  }
  const bool recording = s.recorder.recording();
  ImGui::BeginDisabled(recording);
  ImGui::SetNextItemWidth(-1);
  ImGui::InputText("##folder", &s.record_folder);
  ImGui::EndDisabled();
  if (!recording) {
    if (ImGui::Button("Start recording")) {
      char settings[256];
      std::snprintf(settings, sizeof settings,
                    "{\"presence_threshold\": %.3f, \"keypoint_confidence\": %.3f, "
                    "\"crop_margin\": %.3f, \"smoothing\": %.3f, \"mirror\": %s}",
                    s.ui.presence_threshold, s.ui.keypoint_confidence, s.ui.crop_margin,
                    s.ui.smoothing, s.ui.mirror ? "true" : "false");
      s.record_error = s.recorder.start(s.record_folder, s.engine, settings, s.record_rig);
    }
  } else if (ImGui::Button("Stop recording")) {
    s.recorder.stop();
    s.record_folder = GuiRecorder::default_folder();  // the next one goes elsewhere
  }
  if (!recording) {
    ImGui::SameLine();
    ImGui::Checkbox("glb + bvh", &s.record_rig);
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("When the recording stops, also write the hands' animation into its "
                        "folder: sequence.glb (rigged glTF) and one BVH per hand.");
  }
  if (!s.recorder.export_note().empty()) ImGui::TextWrapped("%s", s.recorder.export_note().c_str());
  if (recording) {
    const RecordingStatus st = s.recorder.status();
    ImGui::Text("%lld frames, %lld results, %lld dropped", st.frames_written, st.results_written,
                st.frames_dropped);
    ImGui::Text("queue %lld, %s", st.queued, st.codec.c_str());
    if (!st.error.empty()) s.record_error = st.error;
  }
  if (!s.record_error.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, kErrorColor);
    ImGui::TextWrapped("%s", s.record_error.c_str());
    ImGui::PopStyleColor();
  }
  ImGui::End();
}

void stats_panel(GuiState& s) {
  place("Stats", window_width() - kRightColumnWidth, 0, kRightColumnWidth, 250);
  ImGui::SetNextWindowBgAlpha(0.8f);
  if (!ImGui::Begin("Stats")) {
    ImGui::End();
    return;
  }
  const core::CaptureStatus cs = s.engine.capture_status();
  const core::WorkerStatus ws = s.engine.worker_status();
  const auto now = core::Clock::now();
  // The render loop draws only when something changed and otherwise sleeps
  // (gui_pacing.h); "idle" is the share of the last second it slept.
  ImGui::Text("Render   %6.1f Hz  (idle %.0f%%)", s.render_hz, 100.0 * s.idle_share);
  ImGui::Text("Capture  %6.1f Hz  (read %.1f ms)", cs.rate_hz, cs.read_ms);
  ImGui::Text("Network  %6.1f Hz", ws.rate_hz);
  if (s.network_times.count() > 0)  // comparable with `intershape bench`'s medians
    ImGui::Text("Net %.0f ms a frame, InterNet %.0f (median)",
                s.network_times.median_total_ms(), s.network_times.median_internet_ms());
  if (s.result) {
    const double age = duration<double, std::milli>(now - s.result->finished_at).count();
    const double frame_age =
        duration<double, std::milli>(now - s.result->frame->captured_at).count();
    ImGui::Text("Result age %.0f ms (frame %.0f ms)", age, frame_age);
    ImGui::Text("Result of frame %lld, showing %lld",
                static_cast<long long>(s.result->frame->index),
                static_cast<long long>(s.frame ? s.frame->index : -1));
    const auto& t = s.result->output.timings;
    if (s.result->has_network)
      ImGui::Text("Crop by %s; %d hand(s) found", core::crop_source_name(s.result->crop_source),
                  ws.hands_found);
    else
      ImGui::Text("Skeletons only; %d hand(s) found", ws.hands_found);
    if (s.result->detections)
      ImGui::Text("Palm %.1f ms, landmarks %.1f ms", s.result->detections->palm_ms,
                  s.result->detections->landmarks_ms);
    if (s.result->has_network) {
      ImGui::Text("Crop %.1f ms, network %.1f ms", ws.preprocess_ms, ws.network_ms);
      ImGui::Text("InterNet %.0f attention %.0f", t.internet_ms, t.attention_ms);
      ImGui::Text("MeshReg %.0f cascade %.0f MANO %.0f", t.meshreg_ms, t.cascade_ms, t.mano_ms);
      ImGui::Text("Presence R %.2f  L %.2f", s.result->output.hands[0].presence,
                  s.result->output.hands[1].presence);
    }
  } else {
    ImGui::TextUnformatted("No result yet");
  }
  ImGui::Text("Dropped: %llu frames, %llu results",
              static_cast<unsigned long long>(s.engine.frames_dropped_by_worker()),
              static_cast<unsigned long long>(s.engine.results_dropped()));
  ImGui::TextWrapped("%s", s.gl_info.c_str());
  ImGui::End();
}

void view3d_panel(GuiState& s) {
  place("3D view", window_width() - kRightColumnWidth, 370, kRightColumnWidth,
        window_height() - 370);
  if (!ImGui::Begin("3D view", &s.ui.show_3d)) {
    ImGui::End();
    return;
  }
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const int w = std::max(32, static_cast<int>(avail.x));
  const int h = std::max(32, static_cast<int>(avail.y));
  render_view3d(s, w, h);
  const ImVec2 size(static_cast<float>(w), static_cast<float>(h));
  const ImVec2 at = ImGui::GetCursorScreenPos();
  ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(s.renderer->view3d.texture())),
               size, ImVec2(0, 1), ImVec2(1, 0));
  // An invisible button over the picture takes the drags (otherwise they
  // would move the window).
  ImGui::SetCursorScreenPos(at);
  ImGui::InvisibleButton("orbit", size);
  ImGuiIO& io = ImGui::GetIO();
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 0.f)) {
    s.orbit.yaw += io.MouseDelta.x * 0.01f;
    s.orbit.pitch = std::clamp(s.orbit.pitch + io.MouseDelta.y * 0.01f, -1.5f, 1.5f);
  }
  if (ImGui::IsItemHovered() && !ImGui::IsItemActive())
    ImGui::SetTooltip("Drag to rotate, wheel to zoom, double-click to reset");
  if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))
    s.orbit = Orbit{};
  if (ImGui::IsItemHovered() && io.MouseWheel != 0.f)
    s.orbit.distance = std::clamp(s.orbit.distance * std::pow(0.9f, io.MouseWheel), 1.2f, 20.f);
  ImGui::End();
}

}  // namespace intershape::app
