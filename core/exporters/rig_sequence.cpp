#include "core/exporters/rig_sequence.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include <nlohmann/json.hpp>

#include "core/formats/atomic_file.h"
#include "core/formats/file_io.h"
#include "core/overlay_fit.h"
#include "core/postprocess.h"

namespace intershape::core::exporters {

namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

CameraIntrinsics camera_for_image(int width, int height, double focal_px) {
  CameraIntrinsics c;
  c.width = width;
  c.height = height;
  const double f =
      focal_px > 0 ? focal_px : 0.5 * width / std::tan(0.5 * kDefaultHorizontalFovDeg * kPi / 180);
  c.fx = c.fy = f;
  c.cx = 0.5 * width;
  c.cy = 0.5 * height;
  return c;
}

CameraIntrinsics load_intrinsics(const std::string& path, int width, int height) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(formats::read_file_text(path, 1 << 20));
  } catch (const std::exception& e) {
    throw formats::ExportError(path + ": not a readable intrinsics JSON (" + e.what() + ")");
  }
  CameraIntrinsics c;
  c.width = width;
  c.height = height;
  auto number = [&](const nlohmann::json& v, const char* what) {
    if (!v.is_number()) throw formats::ExportError(path + ": " + what + " is not a number");
    return v.get<double>();
  };
  if (!j.is_object()) throw formats::ExportError(path + ": expected a JSON object");
  if (j.contains("K")) {
    const auto& k = j["K"];
    if (!k.is_array() || k.size() != 3 || !k[0].is_array() || k[0].size() != 3 ||
        !k[1].is_array() || k[1].size() != 3)
      throw formats::ExportError(path + ": K must be a 3x3 array");
    c.fx = number(k[0][0], "K[0][0]");
    c.cx = number(k[0][2], "K[0][2]");
    c.fy = number(k[1][1], "K[1][1]");
    c.cy = number(k[1][2], "K[1][2]");
  } else {
    for (const char* key : {"fx", "fy", "cx", "cy"})
      if (!j.contains(key))
        throw formats::ExportError(path + ": missing \"" + key + "\" (or \"K\")");
    c.fx = number(j["fx"], "fx");
    c.fy = number(j["fy"], "fy");
    c.cx = number(j["cx"], "cx");
    c.cy = number(j["cy"], "cy");
  }
  if (j.contains("width")) c.width = static_cast<int>(number(j["width"], "width"));
  if (j.contains("height")) c.height = static_cast<int>(number(j["height"], "height"));
  if (!(c.fx > 0) || !(c.fy > 0) || !std::isfinite(c.fx) || !std::isfinite(c.fy) ||
      !std::isfinite(c.cx) || !std::isfinite(c.cy))
    throw formats::ExportError(path + ": focal lengths must be positive and all values finite");
  if (c.width <= 0 || c.height <= 0)
    throw formats::ExportError(path + ": image width and height unknown");
  return c;
}

RigFrame place_hands(const FrameResult& record, const CameraIntrinsics& camera) {
  RigFrame out;
  out.time_s = record.frame->timestamp_s;
  const double f = 0.5 * (camera.fx + camera.fy);
  struct Fit {
    bool ok = false;
    double s = 0, z_mm = 0;  // |scale| px/mm, depth of joint 4
    double u4 = 0, v4 = 0;   // joint 4's pixel
    bool half_turn = false;
  };
  std::array<Fit, 2> fits;
  for (int h = 0; h < 2; ++h) {
    const HandOutput& hand = record.output.hands[h];
    if (!hand_present(hand) || hand.joints3d.size() != 21 * 3) continue;
    const OverlayFit fit = fit_overlay(hand.joints3d, &record.keypoints_frame[h * 21]);
    if (!fit.ok || !(std::abs(fit.scale) > 1e-6f)) continue;
    Fit& r = fits[h];
    r.ok = true;
    r.s = std::abs(fit.scale);
    r.half_turn = fit.scale < 0;
    r.z_mm = f / r.s;
    r.u4 = fit.scale * hand.joints3d[12] + fit.tx;
    r.v4 = fit.scale * hand.joints3d[13] + fit.ty;
  }
  if (fits[0].ok && fits[1].ok) {
    // Relative depth from the network's trans, absolute depth from both fits.
    const auto& jr = record.output.hands[0].joints3d;
    const double lr = std::sqrt(std::pow(jr[12] - jr[0], 2) + std::pow(jr[13] - jr[1], 2) +
                                std::pow(jr[14] - jr[2], 2));
    const auto& t = record.output.trans;
    double dz = t[3] * std::exp(double(t[0])) * lr;  // mm, right J4 -> left J4
    const double zr = 0.5 * (fits[0].z_mm + (fits[1].z_mm - dz));
    fits[0].z_mm = zr;
    fits[1].z_mm = zr + dz;
  }
  for (int h = 0; h < 2; ++h) {
    const Fit& r = fits[h];
    RigHandFrame& o = out.hands[h];
    const HandOutput& hand = record.output.hands[h];
    std::copy(hand.params.pose.begin(), hand.params.pose.end(), o.pose.begin());
    std::copy(hand.params.shape.begin(), hand.params.shape.end(), o.betas.begin());
    if (!r.ok || !(r.z_mm > 0)) continue;
    o.present = true;
    const auto& j = hand.joints3d;
    const std::array<double, 3> p4 = {(r.u4 - camera.cx) * r.z_mm / camera.fx,
                                      (r.v4 - camera.cy) * r.z_mm / camera.fy, r.z_mm};
    std::array<double, 3> d = {j[0] - double(j[12]), j[1] - double(j[13]), j[2] - double(j[14])};
    if (r.half_turn) {
      d[0] = -d[0];
      d[1] = -d[1];
      // Rz(pi) * R_global.
      const mano::Mat3 rz = {-1, 0, 0, 0, -1, 0, 0, 0, 1};
      const double aa[3] = {o.pose[0], o.pose[1], o.pose[2]};
      // rodrigues adds smplx's 1e-8; negligible here.
      const auto g = mano::axis_angle_from_mat(mano::mat_mul(rz, mano::rodrigues(aa)));
      for (int c = 0; c < 3; ++c) o.pose[c] = static_cast<float>(g[c]);
    }
    for (int c = 0; c < 3; ++c) o.root_m[c] = (p4[c] + d[c]) / 1000.0;
  }
  return out;
}

float float_at_or_below(double t) {
  float f = static_cast<float>(t);
  if (double(f) > t) f = std::nextafter(f, -INFINITY);
  return f;
}

RigTiming rig_timing(const std::vector<RigFrame>& frames) {
  RigTiming r;
  const size_t n = frames.size();
  std::vector<double> dts;
  for (size_t k = 1; k < n; ++k) {
    const double dt = frames[k].time_s - frames[k - 1].time_s;
    if (std::isfinite(dt) && dt > 0) dts.push_back(dt);
  }
  if (!dts.empty()) {
    std::nth_element(dts.begin(), dts.begin() + dts.size() / 2, dts.end());
    r.frame_time = dts[dts.size() / 2];
  }
  double prev = 0;
  for (size_t k = 0; k < n; ++k) {
    double t = k == 0 ? 0.0 : frames[k].time_s - frames[0].time_s;
    // Missing, repeated or backwards times: one frame time after the previous.
    if (!std::isfinite(t) || (k > 0 && !(t > prev))) t = prev + r.frame_time;
    float key = float_at_or_below(t);
    if (k > 0 && !(key > r.keys.back())) key = std::nextafter(r.keys.back(), INFINITY);
    r.keys.push_back(key);
    prev = t;
  }
  float end = float_at_or_below(prev + r.frame_time);
  if (!r.keys.empty() && !(end > r.keys.back())) end = std::nextafter(r.keys.back(), INFINITY);
  r.keys.push_back(end);
  return r;
}

RigHand build_rig_hand(const mano::ManoModel& model, const std::vector<RigFrame>& frames, int h) {
  RigHand r;
  const size_t n = frames.size();
  r.present.resize(n);
  std::vector<size_t> present;
  for (size_t k = 0; k < n; ++k) {
    r.present[k] = frames[k].hands[h].present ? 1 : 0;
    if (r.present[k]) present.push_back(k);
  }
  r.any_present = !present.empty();
  if (!r.any_present) return r;
  for (int b = 0; b < 10; ++b) {
    std::vector<float> v;
    for (size_t k : present) v.push_back(frames[k].hands[h].betas[b]);
    std::sort(v.begin(), v.end());
    const size_t m = v.size();
    r.betas[b] = m % 2 ? v[m / 2] : 0.5f * (v[m / 2 - 1] + v[m / 2]);
  }
  r.rest = mano::shape_hand(model, r.betas.data());
  r.parents.assign(model.parents.begin(), model.parents.end());
  for (int j = 0; j < 16; ++j)
    r.rest_joints.push_back(
        to_rig_axes({r.rest.joints[j * 3], r.rest.joints[j * 3 + 1], r.rest.joints[j * 3 + 2]}));
  for (int k = 0; k < 5; ++k) {
    const int v = mano::kFingertipVertices[k];
    r.rest_joints.push_back(
        to_rig_axes({r.rest.verts[v * 3], r.rest.verts[v * 3 + 1], r.rest.verts[v * 3 + 2]}));
    r.parents.push_back(mano::kFingertipParents[k]);
  }
  r.rotations.resize(n);
  r.root.resize(n);
  // Absent frames hold the previous present frame (the first present one before it).
  size_t src = present.front();
  for (size_t k = 0; k < n; ++k) {
    if (r.present[k]) src = k;
    const RigHandFrame& f = frames[src].hands[h];
    const auto rot = mano::local_rotations(model, f.pose.data());
    for (int j = 0; j < 16; ++j) {
      mano::Quat q = quat_to_rig_axes(mano::quat_from_mat(rot[j]));
      if (k > 0) {  // same hemisphere as the previous key: LINEAR takes the short way
        const auto& p = r.rotations[k - 1][j];
        if (p[0] * q[0] + p[1] * q[1] + p[2] * q[2] + p[3] * q[3] < 0)
          for (double& c : q) c = -c;
      }
      r.rotations[k][j] = q;
    }
    r.root[k] = to_rig_axes(f.root_m);
  }
  return r;
}

}  // namespace intershape::core::exporters
