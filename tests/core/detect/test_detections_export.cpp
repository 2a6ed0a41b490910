// The detections as JSON and NPZ arrays: the schema's keys and units, exact
// round trip, fixed-size slots with a count, clear errors on bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/detect/detections_export.h"

namespace det = intershape::core::detect;

namespace {
det::HandDetections sample() {
  det::HandDetections d;
  d.image_width = 640;
  d.image_height = 480;
  det::PalmDetection p;
  p.score = 0.8430407643318176f;
  p.xmin = 0.25f;
  p.ymin = 0.5f;
  p.width = 0.125f;
  p.height = 0.25f;
  d.palms.push_back(p);
  for (int h = 0; h < 2; ++h) {
    det::HandLandmarks hand;
    hand.handedness = h == 0 ? det::Handedness::kRight : det::Handedness::kLeft;
    hand.handedness_score = 0.9f + 0.01f * h;
    hand.presence = 0.99f - 0.1f * h;
    for (int k = 0; k < det::kHandLandmarks; ++k) {
      hand.landmarks[k] = {100.f + k + 0.1f / 3.f, 200.f - k, -0.5f * k};
      hand.world_landmarks[k] = {0.001f * k, -0.002f * k, 0.0003f * k + 1e-7f};
    }
    hand.roi = {0.5f, 0.5f, 0.25f, 1.f / 3.f, 1.25f};
    if (h == 0) {
      hand.from_palm = true;
      hand.palm_index = 0;
    }
    d.hands.push_back(hand);
  }
  return d;
}
}  // namespace

TEST_CASE("detections JSON: the schema, pixels, and an exact round trip") {
  const det::HandDetections d = sample();
  const std::string text = det::detections_to_json(d);
  const nlohmann::json j = nlohmann::json::parse(text);
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 2);
  CHECK(j[0]["handedness"] == "right");
  CHECK(j[1]["handedness"] == "left");
  CHECK(j[0]["landmarks"].size() == 21);
  CHECK(j[0]["landmarks"][3].size() == 3);
  CHECK(j[0]["world_landmarks"].size() == 21);
  CHECK(j[0]["palm"]["score"].get<float>() == d.palms[0].score);
  // Box in pixels: x0, y0, x1, y1.
  CHECK(j[0]["palm"]["box"][0].get<float>() == doctest::Approx(160.f));
  CHECK(j[0]["palm"]["box"][1].get<float>() == doctest::Approx(240.f));
  CHECK(j[0]["palm"]["box"][2].get<float>() == doctest::Approx(240.f));
  CHECK(j[0]["palm"]["box"][3].get<float>() == doctest::Approx(360.f));
  CHECK(j[1]["palm"].is_null());  // tracked, no palm this frame
  CHECK(j[0]["region"]["width"].get<float>() == doctest::Approx(160.f));
  CHECK(j[0]["region"]["height"].get<float>() == doctest::Approx(160.f));

  const det::HandDetections back = det::detections_from_json(j, 640, 480, "f.json");
  REQUIRE(back.hands.size() == 2);
  for (int h = 0; h < 2; ++h) {
    CHECK(back.hands[h].handedness == d.hands[h].handedness);
    CHECK(back.hands[h].handedness_score == d.hands[h].handedness_score);
    CHECK(back.hands[h].presence == d.hands[h].presence);
    for (int k = 0; k < det::kHandLandmarks; ++k) {
      CHECK(back.hands[h].landmarks[k].x == d.hands[h].landmarks[k].x);
      CHECK(back.hands[h].world_landmarks[k].z == d.hands[h].world_landmarks[k].z);
    }
  }
  CHECK(back.hands[0].palm_index == 0);
  CHECK(back.hands[1].palm_index == -1);
  CHECK(back.palms[0].score == d.palms[0].score);
  CHECK(det::detections_to_json(det::HandDetections{}) == "[]");
}

TEST_CASE("detections JSON: bad input is a clear error") {
  nlohmann::json j = nlohmann::json::parse(det::detections_to_json(sample()));
  j[1]["landmarks"].erase(0);
  CHECK_THROWS_WITH(det::detections_from_json(j, 640, 480, "frame_000003.json"),
                    "frame_000003.json: detections[1].landmarks has 20 rows, expected 21");
  j = nlohmann::json::parse(det::detections_to_json(sample()));
  j[0]["handedness"] = "Left";
  CHECK_THROWS_WITH(det::detections_from_json(j, 640, 480, "x.json"),
                    "x.json: detections[0].handedness must be \"right\" or \"left\"");
  j = nlohmann::json::parse(det::detections_to_json(sample()));
  j[0]["palm"]["box"] = {1, 2};
  CHECK_THROWS(det::detections_from_json(j, 640, 480, "x.json"));
  CHECK_THROWS(det::detections_from_json(nlohmann::json::object(), 640, 480, "x.json"));
}

TEST_CASE("detections NPZ arrays: fixed-size slots and a count") {
  det::DetectionArrays a;
  a.add(sample());
  det::HandDetections one = sample();
  one.hands.resize(1);
  a.add(one);
  a.add(det::HandDetections{});
  CHECK(a.frames() == 3);
  const auto arrays = a.arrays();
  auto find = [&](const std::string& n) -> const det::NamedArray& {
    for (const auto& x : arrays)
      if (x.name == n) return x;
    FAIL("no array " << n);
    return arrays[0];
  };
  const auto& count = find("det_count");
  CHECK(count.descr == "<i4");
  REQUIRE(count.bytes.size() == 3 * 4);
  int32_t c[3];
  std::memcpy(c, count.bytes.data(), sizeof c);
  CHECK(c[0] == 2);
  CHECK(c[1] == 1);
  CHECK(c[2] == 0);
  const auto& lm = find("det_landmarks");
  CHECK(lm.shape == std::vector<int64_t>{3, 2, 21, 3});
  REQUIRE(lm.bytes.size() == 3 * 2 * 21 * 3 * 4);
  std::vector<float> v(lm.bytes.size() / 4);
  std::memcpy(v.data(), lm.bytes.data(), lm.bytes.size());
  CHECK(v[0] == sample().hands[0].landmarks[0].x);
  CHECK(std::isnan(v[(1 * 2 + 1) * 63]));  // frame 1, slot 1: empty
  const auto& side = find("det_handedness");
  std::vector<int32_t> s(side.bytes.size() / 4);
  std::memcpy(s.data(), side.bytes.data(), side.bytes.size());
  CHECK(s == std::vector<int32_t>{0, 1, 0, -1, -1, -1});
  const auto& box = find("det_palm_box");
  CHECK(box.shape == std::vector<int64_t>{3, 2, 4});
  for (const auto& x : arrays) {
    int64_t n = 1;
    for (int64_t d : x.shape) n *= d;
    CHECK(static_cast<int64_t>(x.bytes.size()) == n * 4);
  }
}
