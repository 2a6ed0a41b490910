#pragma once
// Reading MediaPipe's oracle output (tests/data/real/oracle*.json) into our
// types, for the tests. See ../shared/tools/mediapipe_oracle/README.md.

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/detect/detections.h"

namespace intershape::tests {

namespace det = intershape::core::detect;

struct OracleHand {
  std::string label;  // MediaPipe's raw label ("Left" / "Right", selfie convention)
  float score = 0.f;
  std::vector<det::Point3> landmarks_px;  // x, y in pixels; z normalised as MediaPipe gives it
  std::vector<det::Point3> world;         // metres
};

struct OracleImage {
  std::string file, rgb_sha256;
  int width = 0, height = 0;
  std::vector<OracleHand> hands;
  std::vector<det::PalmDetection> palms;  // normalised
  std::vector<det::NormRect> palm_rois;
};

inline std::vector<OracleImage> read_oracle(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot open " + path);
  const nlohmann::json j = nlohmann::json::parse(f);
  std::vector<OracleImage> out;
  for (const auto& im : j.at("images")) {
    OracleImage o;
    o.file = im.at("file").get<std::string>();
    o.rgb_sha256 = im.at("rgb_sha256").get<std::string>();
    o.width = im.at("width").get<int>();
    o.height = im.at("height").get<int>();
    for (const auto& h : im.at("hands")) {
      OracleHand oh;
      oh.label = h.at("handedness").at("label").get<std::string>();
      oh.score = h.at("handedness").at("score").get<float>();
      for (const auto& p : h.at("landmarks"))
        oh.landmarks_px.push_back(
            {p[0].get<float>() * o.width, p[1].get<float>() * o.height, p[2].get<float>()});
      for (const auto& p : h.at("world_landmarks"))
        oh.world.push_back({p[0].get<float>(), p[1].get<float>(), p[2].get<float>()});
      o.hands.push_back(oh);
    }
    const auto& palm = im.at("palm");
    if (palm.contains("palm_detections"))
      for (const auto& d : palm.at("palm_detections")) {
        det::PalmDetection p;
        p.score = d.at("score")[0].get<float>();
        const auto& r = d.at("rect");
        p.width = r.at("width").get<float>();
        p.height = r.at("height").get<float>();
        p.xmin = r.at("x_center").get<float>() - p.width * 0.5f;
        p.ymin = r.at("y_center").get<float>() - p.height * 0.5f;
        for (int k = 0; k < det::kPalmKeypoints; ++k)
          p.keypoints[k] = {d.at("keypoints")[k][0].get<float>(),
                            d.at("keypoints")[k][1].get<float>()};
        o.palms.push_back(p);
      }
    if (palm.contains("hand_rects_from_palm_detections"))
      for (const auto& r : palm.at("hand_rects_from_palm_detections"))
        o.palm_rois.push_back({r.at("x_center").get<float>(), r.at("y_center").get<float>(),
                               r.at("width").get<float>(), r.at("height").get<float>(),
                               r.at("rotation").get<float>()});
    out.push_back(o);
  }
  return out;
}

}  // namespace intershape::tests
