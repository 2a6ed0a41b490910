// --crop whole|track|detect: which square the network sees, and who chose it.
#include <doctest/doctest.h>

#include "core/crop_localiser.h"

using namespace intershape::core;
namespace det = intershape::core::detect;

namespace {
constexpr int W = 640, H = 480;

// A hand whose landmarks fill the box (x0, y0) .. (x0 + s, y0 + s).
det::HandDetections hands_at(std::initializer_list<std::array<float, 3>> boxes) {
  det::HandDetections d;
  d.image_width = W;
  d.image_height = H;
  for (const auto& b : boxes) {
    det::HandLandmarks h;
    for (int k = 0; k < det::kHandLandmarks; ++k)
      h.landmarks[k] = {b[0] + b[2] * (k % 5) / 4.f, b[1] + b[2] * (k / 5) / 4.f, 0.f};
    d.hands.push_back(h);
  }
  return d;
}

// Network keypoints: 42 confident points spread over the box.
std::array<std::array<float, 3>, kJoints> keypoints_in(float x0, float y0, float s) {
  std::array<std::array<float, 3>, kJoints> kp{};
  for (int j = 0; j < kJoints; ++j) kp[j] = {x0 + s * (j % 7) / 6.f, y0 + s * (j / 7) / 5.f, 0.9f};
  return kp;
}
}  // namespace

TEST_CASE("crop mode names") {
  CHECK(parse_crop_mode("detect") == CropMode::kDetect);
  CHECK(parse_crop_mode("whole") == CropMode::kWhole);
  CHECK(parse_crop_mode("track") == CropMode::kTrack);
  CHECK_FALSE(parse_crop_mode("auto"));
  CHECK(std::string(crop_source_name(CropSource::kManual)) == "manual");
}

TEST_CASE("detect: acquire from the detector, then track the network's keypoints") {
  CropLocaliser loc;
  // Nothing found yet: the whole frame.
  CropRect c = loc.choose(W, H, nullptr);
  CHECK(loc.source() == CropSource::kWhole);
  CHECK(c.side == doctest::Approx(640.f));
  // One hand found at 400..480: the single-hand square (3x its extent), centred on it.
  const auto one = hands_at({{400.f, 250.f, 80.f}});
  c = loc.choose(W, H, &one);
  CHECK(loc.source() == CropSource::kDetect);
  CHECK(c.side == doctest::Approx(240.f));
  CHECK(c.x0 + c.side / 2 == doctest::Approx(440.f));
  // The network then sees both hands: the next crop follows its keypoints.
  loc.update(keypoints_in(380.f, 240.f, 120.f), W, H);
  c = loc.choose(W, H, &one);
  CHECK(loc.source() == CropSource::kTrack);
  CHECK(c.side == doctest::Approx(120.f * 1.6f));
  // Keypoints lose confidence: re-detect.
  std::array<std::array<float, 3>, kJoints> weak{};
  loc.update(weak, W, H);
  c = loc.choose(W, H, &one);
  CHECK(loc.source() == CropSource::kDetect);
  // ... and with no hand found either: the whole frame.
  loc.update(weak, W, H);
  const det::HandDetections none{W, H};
  c = loc.choose(W, H, &none);
  CHECK(loc.source() == CropSource::kWhole);
}

TEST_CASE("detect: a periodic check re-acquires when the track lost a detected hand") {
  CropLocaliserSettings s;
  s.check_every = 3;
  CropLocaliser loc(s);
  const auto there = hands_at({{100.f, 100.f, 60.f}});
  loc.choose(W, H, &there);
  loc.update(keypoints_in(90.f, 90.f, 80.f), W, H);
  // Tracking a square that holds the detected hand: checks pass.
  for (int i = 0; i < 5; ++i) {
    loc.choose(W, H, &there);
    CHECK(loc.source() == CropSource::kTrack);
    loc.update(keypoints_in(90.f, 90.f, 80.f), W, H);
  }
  // The hand moved away but the keypoints stay confident where it was (the
  // network can be confidently wrong): the next check re-acquires.
  const auto moved = hands_at({{450.f, 300.f, 60.f}});
  int tracked = 0;
  for (int i = 0; i < 3; ++i) {
    const CropRect c = loc.choose(W, H, &moved);
    if (loc.source() == CropSource::kTrack) {
      ++tracked;
      loc.update(keypoints_in(90.f, 90.f, 80.f), W, H);
      continue;
    }
    CHECK(loc.source() == CropSource::kDetect);
    CHECK(c.x0 < 450.f);
    CHECK(c.x0 + c.side > 510.f);
    break;
  }
  CHECK(tracked < 3);
}

TEST_CASE("detect: on request; manual wins; whole and track modes ignore the detector") {
  CropLocaliser loc;
  const auto one = hands_at({{400.f, 250.f, 80.f}});
  loc.choose(W, H, &one);
  loc.update(keypoints_in(380.f, 240.f, 120.f), W, H);
  loc.choose(W, H, &one);
  CHECK(loc.source() == CropSource::kTrack);
  loc.request_detection();
  loc.choose(W, H, &one);
  CHECK(loc.source() == CropSource::kDetect);

  loc.set_manual({10.f, 20.f, 100.f});
  CropRect c = loc.choose(W, H, &one);
  CHECK(loc.source() == CropSource::kManual);
  CHECK(c.x0 == doctest::Approx(10.f));
  loc.reset();
  loc.choose(W, H, &one);
  CHECK(loc.source() == CropSource::kDetect);

  CropLocaliserSettings whole;
  whole.mode = CropMode::kWhole;
  CropLocaliser w(whole);
  CHECK_FALSE(w.wants_detections());
  c = w.choose(W, H, &one);
  CHECK(w.source() == CropSource::kWhole);
  CHECK(c.x0 == 0.f);
  CHECK(c.side == doctest::Approx(640.f));

  CropLocaliserSettings track;
  track.mode = CropMode::kTrack;
  CropLocaliser t(track);
  t.choose(W, H, &one);
  CHECK(t.source() == CropSource::kWhole);
  t.update(keypoints_in(380.f, 240.f, 120.f), W, H);
  t.choose(W, H, &one);
  CHECK(t.source() == CropSource::kTrack);
}
