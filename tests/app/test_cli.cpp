// The product binary's screenshot mode, as people and CI run it:
//   intershape --input VIDEO [--synthetic --mano DIR] --frames N --screenshot OUT.png
// (run under Xvfb by CTest; the children inherit DISPLAY).

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <sys/wait.h>

#include <opencv2/imgcodecs.hpp>

#include "app/gui.h"
#include "tests/core/test_video.h"

using namespace intershape;

namespace {

int run(const std::string& args) {
  const std::string cmd = std::string(INTERSHAPE_BIN) + " " + args + " 2>&1";
  MESSAGE(cmd);
  const int status = std::system(cmd.c_str());
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("screenshot mode without a model: the video is shown, exit code 0") {
  const auto dir = testing::test_temp_dir("cli");
  const std::string video = (dir / "clip.avi").string();
  REQUIRE(testing::write_test_video(video, 10, 640, 480));
  const std::string shot = (dir / "shot.png").string();
  CHECK(run("--input " + video + " --frames 4 --screenshot " + shot) == 0);
  const cv::Mat img = cv::imread(shot, cv::IMREAD_COLOR);
  REQUIRE(img.cols == 1280);
  REQUIRE(img.rows == 720);
  const app::PixelRect r = app::video_rect(1280, 720, 640, 480);
  const cv::Vec3b bg = img.at<cv::Vec3b>(static_cast<int>(r.y + 30), static_cast<int>(r.x + 30));
  CHECK(bg[1] > bg[0] + 40);  // the video's green background (BGR)
  CHECK(bg[1] > bg[2] + 40);
  std::filesystem::remove_all(dir);
}

TEST_CASE("--frames beyond the end of the video: stops at its last frame") {
  const auto dir = testing::test_temp_dir("cli_short");
  const std::string video = (dir / "clip.avi").string();
  REQUIRE(testing::write_test_video(video, 3, 640, 480));
  const std::string shot = (dir / "shot.png").string();
  CHECK(run("--input " + video + " --frames 50 --screenshot " + shot) == 0);
  CHECK(std::filesystem::exists(shot));
  std::filesystem::remove_all(dir);
}

TEST_CASE("bad input is an error in plain words, not a crash") {
  const auto dir = testing::test_temp_dir("cli_bad");
  const std::string shot = (dir / "shot.png").string();
  CHECK(run("--input /nonexistent/clip.mp4 --frames 2 --screenshot " + shot) == 3);  // source error
  CHECK(std::filesystem::exists(shot));  // the window with its error is still saved
  CHECK(run("--frames 2") != 0);         // --frames needs --screenshot
  std::filesystem::remove_all(dir);
}

TEST_CASE("--synthetic with the test MANO files") {
  const auto dir = testing::test_temp_dir("cli_synth");
  const std::string video = (dir / "clip.avi").string();
  REQUIRE(testing::write_test_video(video, 4, 640, 480));
  const std::string shot = (dir / "shot.png").string();
  const int rc = run("--input " + video + " --synthetic --mano " INTERSHAPE_TEST_DATA "/mano" +
                     std::string(" --frames 2 --screenshot ") + shot);
#if INTERSHAPE_HAVE_NET
  CHECK(rc == 0);
#else
  CHECK(rc == 3);  // no model backend in this build: said so, screenshot still written
#endif
  CHECK(std::filesystem::exists(shot));
  std::filesystem::remove_all(dir);
}
