#include <doctest/doctest.h>

#include "core/crop_tracker.h"

using namespace intershape::core;
using Keypoints = std::array<std::array<float, 3>, kJoints>;

namespace {
// Confident keypoints spread over [x0, x0+w] x [y0, y0+h]; the rest unsure.
Keypoints box_keypoints(float x0, float y0, float w, float h, float conf = 0.9f) {
  Keypoints kp{};
  for (int j = 0; j < kJoints; ++j) kp[j] = {0.f, 0.f, 0.01f};
  for (int j = 0; j < 10; ++j) kp[j] = {x0 + w * (j % 2), y0 + h * ((j / 2) % 2), conf};
  return kp;
}
}  // namespace

TEST_CASE("starts with the whole frame") {
  CropTracker t;
  const CropRect c = t.next(640, 480);
  CHECK(c.x0 == 0.f);
  CHECK(c.y0 == 0.f);
  CHECK(c.side == 640.f);
}

TEST_CASE("locks onto confident keypoints with the margin") {
  CropTrackerSettings s;
  s.margin = 0.25f;
  CropTracker t(s);
  t.update(box_keypoints(300, 200, 100, 60), 640, 480);
  const CropRect c = t.next(640, 480);
  CHECK(c.side == doctest::Approx(100.f * 1.5f));
  CHECK(c.x0 + c.side / 2 == doctest::Approx(350.f));
  CHECK(c.y0 + c.side / 2 == doctest::Approx(230.f));
}

TEST_CASE("smoothing moves only part of the way; zero smoothing jumps") {
  CropTrackerSettings s;
  s.margin = 0.f;
  s.smoothing = 0.5f;
  s.min_side_fraction = 0.f;
  CropTracker t(s);
  t.update(box_keypoints(100, 100, 100, 100), 640, 480);
  t.update(box_keypoints(300, 100, 100, 100), 640, 480);
  CropRect c = t.next(640, 480);
  CHECK(c.x0 + c.side / 2 == doctest::Approx(250.f));  // half-way from 150 to 350
  s.smoothing = 0.f;
  t.set_settings(s);
  t.update(box_keypoints(300, 100, 100, 100), 640, 480);
  c = t.next(640, 480);
  CHECK(c.x0 + c.side / 2 == doctest::Approx(350.f));
}

TEST_CASE("small jitter in the keypoints barely moves the smoothed crop") {
  CropTrackerSettings s;
  s.smoothing = 0.8f;
  CropTracker t(s);
  for (int i = 0; i < 30; ++i)
    t.update(box_keypoints(300 + (i % 2 ? 4.f : -4.f), 200, 100, 100), 640, 480);
  const float a = t.next(640, 480).x0;
  t.update(box_keypoints(304, 200, 100, 100), 640, 480);
  const float b = t.next(640, 480).x0;
  CHECK(std::abs(b - a) < 2.f);  // the raw square moved 8 px
}

TEST_CASE("low confidence resets to the whole frame") {
  CropTrackerSettings s;
  s.min_confidence = 0.5f;
  CropTracker t(s);
  t.update(box_keypoints(300, 200, 100, 100), 640, 480);
  CHECK(t.next(640, 480).side < 640.f);
  t.update(box_keypoints(300, 200, 100, 100, 0.3f), 640, 480);
  const CropRect c = t.next(640, 480);
  CHECK(c.side == 640.f);
  CHECK(c.x0 == 0.f);
}

TEST_CASE("the side never drops below the minimum fraction of the frame") {
  CropTrackerSettings s;
  s.min_side_fraction = 0.25f;
  CropTracker t(s);
  t.update(box_keypoints(300, 200, 4, 4), 640, 480);
  CHECK(t.next(640, 480).side == doctest::Approx(160.f));
}

TEST_CASE("a manual crop is kept until reset, whatever the keypoints say") {
  CropTracker t;
  t.set_manual({10.f, 20.f, 200.f});
  t.update(box_keypoints(300, 200, 100, 100), 640, 480);
  CropRect c = t.next(640, 480);
  CHECK(c.x0 == doctest::Approx(10.f));
  CHECK(c.y0 == doctest::Approx(20.f));
  CHECK(c.side == doctest::Approx(200.f));
  t.reset();
  CHECK(t.next(640, 480).side == 640.f);
}

TEST_CASE("follow off keeps the whole frame") {
  CropTrackerSettings s;
  s.follow = false;
  CropTracker t(s);
  t.update(box_keypoints(300, 200, 100, 100), 640, 480);
  CHECK(t.next(640, 480).side == 640.f);
}
