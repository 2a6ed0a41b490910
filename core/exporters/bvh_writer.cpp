#include "core/exporters/bvh_writer.h"

#include <cmath>
#include <cstdio>
#include <functional>

#include <nlohmann/json.hpp>

#include "core/formats/atomic_file.h"

namespace intershape::core::exporters {

std::array<double, 3> euler_zxy(const mano::Mat3& r) {
  // R = Rz Rx Ry: R[2][1] = sin x, R[2][0] = -cos x sin y, R[2][2] = cos x cos y,
  // R[0][1] = -sin z cos x, R[1][1] = cos z cos x.
  const double sx = std::max(-1.0, std::min(1.0, r[7]));
  const double x = std::asin(sx);
  if (std::abs(sx) < 1 - 1e-9) {
    return {std::atan2(-r[1], r[4]), x, std::atan2(-r[6], r[8])};
  }
  // Gimbal lock (x = +-90 deg): only z + y (or z - y) is defined; put it in z.
  return {std::atan2(r[3], r[0]), x, 0.0};
}

BvhFiles bvh_texts(const mano::ManoModel& model, const std::vector<RigFrame>& frames, int hand) {
  const RigHand rig = build_rig_hand(model, frames, hand);
  if (!rig.any_present)
    throw formats::ExportError(std::string("bvh: the ") + (hand == 0 ? "right" : "left") +
                               " hand is absent in every frame");
  const RigTiming timing = rig_timing(frames);
  const size_t T = frames.size();
  std::string out = "HIERARCHY\n";
  char buf[256];
  std::vector<std::vector<int>> children(21);
  for (int j = 1; j < 21; ++j) children[rig.parents[j]].push_back(j);
  std::vector<int> order;  // joints with channels, in file order
  std::function<void(int, int)> emit = [&](int j, int depth) {
    const std::string pad(size_t(depth) * 2, ' ');
    const auto& p = rig.rest_joints[j];
    std::array<double, 3> off = {0, 0, 0};
    if (j > 0) {
      const auto& q = rig.rest_joints[rig.parents[j]];
      off = {p[0] - q[0], p[1] - q[1], p[2] - q[2]};
    }
    if (j >= 16) {
      std::snprintf(buf, sizeof buf, "%sEnd Site\n%s{\n%s  OFFSET %.7f %.7f %.7f\n%s}\n",
                    pad.c_str(), pad.c_str(), pad.c_str(), off[0], off[1], off[2], pad.c_str());
      out += buf;
      return;
    }
    order.push_back(j);
    out += pad + (j == 0 ? "ROOT " : "JOINT ") + mano::joint_names()[j] + "\n" + pad + "{\n";
    std::snprintf(buf, sizeof buf, "%s  OFFSET %.7f %.7f %.7f\n", pad.c_str(), off[0], off[1],
                  off[2]);
    out += buf;
    out +=
        pad + (j == 0 ? "  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n"
                      : "  CHANNELS 3 Zrotation Xrotation Yrotation\n");
    for (int c : children[j]) emit(c, depth + 1);
    out += pad + "}\n";
  };
  emit(0, 0);
  std::snprintf(buf, sizeof buf, "MOTION\nFrames: %zu\nFrame Time: %.9f\n", T, timing.frame_time);
  out += buf;
  constexpr double kDeg = 180.0 / 3.14159265358979323846;
  for (size_t k = 0; k < T; ++k) {
    std::string line;
    for (int j : order) {
      if (j == 0) {
        const auto& p = rig.root[k];
        std::snprintf(buf, sizeof buf, "%.7f %.7f %.7f", p[0], p[1], p[2]);
        line += buf;
      }
      const auto e = euler_zxy(mano::mat_from_quat(rig.rotations[k][j]));
      std::snprintf(buf, sizeof buf, " %.6f %.6f %.6f", e[0] * kDeg, e[1] * kDeg, e[2] * kDeg);
      line += buf;
    }
    out += line + "\n";
  }
  nlohmann::json j;
  j["hand"] = hand == 0 ? "right" : "left";
  j["frames"] = T;
  j["frame_time"] = timing.frame_time;
  j["fps"] = timing.fps();
  std::vector<double> times;
  std::vector<bool> present;
  for (size_t k = 0; k < T; ++k) {
    times.push_back(frames[k].time_s - frames[0].time_s);
    present.push_back(rig.present[k] != 0);
  }
  j["times"] = times;
  j["present"] = present;
  j["units"] = "metres; +Y up, camera at the origin looking down -Z";
  return {out, j.dump(1) + "\n"};
}

std::vector<std::string> write_bvh_files(const std::string& dir, const mano::ManoPair& models,
                                         const std::vector<RigFrame>& frames) {
  std::vector<std::string> paths;
  for (int h = 0; h < 2; ++h) {
    bool any = false;
    for (const auto& f : frames) any = any || f.hands[h].present;
    if (!any) continue;
    const std::string base = dir + "/sequence_" + (h == 0 ? "right" : "left");
    BvhFiles files;
    try {
      files = bvh_texts(h == 0 ? models.right : models.left, frames, h);
    } catch (const formats::ExportError& e) {
      throw formats::ExportError("cannot write " + base + ".bvh: " + e.what());
    }
    formats::write_file_atomic(base + ".bvh", files.bvh);
    formats::write_file_atomic(base + ".bvh.json", files.json);
    paths.push_back(base + ".bvh");
    paths.push_back(base + ".bvh.json");
  }
  return paths;
}

}  // namespace intershape::core::exporters
