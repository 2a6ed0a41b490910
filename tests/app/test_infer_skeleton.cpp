// `intershape infer` without a checkpoint (skeleton mode), as a user runs it
// on the real photos: each picture's JSON holds MediaPipe's hands, matching
// MediaPipe's own output (tests/data/real/oracle.json) within the issue's
// bounds; the NPZ holds the same as fixed-size arrays.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/core/detect/oracle_json.h"
#include "tests/test_util.h"

using intershape::test::TempDir;
namespace fs = std::filesystem;

namespace {
intershape::test::CommandResult run_intershape(const std::string& args) {
  return intershape::test::run_command(std::string("'") + INTERSHAPE_BIN + "' " + args + " 2>&1");
}
const std::string kReal = std::string(INTERSHAPE_TEST_DATA) + "/real";
const std::string kModels = std::string(INTERSHAPE_SOURCE_DIR) + "/assets/models";
}  // namespace

TEST_CASE("infer without a checkpoint writes each picture's detections, as MediaPipe finds them") {
  TempDir in("skel_in"), out("skel_out");
  const auto oracle = intershape::tests::read_oracle(kReal + "/oracle.json");
  for (const auto& im : oracle) fs::copy_file(kReal + "/" + im.file, in / im.file);
  const auto r = run_intershape("infer --input " + in.path() + " --output " + out.path() +
                                " --hand-models " + kModels + " --export json,npz");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("skeletons from MediaPipe") != std::string::npos);
  for (const auto& im : oracle) {
    CAPTURE(im.file);
    std::ifstream f(out / (fs::path(im.file).stem().string() + ".json"));
    REQUIRE(f);
    const auto j = nlohmann::json::parse(f);
    CHECK_FALSE(j.contains("right"));
    const auto& d = j.at("detections");
    REQUIRE(d.size() == im.hands.size());
    for (size_t h = 0; h < im.hands.size(); ++h) {
      const auto& theirs = im.hands[h];
      CHECK(d[h]["handedness"] == (theirs.label == "Left" ? "right" : "left"));
      CHECK(std::abs(d[h]["handedness_score"].get<float>() - theirs.score) <= 0.02f);
      std::vector<float> err;
      for (int k = 0; k < 21; ++k)
        err.push_back(std::hypot(d[h]["landmarks"][k][0].get<float>() - theirs.landmarks_px[k].x,
                                 d[h]["landmarks"][k][1].get<float>() - theirs.landmarks_px[k].y));
      std::sort(err.begin(), err.end());
      CHECK(err[10] <= 1.5f);
      CHECK(err.back() <= 4.f);
      CHECK(d[h]["world_landmarks"].size() == 21);
      CHECK(d[h]["palm"]["box"].size() == 4);
    }
  }
  CHECK(fs::exists(out / "sequence.npz"));
  CHECK_FALSE(fs::exists(out / "image21869_right.obj"));  // no meshes without the network
}

TEST_CASE("missing hand models: a clear error naming the file and the fetch script") {
  TempDir in("skel_in"), out("skel_out"), empty("models");
  fs::copy_file(kReal + "/image21869.jpg", in / "a.jpg");
  const auto r = run_intershape("infer --input " + in.path() + " --output " + out.path() +
                                " --hand-models " + empty.path());
  CHECK(r.status != 0);
  CHECK(r.status != 2);
  CHECK(r.output.find("palm_detection_full.tflite") != std::string::npos);
  CHECK(r.output.find("scripts/fetch_hand_models.sh") != std::string::npos);
  const auto bad =
      run_intershape("infer --input " + in.path() + " --output " + out.path() + " --crop middle");
  CHECK(bad.status == 2);
}
