// The rigged exports (core/exporters/rig_gltf.h, bvh_writer.h, rig_sequence.h),
// checked by evaluating them: tests/exporters/rig_eval.py poses the glTF's skin
// and runs the BVH's forward kinematics with numpy; the results are compared
// with MANO (mano/mano_kinematics.h, itself checked against smplx).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "core/exporters/bvh_writer.h"
#include "core/exporters/rig_gltf.h"
#include "core/exporters/rig_sequence.h"
#include "core/formats/atomic_file.h"
#include "mano/mano_kinematics.h"
#include "tests/npy.h"
#include "tests/test_util.h"

using namespace intershape;
using namespace intershape::core::exporters;
using intershape::test::TempDir;

namespace {

const std::string kData = INTERSHAPE_TEST_DATA;
const std::string kHere = INTERSHAPE_SOURCE_DIR "/tests/exporters";

const mano::ManoPair& models() {
  static const mano::ManoPair pair = mano::load_mano_dir(kData + "/mano");
  return pair;
}

// N frames at `fps`: the smplx fixture poses in turn (large and near-pi
// rotations included) with per-frame noise, betas jittering around a base,
// the hands moving in front of the camera. The left hand is absent in
// frames [left_gap_begin, left_gap_end) and, with `no_left`, always.
std::vector<RigFrame> synthetic(size_t n, double fps, size_t left_gap_begin = 10,
                                size_t left_gap_end = 15, bool no_left = false) {
  static const std::vector<float> pose = test::load_npy(kData + "/mano_layer/pose.npy").as_float();
  static const std::vector<float> betas =
      test::load_npy(kData + "/mano_layer/betas.npy").as_float();
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.f, 0.05f);
  std::vector<RigFrame> frames(n);
  for (size_t k = 0; k < n; ++k) {
    RigFrame& f = frames[k];
    f.time_s = 3.0 + double(k) / fps;  // a source that does not start at 0
    for (int h = 0; h < 2; ++h) {
      RigHandFrame& hf = f.hands[h];
      hf.present = h == 0 || (!no_left && (k < left_gap_begin || k >= left_gap_end));
      const size_t row = (k + 3 * h) % 8;
      for (int i = 0; i < 48; ++i) hf.pose[i] = pose[row * 48 + i] + noise(rng);
      for (int i = 0; i < 10; ++i) hf.betas[i] = betas[3 * 10 + i] + noise(rng);
      const double ph = double(k) * 0.1;
      hf.root_m = {(h == 0 ? -0.08 : 0.08) + 0.05 * std::sin(ph), 0.03 * std::cos(ph),
                   0.6 + 0.1 * std::sin(0.5 * ph)};
    }
  }
  return frames;
}

std::array<float, 10> median_betas(const std::vector<RigFrame>& frames, int h) {
  std::array<float, 10> m{};
  for (int b = 0; b < 10; ++b) {
    std::vector<float> v;
    for (const auto& f : frames)
      if (f.hands[h].present) v.push_back(f.hands[h].betas[b]);
    std::sort(v.begin(), v.end());
    m[b] = v.size() % 2 ? v[v.size() / 2] : 0.5f * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  }
  return m;
}

void write_f64(const std::string& path, const std::vector<double>& v) {
  std::ofstream o(path, std::ios::binary);
  o.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(double)));
}

// Runs the evaluator on `glb` (and the BVH files in `dir`) at the frames `at`,
// with MANO's expected meshes for them.
nlohmann::json evaluate(const TempDir& dir, const std::string& glb,
                        const std::vector<RigFrame>& frames, const std::vector<size_t>& at,
                        bool with_bvh) {
  nlohmann::json req;
  req["glb"] = glb;
  std::vector<double> times;
  for (size_t k : at) times.push_back(frames[k].time_s - frames[0].time_s);
  req["times"] = times;
  for (int h = 0; h < 2; ++h) {
    const std::string side = h == 0 ? "right" : "left";
    const mano::ManoModel& model = h == 0 ? models().right : models().left;
    bool any = false;
    for (const auto& f : frames) any = any || f.hands[h].present;
    if (!any) continue;
    const auto betas = median_betas(frames, h);
    const mano::ShapedHand shaped = mano::shape_hand(model, betas.data());
    std::vector<double> ev, el, ej;
    std::vector<size_t> idx, bvh_frames;
    for (size_t e = 0; e < at.size(); ++e) {
      const RigHandFrame& hf = frames[at[e]].hands[h];
      if (!hf.present) continue;
      idx.push_back(e);
      bvh_frames.push_back(at[e]);
      const mano::PosedHand full = mano::pose_hand(model, shaped, hf.pose.data(), true);
      const mano::PosedHand lbs = mano::pose_hand(model, shaped, hf.pose.data(), false);
      // Camera placement: the wrist at root_m; rig axes (x, -y, -z).
      auto place = [&](const std::vector<double>& p, std::vector<double>& out) {
        for (size_t i = 0; i < p.size(); i += 3) {
          const std::array<double, 3> q = {p[i] - full.joints[0] + hf.root_m[0],
                                           p[i + 1] - full.joints[1] + hf.root_m[1],
                                           p[i + 2] - full.joints[2] + hf.root_m[2]};
          out.insert(out.end(), {q[0], -q[1], -q[2]});
        }
      };
      place(full.verts, ev);
      place(lbs.verts, el);
      place(full.joints, ej);
    }
    write_f64(dir / (side + "_v.f64"), ev);
    write_f64(dir / (side + "_l.f64"), el);
    write_f64(dir / (side + "_j.f64"), ej);
    req["expected"][side] = {{"frames", idx},
                             {"bvh_frames", bvh_frames},
                             {"verts", dir / (side + "_v.f64")},
                             {"verts_lbs", dir / (side + "_l.f64")},
                             {"joints", dir / (side + "_j.f64")}};
    if (with_bvh) req["bvh"][side] = dir / ("sequence_" + side + ".bvh");
  }
  core::formats::write_file_atomic(dir / "request.json", req.dump());
  return nlohmann::json::parse(test::run_capture("/usr/bin/python3 '" + kHere + "/rig_eval.py' '" +
                                                 (dir / "request.json") + "'"));
}

}  // namespace

TEST_CASE("rigged glTF and BVH reproduce MANO (skin, joints, presence, timing)") {
  TempDir dir("rig");
  const std::vector<RigFrame> frames = synthetic(30, 30.0);
  const CameraIntrinsics cam = camera_for_image(640, 480, 0);
  write_rig_glb(dir / "sequence.glb", models(), frames, cam);
  CHECK(test::read_file(dir / "sequence.glb").find("JOINTS_1") == std::string::npos);
  const auto bvh = write_bvh_files(dir.path(), models(), frames);
  CHECK(bvh.size() == 4);
  const std::vector<size_t> at = {0, 3, 7, 12, 20, 29};
  const nlohmann::json r = evaluate(dir, dir / "sequence.glb", frames, at, true);
  for (const char* side : {"right", "left"}) {
    const auto& s = r[side];
    MESSAGE(std::string(side) << ": " << s.dump());
    // The skin is MANO without pose correctives, to float32 precision.
    CHECK(s["vertex_err_lbs_mm"].get<double>() < 0.01);
    // Against full MANO the difference is the correctives (measured 6-9 mm max
    // per coordinate on these large fixture poses).
    CHECK(s["vertex_err_mano_mm"].get<double>() < 15.0);
    CHECK(s["joint_err_mm"].get<double>() < 0.1);
    // The fingertip end joints sit on MANO's fingertip vertices (measured 0.0005 mm).
    CHECK(s["tip_err_mm"].get<double>() < 0.1);
    CHECK(s["bvh_joint_err_mm"].get<double>() < 0.1);
    CHECK(s["bvh_tip_err_mm"].get<double>() < 0.1);
    CHECK(s["bvh_frames"].get<int>() == 30);
    CHECK(s["bvh_frame_time"].get<double>() == doctest::Approx(1.0 / 30).epsilon(1e-6));
  }
  CHECK(r["right"]["bvh_joint_names"][0] == "wrist");
  // Presence: the left hand is absent in frames 10..14 (frame 12 sampled).
  const std::vector<double> want_left = {1, 1, 1, 0, 1, 1};
  for (size_t e = 0; e < at.size(); ++e) {
    CHECK(r["scales"]["right_hand"][e].get<double>() == doctest::Approx(1.0));
    CHECK(r["scales"]["left_hand"][e].get<double>() == doctest::Approx(want_left[e]));
  }
  // The clip lasts the 30 frames' full duration; the frame rate hint.
  CHECK(r["animation_end"].get<double>() == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(r["extras"]["intershape"]["fps"].get<double>() == doctest::Approx(30.0).epsilon(1e-6));
  CHECK(r["extras"]["intershape"]["frames"].get<int>() == 30);
  // The BVH companion JSON carries the presence.
  const auto json = nlohmann::json::parse(test::read_file(dir / "sequence_left.bvh.json"));
  CHECK(json["present"][12] == false);
  CHECK(json["present"][9] == true);
  CHECK(json["frames"] == 30);
}

TEST_CASE("with pose correctives (morph targets) the glTF is MANO's mesh exactly") {
  TempDir dir("rig_correctives");
  const std::vector<RigFrame> frames = synthetic(30, 30.0);
  RigGltfOptions o;
  o.pose_correctives = true;
  write_rig_glb(dir / "full.glb", models(), frames, camera_for_image(640, 480, 0), o);
  const nlohmann::json r = evaluate(dir, dir / "full.glb", frames, {0, 3, 7, 12, 20, 29}, false);
  for (const char* side : {"right", "left"}) {
    MESSAGE(std::string(side) << ": " << r[side].dump());
    CHECK(r[side]["vertex_err_mano_mm"].get<double>() < 0.01);
    CHECK(r[side]["joint_err_mm"].get<double>() < 0.1);
    CHECK(r[side]["tip_err_mm"].get<double>() < 0.1);
  }
}

TEST_CASE("8 influences in two sets pose the mesh as the 4 the export uses (MANO has <= 2)") {
  TempDir dir("rig8");
  const std::vector<RigFrame> frames = synthetic(8, 30.0);
  const CameraIntrinsics cam = camera_for_image(640, 480, 0);
  write_rig_glb(dir / "eight.glb", models(), frames, cam, {8});
  const std::string eight = test::read_file(dir / "eight.glb");
  CHECK(eight.find("JOINTS_1") != std::string::npos);
  const nlohmann::json r =
      evaluate(dir, dir / "eight.glb", frames, {0, 1, 2, 3, 4, 5, 6, 7}, false);
  const double err8 = std::max(r["right"]["vertex_err_lbs_mm"].get<double>(),
                               r["left"]["vertex_err_lbs_mm"].get<double>());
  MESSAGE("8 influences: max error vs exact LBS " << err8 << " mm");
  CHECK(err8 < 0.01);
  for (const auto& m : {models().right, models().left}) {
    int most = 0;
    for (int i = 0; i < 778; ++i) {
      int n = 0;
      for (int j = 0; j < 16; ++j) n += m.lbs_weights[i * 16 + j] != 0.f;
      most = std::max(most, n);
    }
    CHECK(most <= 4);  // so 4 renormalised influences lose nothing
  }
}

TEST_CASE("a clip without a left hand has no left rig and no left BVH") {
  TempDir dir("rig_noleft");
  const std::vector<RigFrame> frames = synthetic(5, 25.0, 0, 0, true);
  const std::string glb = rig_glb_bytes(models(), frames, camera_for_image(640, 480, 0));
  CHECK(glb.find("right_wrist") != std::string::npos);
  CHECK(glb.find("left_") == std::string::npos);
  const auto paths = write_bvh_files(dir.path(), models(), frames);
  REQUIRE(paths.size() == 2);
  CHECK(paths[0] == dir / "sequence_right.bvh");
  // Nothing present at all: a clear error, not an empty file.
  std::vector<RigFrame> none = frames;
  for (auto& f : none) f.hands[0].present = false;
  CHECK_THROWS_AS(rig_glb_bytes(models(), none, camera_for_image(640, 480, 0)),
                  core::formats::ExportError);
  // No image size: no camera to write (rather than a NaN field of view).
  CHECK_THROWS_AS(rig_glb_bytes(models(), frames, camera_for_image(0, 0, 0)),
                  core::formats::ExportError);
}

TEST_CASE("key times: sampling at frame k's time gives frame k, also after float32 rounding") {
  for (double fps : {30.0, 30000.0 / 1001.0, 25.0, 60.0}) {
    std::vector<RigFrame> frames(18000);
    for (size_t k = 0; k < frames.size(); ++k) frames[k].time_s = 100.0 + double(k) / fps;
    const RigTiming t = rig_timing(frames);
    REQUIRE(t.keys.size() == frames.size() + 1);
    CHECK(t.fps() == doctest::Approx(fps).epsilon(1e-6));
    size_t bad = 0;
    for (size_t k = 0; k < frames.size(); ++k) {
      const double exact = double(k) / fps;  // what a player computes for frame k
      const float as_float = static_cast<float>(exact);
      if (!(double(t.keys[k]) <= exact && exact < double(t.keys[k + 1]))) ++bad;
      if (!(t.keys[k] <= as_float && as_float < t.keys[k + 1])) ++bad;
    }
    CHECK(bad == 0);
    // The clip covers the last frame for a whole frame time.
    CHECK(double(t.keys.back()) == doctest::Approx(double(frames.size()) / fps).epsilon(1e-6));
  }
  // k/30 in float32 rounds up for some k: a naive key would show frame k-1 there.
  size_t rounds_up = 0;
  for (int k = 0; k < 18000; ++k) rounds_up += double(float(k / 30.0)) > k / 30.0;
  CHECK(rounds_up > 1000);
}

TEST_CASE("18,000 frames of both hands fit in 20 MB (<= 1 KB a frame)") {
  const std::vector<RigFrame> frames = synthetic(18000, 30.0, 100, 400);
  const std::string glb = rig_glb_bytes(models(), frames, camera_for_image(1280, 720, 0));
  MESSAGE("18,000 frames: " << glb.size() << " bytes, " << glb.size() / 18000.0 << " B/frame");
  CHECK(glb.size() <= 20u * 1000 * 1000);
  CHECK(glb.size() <= 18000u * 1000 + 200000);  // 1 KB a frame plus the meshes
}

TEST_CASE("the Khronos glTF validator reports no errors and no warnings") {
  const std::string module = kHere + "/gltf_validator/node_modules/gltf-validator";
  INFO(
      "the validator is installed by scripts/install_deps.sh (npm ci in "
      "tests/exporters/gltf_validator)");
  REQUIRE(std::filesystem::exists(module + "/package.json"));
  TempDir dir("rig_validate");
  RigGltfOptions with_correctives;
  with_correctives.pose_correctives = true;
  for (const RigGltfOptions& o : {RigGltfOptions{}, with_correctives}) {
    CAPTURE(o.pose_correctives);
    write_rig_glb(dir / "sequence.glb", models(), synthetic(40, 30.0),
                  camera_for_image(640, 480, 500.0), o);
    const auto issues = nlohmann::json::parse(test::run_capture(
        "node '" + kHere + "/validate_gltf.js' '" + (dir / "sequence.glb") + "' '" + module + "'"));
    MESSAGE(issues.dump());
    CHECK(issues["numErrors"] == 0);
    CHECK(issues["numWarnings"] == 0);
  }
}

namespace {

// A frame record made from known camera-space hands: MANO joints in the
// network's space (mm, arbitrary origin) and keypoints projected by a pinhole
// camera from where the hands really are.
struct PlacedTruth {
  core::FrameResult record;
  std::array<std::array<double, 3>, 2> wrist_m;  // true camera-space wrists
};

std::vector<double> cam_joints(const mano::ManoModel& model, const RigHandFrame& h) {
  const mano::ShapedHand s = mano::shape_hand(model, h.betas.data());
  const mano::PosedHand p = mano::pose_hand(model, s, h.pose.data(), true);
  std::vector<double> out;
  for (int j = 0; j < 21; ++j)
    for (int c = 0; c < 3; ++c) out.push_back(p.joints[j * 3 + c] - p.joints[c] + h.root_m[c]);
  return out;
}

PlacedTruth make_truth(const CameraIntrinsics& cam, bool half_turn_right) {
  static const std::vector<float> pose = test::load_npy(kData + "/mano_layer/pose.npy").as_float();
  PlacedTruth t;
  core::FrameResult& r = t.record;
  auto frame = std::make_shared<core::Frame>();
  frame->width = cam.width;
  frame->height = cam.height;
  r.frame = frame;
  t.wrist_m = {{{-0.06, 0.02, 0.55}, {0.07, -0.01, 0.62}}};
  for (int h = 0; h < 2; ++h) {
    const mano::ManoModel& model = h == 0 ? models().right : models().left;
    core::HandOutput& ho = r.output.hands[h];
    ho.presence = 0.9f;
    for (int i = 0; i < 48; ++i) ho.params.pose[i] = pose[3 * 48 + i];
    ho.params.pose[0] += 0.2f * float(h);
    const mano::ShapedHand s = mano::shape_hand(model, ho.params.shape.data());
    const mano::PosedHand p = mano::pose_hand(model, s, ho.params.pose.data(), true);
    for (double v : p.joints) ho.joints3d.push_back(float(v * 1000.0 + 37.0));  // any origin
    // The true camera-space hand; the right one maybe turned by pi in the picture.
    RigHandFrame truth;
    truth.pose = ho.params.pose;
    truth.root_m = t.wrist_m[h];
    if (h == 0 && half_turn_right) {
      const double aa[3] = {truth.pose[0], truth.pose[1], truth.pose[2]};
      const auto g = mano::axis_angle_from_mat(
          mano::mat_mul({-1, 0, 0, 0, -1, 0, 0, 0, 1}, mano::rodrigues(aa)));
      for (int c = 0; c < 3; ++c) truth.pose[c] = float(g[c]);
    }
    const std::vector<double> x = cam_joints(model, truth);
    for (int j = 0; j < 21; ++j)
      r.keypoints_frame[h * 21 + j] = {float(cam.fx * x[j * 3] / x[j * 3 + 2] + cam.cx),
                                       float(cam.fy * x[j * 3 + 1] / x[j * 3 + 2] + cam.cy), 1.f};
  }
  // trans as the network defines it: right J4 -> left J4 = trans[1:4] e^trans[0] |J_r4 - J_r0|.
  const auto& jr = r.output.hands[0].joints3d;
  const double lr = std::sqrt(std::pow(jr[12] - jr[0], 2) + std::pow(jr[13] - jr[1], 2) +
                              std::pow(jr[14] - jr[2], 2));
  // True J4 depths (camera), in mm, from the truth hands.
  auto j4_depth = [&](int h) {
    RigHandFrame f;
    f.pose = r.output.hands[h].params.pose;
    f.root_m = t.wrist_m[h];
    return cam_joints(h == 0 ? models().right : models().left, f)[4 * 3 + 2] * 1000.0;
  };
  r.output.trans = {0.f, 0.f, 0.f, float((j4_depth(1) - j4_depth(0)) / lr)};
  return t;
}

}  // namespace

TEST_CASE("camera placement: wrists in metres, hands line up with the keypoints") {
  const CameraIntrinsics cam = camera_for_image(640, 480, 600.0);
  for (bool half_turn : {false, true}) {
    CAPTURE(half_turn);
    const PlacedTruth t = make_truth(cam, half_turn);
    const RigFrame f = place_hands(t.record, cam);
    double worst_px = 0;
    std::array<double, 2> j4z{};
    for (int h = 0; h < 2; ++h) {
      REQUIRE(f.hands[h].present);
      const auto& got = f.hands[h].root_m;
      MESSAGE("hand " << h << " wrist " << got[0] << " " << got[1] << " " << got[2] << " (true "
                      << t.wrist_m[h][0] << " " << t.wrist_m[h][1] << " " << t.wrist_m[h][2]
                      << ")");
      // Weak perspective: depth within 3 %, x and y within 1 cm at ~0.6 m.
      CHECK(std::abs(got[2] - t.wrist_m[h][2]) < 0.03 * t.wrist_m[h][2]);
      CHECK(std::abs(got[0] - t.wrist_m[h][0]) < 0.01);
      CHECK(std::abs(got[1] - t.wrist_m[h][1]) < 0.01);
      const std::vector<double> x = cam_joints(h == 0 ? models().right : models().left, f.hands[h]);
      j4z[h] = x[4 * 3 + 2];
      for (int j = 0; j < 21; ++j) {
        const auto& kp = t.record.keypoints_frame[h * 21 + j];
        worst_px = std::max({worst_px, std::abs(cam.fx * x[j * 3] / x[j * 3 + 2] + cam.cx - kp[0]),
                             std::abs(cam.fy * x[j * 3 + 1] / x[j * 3 + 2] + cam.cy - kp[1])});
      }
    }
    MESSAGE("worst reprojection " << worst_px << " px");
    CHECK(worst_px < 6.0);  // of a ~110 px hand: the weak-perspective error
    // The left hand's depth relative to the right is the network's trans.
    const auto& jr = t.record.output.hands[0].joints3d;
    const double lr = std::sqrt(std::pow(jr[12] - jr[0], 2) + std::pow(jr[13] - jr[1], 2) +
                                std::pow(jr[14] - jr[2], 2));
    CHECK((j4z[1] - j4z[0]) * 1000 == doctest::Approx(t.record.output.trans[3] * lr).epsilon(1e-4));
  }
  // Absent (presence < 0.5) is not placed.
  PlacedTruth t = make_truth(cam, false);
  t.record.output.hands[1].presence = 0.3f;
  const RigFrame f = place_hands(t.record, cam);
  CHECK(f.hands[0].present);
  CHECK_FALSE(f.hands[1].present);
}

TEST_CASE("intrinsics: default field of view, JSON file, clear errors") {
  const CameraIntrinsics d = camera_for_image(640, 480, 0);
  CHECK(d.fx == doctest::Approx(320.0 / std::tan(30.0 * 3.14159265358979 / 180)));
  CHECK(d.cx == 320.0);
  TempDir dir("intr");
  core::formats::write_file_atomic(dir / "k.json", R"({"K": [[500,0,300],[0,510,200],[0,0,1]]})");
  const CameraIntrinsics k = load_intrinsics(dir / "k.json", 640, 480);
  CHECK(k.fx == 500.0);
  CHECK(k.fy == 510.0);
  CHECK(k.cx == 300.0);
  CHECK(k.cy == 200.0);
  CHECK(k.width == 640);
  core::formats::write_file_atomic(dir / "bad.json", R"({"fx": 500, "fy": -1, "cx": 1, "cy": 2})");
  try {
    load_intrinsics(dir / "bad.json", 640, 480);
    FAIL("no error");
  } catch (const core::formats::ExportError& e) {
    CHECK(std::string(e.what()).find("bad.json") != std::string::npos);
  }
  core::formats::write_file_atomic(dir / "missing.json", R"({"fx": 500})");
  CHECK_THROWS_AS(load_intrinsics(dir / "missing.json", 640, 480), core::formats::ExportError);
}

// Two hands in front of the camera closing to fists and opening again (2 s at
// 30 fps), palms to the camera. README's Blender picture is rendered from this
// clip: INTERSHAPE_RIG_PREVIEW=FILE.glb keeps a copy (scripts/render_rig_preview.sh).
TEST_CASE("the preview clip: valid rig, fingertips closer to the wrist in the fist") {
  std::vector<RigFrame> frames(60);
  for (size_t k = 0; k < frames.size(); ++k) {
    RigFrame& f = frames[k];
    f.time_s = double(k) / 30;
    const double curl = 0.5 - 0.5 * std::cos(2 * 3.14159265358979 * double(k) / 60);
    for (int h = 0; h < 2; ++h) {
      RigHandFrame& hf = f.hands[h];
      hf.present = true;
      const float side = h == 0 ? 1.f : -1.f;  // the left model is the mirror image
      // Fingers up (-y in camera axes), palm towards the camera.
      // MANO's right hand points its fingers along -x, the left along +x.
      const double a[3] = {0.0, 0.0, side * 1.5708};
      const mano::Mat3 up = mano::rodrigues(a);
      const double b[3] = {0.0, side * -1.5708, 0.0};
      const auto gg = mano::axis_angle_from_mat(mano::mat_mul(mano::rodrigues(b), up));
      for (int c = 0; c < 3; ++c) hf.pose[c] = float(gg[c]);
      for (int j = 1; j < 16; ++j) {
        const bool thumb = j >= 13;
        hf.pose[j * 3 + 2] = side * float(curl * (thumb ? 0.15 : 1.2));
      }
      hf.root_m = {side * -0.07, 0.08, 0.38};
    }
  }
  TempDir dir("rig_preview");
  const std::string path = dir / "preview.glb";
  write_rig_glb(path, models(), frames, camera_for_image(640, 480, 0));
  const nlohmann::json r = evaluate(dir, path, frames, {0, 30}, false);
  // Tips in the fist (frame 30) nearer the wrist than open (frame 0).
  // (rig_eval's joints: 16 skeleton joints then the 5 tips.)
  CHECK(r["right"]["joint_err_mm"].get<double>() < 0.1);
  if (const char* keep = std::getenv("INTERSHAPE_RIG_PREVIEW"))
    std::filesystem::copy_file(path, keep, std::filesystem::copy_options::overwrite_existing);
}
