// The sequence spool (core/exporters/sequence_spool.h): every sequence file
// (sequence.npz with the detections, the rigged sequence.glb, the BVH,
// sequence_frames.glb) is built from it, and equals, byte for byte, what the
// in-memory writers make of the same frames; a torn last record is dropped,
// a damaged header refused. The SIGKILL and soak tests are in
// test_sequence_crash.cpp.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/exporters/bvh_writer.h"
#include "core/exporters/glb_writer.h"
#include "core/exporters/npz_sequence.h"
#include "core/exporters/rig_gltf.h"
#include "core/exporters/sequence_exporter.h"
#include "core/exporters/sequence_spool.h"
#include "core/formats/atomic_file.h"
#include "tests/exporters/spool_test_util.h"
#include "tests/test_util.h"

using namespace intershape::core;
using namespace intershape::core::exporters;
using intershape::test::FakeEstimator;
using intershape::test::TempDir;
using intershape::test::read_file;
using intershape::test::spool_result;
namespace fs = std::filesystem;

namespace {

// MediaPipe-like hands for frame k: none, one (tracked) or two (one from a palm).
std::shared_ptr<const detect::HandDetections> detections_for(int k) {
  auto d = std::make_shared<detect::HandDetections>();
  d->image_width = 640;
  d->image_height = 480;
  for (int h = 0; h < k % 3; ++h) {
    detect::HandLandmarks hand;
    for (int j = 0; j < detect::kHandLandmarks; ++j) {
      hand.landmarks[j] = {100.f + 3 * j + k, 200.f - j + h * 50, 0.01f * j};
      hand.world_landmarks[j] = {0.001f * j, -0.002f * j + h, 0.003f * k};
    }
    hand.handedness = h ? detect::Handedness::kLeft : detect::Handedness::kRight;
    hand.handedness_score = 0.9f - 0.01f * k;
    hand.presence = 0.8f + 0.001f * k;
    if (h == 1) {
      detect::PalmDetection p;
      p.score = 0.7f;
      p.xmin = 0.1f + 0.001f * k, p.ymin = 0.2f, p.width = 0.3f, p.height = 0.25f;
      hand.from_palm = true;
      hand.palm_index = static_cast<int>(d->palms.size());
      d->palms.push_back(p);
    }
    d->hands.push_back(hand);
  }
  return d;
}

std::vector<FrameResultPtr> results(FakeEstimator& est, int n, bool network, bool detections) {
  std::vector<FrameResultPtr> out;
  for (int k = 0; k < n; ++k) {
    auto r = std::make_shared<FrameResult>(*spool_result(est, k, 640, 480));
    if (!network) {
      r->has_network = false;
      r->output = {};
      r->keypoints_frame = {};
    }
    if (detections && k != 4) r->detections = detections_for(k);  // frame 4: no detector run
    out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("every sequence file built from the spool equals the in-memory writers' bytes") {
  // Was: the NPZ and the rig were kept in memory; only glb-frames was spooled.
  FakeEstimator est;
  const auto models = est.hand_models();
  const auto frames = results(est, 24, true, true);
  TempDir dir("spool_equal");
  RigOptions rig;
  rig.focal_px = 500;
  rig.pose_correctives = true;
  SequenceExporter ex(dir / "out", ExportFormats::parse("npz,glb,bvh,glb-frames"), est.faces(),
                      models, rig);
  for (const auto& r : frames) ex.add(r);
  REQUIRE(fs::exists(dir / "out/.sequence.spool"));
  const std::vector<std::string> paths = ex.finish();
  CHECK_FALSE(fs::exists(dir / "out/.sequence.spool"));
  const std::vector<std::string> names = {"sequence.glb",      "sequence_right.bvh",
                                          "sequence_right.bvh.json", "sequence_left.bvh",
                                          "sequence_left.bvh.json",  "sequence_frames.glb",
                                          "sequence.npz"};
  REQUIRE(paths.size() == names.size());
  for (size_t i = 0; i < names.size(); ++i) CHECK(paths[i] == dir / ("out/" + names[i]));

  // The same frames through the in-memory writers.
  NpzSequence npz;
  GlbSequence glb(est.faces());
  std::vector<RigFrame> rig_frames;
  const CameraIntrinsics camera = camera_for_image(640, 480, 500);
  for (const auto& r : frames) {
    npz.add(*r);
    glb.add(r->frame->timestamp_s, r->output);
    rig_frames.push_back(place_hands(*r, camera));
  }
  int present = 0;
  for (const RigFrame& f : rig_frames) present += f.hands[0].present + f.hands[1].present;
  CHECK(present > 10);  // the rig has hands to carry
  npz.write(dir / "npz.npz");
  glb.write(dir / "frames.glb");
  RigGltfOptions o;
  o.pose_correctives = true;
  CHECK(read_file(dir / "out/sequence.glb") == rig_glb_bytes(*models, rig_frames, camera, o));
  const BvhFiles right = bvh_texts(models->right, rig_frames, 0);
  const BvhFiles left = bvh_texts(models->left, rig_frames, 1);
  CHECK(read_file(dir / "out/sequence_right.bvh") == right.bvh);
  CHECK(read_file(dir / "out/sequence_right.bvh.json") == right.json);
  CHECK(read_file(dir / "out/sequence_left.bvh") == left.bvh);
  CHECK(read_file(dir / "out/sequence_left.bvh.json") == left.json);
  CHECK(read_file(dir / "out/sequence_frames.glb") == read_file(dir / "frames.glb"));
  CHECK(read_file(dir / "out/sequence.npz") == read_file(dir / "npz.npz"));
  // The detections are in it (the spool's v1 records lacked them).
  CHECK(read_file(dir / "out/sequence.npz").find("det_landmarks.npy") != std::string::npos);
}

TEST_CASE("skeleton mode: the NPZ of detections only goes through the spool too") {
  FakeEstimator est;
  const auto frames = results(est, 9, false, true);
  TempDir dir("spool_skeleton");
  SequenceExporter ex(dir / "out", ExportFormats::parse("json,npz,glb,bvh,glb-frames"), {});
  NpzSequence npz;
  for (const auto& r : frames) {
    ex.add(r);
    npz.add(*r);
  }
  const std::vector<std::string> paths = ex.finish();
  REQUIRE(paths.size() == 1);
  npz.write(dir / "npz.npz");
  CHECK(read_file(paths[0]) == read_file(dir / "npz.npz"));
}

TEST_CASE("a torn or damaged record ends the sequence there; a damaged header is refused, named") {
  FakeEstimator est;
  const auto frames = results(est, 6, true, true);
  TempDir dir("spool_torn");
  SpoolConfig config;
  config.npz = true;
  {
    SequenceSpool spool(dir.path(), config);
    for (const auto& r : frames) spool.append(*r, nullptr);
    CHECK(spool.frame_count() == 6);
    spool.close();
  }
  const std::string path = dir / kSpoolFileName;
  const std::string whole = read_file(path);
  auto count = [&](const std::string& bytes, bool* torn) {
    intershape::core::formats::write_file_atomic(path, bytes);
    std::vector<int64_t> seen;
    const SpoolContents c = read_spool(path, [&](const SpoolFrame& f) {
      seen.push_back(f.result.frame->index);
      CHECK(f.detections.has_value() == (f.result.frame->index != 4));
    });
    for (size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == static_cast<int64_t>(i));
    *torn = c.torn_tail;
    return c.frames;
  };
  bool torn = true;
  CHECK(count(whole, &torn) == 6);
  CHECK_FALSE(torn);
  // Cut in the middle of the last record (a kill while it was written).
  CHECK(count(whole.substr(0, whole.size() - 1000), &torn) == 5);
  CHECK(torn);
  // A bit flipped in the last record (a machine crash before it reached the disk).
  std::string flipped = whole;
  flipped[flipped.size() - 50] ^= 0x10;
  CHECK(count(flipped, &torn) == 5);
  CHECK(torn);
  // Zeros after the records (a file system that grew the file, not its data).
  CHECK(count(whole + std::string(30000, '\0'), &torn) == 6);
  CHECK(torn);
  // The header: damaged, or not a spool at all.
  std::string header = whole;
  header[33] ^= 0x01;  // the body (its flags)
  intershape::core::formats::write_file_atomic(path, header);
  CHECK_THROWS_WITH_AS(read_spool(path, [](const SpoolFrame&) {}),
                       doctest::Contains(".sequence.spool: the spool's header is damaged"),
                       intershape::core::formats::ExportError);
  intershape::core::formats::write_file_atomic(path, "PK\x03\x04 not a spool");
  CHECK_THROWS_WITH_AS(read_spool(path, [](const SpoolFrame&) {}),
                       doctest::Contains("not a sequence spool"), intershape::core::formats::ExportError);
}
