// MediaPipe's hands in the result files: the frame JSON's "detections" (with
// and without the network: skeleton mode), and the det_* arrays of the
// sequence NPZ as numpy reads them.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/exporters/frame_json.h"
#include "core/exporters/npz_sequence.h"
#include "core/exporters/sequence_exporter.h"
#include "core/formats/atomic_file.h"
#include "tests/test_util.h"

using namespace intershape::core;
using namespace intershape::core::exporters;
namespace det = intershape::core::detect;
using intershape::test::load_npz_with_numpy;
using intershape::test::TempDir;

namespace {
std::shared_ptr<const det::HandDetections> two_hands(float dx) {
  auto d = std::make_shared<det::HandDetections>();
  d->image_width = 640;
  d->image_height = 480;
  d->palm_ms = 7.5;
  d->landmarks_ms = 12.25;
  for (int h = 0; h < 2; ++h) {
    det::PalmDetection p;
    p.score = 0.9f - 0.1f * h;
    p.xmin = 0.1f + 0.5f * h;
    p.ymin = 0.2f;
    p.width = p.height = 0.2f;
    d->palms.push_back(p);
    det::HandLandmarks hand;
    hand.handedness = h ? det::Handedness::kLeft : det::Handedness::kRight;
    hand.handedness_score = 0.95f;
    hand.presence = 0.99f;
    hand.palm_index = h;
    hand.from_palm = true;
    for (int k = 0; k < det::kHandLandmarks; ++k) {
      hand.landmarks[k] = {100.f + 320.f * h + k + dx, 150.f + k, -1.f * k};
      hand.world_landmarks[k] = {0.001f * k, 0.002f * k, -0.001f * k};
    }
    hand.roi = {0.2f + 0.5f * h, 0.3f, 0.3f, 0.4f, 0.1f};
    d->hands.push_back(hand);
  }
  return d;
}

FrameResultPtr skeleton_record(int k, bool network = false) {
  auto r = std::make_shared<FrameResult>();
  auto f = std::make_shared<Frame>();
  f->index = k;
  f->timestamp_s = k / 30.0;
  f->source = "cam";
  f->name = "img";
  f->width = 640;
  f->height = 480;
  r->frame = f;
  r->crop = CropRect::whole_frame(640, 480);
  r->crop_source = CropSource::kDetect;
  r->has_network = network;
  r->detections = two_hands(static_cast<float>(k));
  return r;
}
}  // namespace

TEST_CASE("skeleton mode JSON: detections only, read back") {
  const FrameResultPtr rp = skeleton_record(3);
  const FrameResult& r = *rp;
  const std::string text = frame_to_json(r);
  const auto j = nlohmann::json::parse(text);
  CHECK_FALSE(j.contains("right"));
  CHECK_FALSE(j.contains("keypoints2d"));
  REQUIRE(j["detections"].size() == 2);
  CHECK(j["detections"][1]["handedness"] == "left");
  CHECK(j["crop"]["source"] == "detect");
  CHECK(j["timings_ms"]["palm_detection"].get<double>() == doctest::Approx(7.5));
  CHECK(j["timings_ms"]["hand_landmarks"].get<double>() == doctest::Approx(12.25));
  const FrameResult back = frame_from_json(text, "frame_000003.json");
  CHECK_FALSE(back.has_network);
  CHECK(back.crop_source == CropSource::kDetect);
  CHECK(back.frame->index == 3);
  REQUIRE(back.detections);
  REQUIRE(back.detections->hands.size() == 2);
  CHECK(back.detections->hands[0].landmarks[20].x == r.detections->hands[0].landmarks[20].x);
  CHECK(back.detections->palms[1].score == r.detections->palms[1].score);
  // A broken detections list names the file.
  auto bad = j;
  bad["detections"][0]["landmarks"].erase(0);
  CHECK_THROWS_WITH_AS(frame_from_json(bad.dump(), "frame_000003.json"),
                       "frame_000003.json: detections[0].landmarks has 20 rows, expected 21",
                       intershape::core::formats::ExportError);
}

TEST_CASE("skeleton mode NPZ: det_* arrays with a count, no network arrays") {
  NpzSequence seq;
  for (int k = 0; k < 3; ++k) seq.add(*skeleton_record(k));
  TempDir dir;
  seq.write(dir / "sequence.npz");
  const auto j = load_npz_with_numpy(dir / "sequence.npz");
  CHECK_FALSE(j.contains("right_verts"));
  CHECK(j["det_count"]["data"] == nlohmann::json::array({2, 2, 2}));
  CHECK(j["det_landmarks"]["shape"] == nlohmann::json::array({3, 2, 21, 3}));
  CHECK(j["det_landmarks"]["dtype"] == "<f4");
  // frame 2, hand 1, landmark 0, x = 100 + 320 + 0 + 2
  CHECK(j["det_landmarks"]["data"][(2 * 2 + 1) * 63].get<float>() == doctest::Approx(422.f));
  CHECK(j["det_handedness"]["data"] == nlohmann::json::array({0, 1, 0, 1, 0, 1}));
  CHECK(j["det_palm_box"]["shape"] == nlohmann::json::array({3, 2, 4}));
  CHECK(j["frame_index"]["data"] == nlohmann::json::array({0, 1, 2}));
  // Mixing frames with and without the network is refused.
  CHECK_THROWS_AS(seq.add(*skeleton_record(3, true)), intershape::core::formats::ExportError);
}

TEST_CASE("skeleton mode: the sequence exporter writes JSON and NPZ, no meshes") {
  TempDir dir;
  SequenceExporter ex(dir.path(), ExportFormats::parse("obj,json,npz,glb"), {});
  const auto paths = ex.add(skeleton_record(0));
  REQUIRE(paths.size() == 1);
  CHECK(paths[0] == dir / "img.json");
  const auto fin = ex.finish();
  REQUIRE(fin.size() == 1);
  CHECK(fin[0] == dir / "sequence.npz");
}
