// `intershape infer` as a user runs it: the real binary, its exit codes and
// messages. With the network built in (INTERSHAPE_HAVE_NET), a synthetic-weight
// run on an image and a short video; otherwise the "built without LibTorch" path.

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/test_util.h"

using intershape::test::TempDir;
namespace fs = std::filesystem;

namespace {

using Run = intershape::test::CommandResult;

Run run_intershape(const std::string& args) {
  return intershape::test::run_command(std::string("'") + INTERSHAPE_BIN + "' " + args + " 2>&1");
}

const std::string kMano = std::string(INTERSHAPE_TEST_DATA) + "/mano";

}  // namespace

TEST_CASE("usage errors exit 2 with a message") {
  TempDir dir("cli");
  Run r = run_intershape("infer --output " + dir.path());
  CHECK(r.status == 2);
  CHECK(r.output.find("--input") != std::string::npos);
  r = run_intershape("infer --input " + dir.path() + " --output " + (dir / "o") + " --synthetic");
  CHECK(r.status == 2);
  CHECK(r.output.find("--synthetic needs --mano") != std::string::npos);
  r = run_intershape("infer --input " + (dir / "missing.png") + " --output o --synthetic --mano " +
                     kMano);
  CHECK(r.status == 2);
  CHECK(r.output.find("does not exist") != std::string::npos);
  r = run_intershape("infer --input " + dir.path() + " --output o --synthetic --mano " + kMano +
                     " --export obj,fbx");
  CHECK(r.status == 2);
  CHECK(r.output.find("unknown export format 'fbx'") != std::string::npos);
  r = run_intershape("infer --input " + dir.path() + " --output o --checkpoint c --device tpu");
  CHECK(r.status == 2);
}

#if INTERSHAPE_HAVE_NET

TEST_CASE("synthetic network: an image gives the demo's files" * doctest::test_suite("net")) {
  TempDir dir("cli");
  cv::Mat img =
      cv::imread(std::string(INTERSHAPE_TEST_DATA) + "/parity/input.png", cv::IMREAD_COLOR);
  REQUIRE(!img.empty());
  REQUIRE(cv::imwrite(dir / "hands.png", img));
  const Run r = run_intershape("infer --synthetic --mano " + kMano + " --device cpu --input " +
                               (dir / "hands.png") + " --output " + (dir / "out") +
                               " --export obj,ply,json,npz,glb,attention");
  INFO(r.output);
  CHECK(r.status == 0);
  for (const char* f : {"hands_right.obj", "hands_left.obj", "hands_interacting.obj",
                        "hands_right.ply", "hands.json", "hands_attention.npz",
                        "hands_attention_left.png", "sequence.glb", "sequence.npz"})
    CHECK_MESSAGE(fs::exists(dir / ("out/" + std::string(f))), f);
  CHECK(r.output.find("\r[") == std::string::npos);  // stderr is not a terminal: no progress bar
}

namespace {
// Every number of two result JSON files, walked together; floats within
// `tol` (the network's sums may round differently on another CPU), the rest
// equal. Timings are not compared.
void check_same_json(const nlohmann::json& a, const nlohmann::json& b, const std::string& at,
                     double tol) {
  if (at == "/timings_ms") return;
  INFO(at);
  REQUIRE(a.type() == b.type());
  if (a.is_object()) {
    REQUIRE(a.size() == b.size());
    for (auto it = a.begin(); it != a.end(); ++it) {
      REQUIRE(b.contains(it.key()));
      check_same_json(it.value(), b[it.key()], at + "/" + it.key(), tol);
    }
  } else if (a.is_array()) {
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i)
      check_same_json(a[i], b[i], at + "/" + std::to_string(i), tol);
  } else if (a.is_number_float()) {
    CHECK(std::abs(a.get<double>() - b.get<double>()) <= tol * (1 + std::abs(b.get<double>())));
  } else {
    CHECK(a == b);
  }
}
}  // namespace

TEST_CASE("infer on the engine writes what infer wrote before it" * doctest::test_suite("net")) {
  // tests/data/infer_before: the output of the previous, separate infer path.
  const std::string before = std::string(INTERSHAPE_TEST_DATA) + "/infer_before/";
  TempDir dir("cli_before");
  const Run r = run_intershape("infer --synthetic --mano " + kMano + " --device cpu --input " +
                               before + "clip6.mp4 --output " + (dir / "out") +
                               " --export json,npz");
  INFO(r.output);
  REQUIRE(r.status == 0);
  for (const char* name : {"clip6_000000.json", "clip6_000005.json"}) {
    INFO(name);
    const auto want = nlohmann::json::parse(intershape::test::read_file(before + name));
    const auto got = nlohmann::json::parse(intershape::test::read_file(dir / ("out/" + std::string(name))));
    check_same_json(got, want, "", 1e-4);
  }
  const auto want = intershape::test::load_npz_with_numpy(before + "sequence.npz");
  const auto got = intershape::test::load_npz_with_numpy(dir / "out/sequence.npz");
  check_same_json(got, want, "", 1e-4);
}

TEST_CASE("a missing checkpoint is a model error: exit 3, named" * doctest::test_suite("net")) {
  TempDir dir("cli");
  REQUIRE(cv::imwrite(dir / "x.png", cv::Mat(64, 64, CV_8UC3, cv::Scalar(1, 2, 3))));
  const Run r = run_intershape("infer --checkpoint " + (dir / "nope.pth.tar") + " --input " +
                               (dir / "x.png") + " --output " + (dir / "out"));
  CHECK(r.status == 3);
  CHECK(r.output.find("nope.pth.tar") != std::string::npos);
}

TEST_CASE("an output folder that cannot be created fails before the model loads" *
          doctest::test_suite("net")) {
  TempDir dir("cli");
  REQUIRE(cv::imwrite(dir / "x.png", cv::Mat(64, 64, CV_8UC3, cv::Scalar(1, 2, 3))));
  // The checkpoint is missing too: the output folder is named first.
  const Run r = run_intershape("infer --checkpoint " + (dir / "nope.pth.tar") + " --input " +
                               (dir / "x.png") + " --output " + (dir / "x.png/out"));
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find("cannot create folder " + (dir / "x.png/out") + ": Not a directory") !=
        std::string::npos);
  CHECK(r.output.find("nope.pth.tar") == std::string::npos);
}

#else

TEST_CASE("without LibTorch, infer says so and fails") {
  TempDir dir("cli");
  REQUIRE(cv::imwrite(dir / "x.png", cv::Mat(64, 64, CV_8UC3, cv::Scalar(1, 2, 3))));
  const Run r = run_intershape("infer --synthetic --mano " + kMano + " --input " + (dir / "x.png") +
                               " --output " + (dir / "out"));
  CHECK(r.status == 1);
  CHECK(r.output.find("built without LibTorch") != std::string::npos);
}

#endif
