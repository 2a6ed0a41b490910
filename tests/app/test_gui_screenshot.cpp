// Runs the GUI (under Xvfb) on a generated video through the fake estimator,
// saves screenshots and checks their pixels: the video is where the layout says,
// each hand's colour covers its keypoints, the panels are there, the 3D view
// and the attention maps are drawn. The PNGs are kept in the build folder
// (tests/app/screenshots/) for people to look at.

#include <doctest/doctest.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <fstream>

#include "app/gui.h"
#include "core/session/session_source.h"
#include "app/gui_recording.h"
#include "tests/app/turbo.h"
#include "core/overlay_fit.h"
#include "tests/core/fake_estimator.h"
#include "tests/core/test_video.h"

using namespace intershape;
using namespace intershape::testing;

namespace {

constexpr int kW = 1280, kH = 720;   // window
constexpr int kFw = 640, kFh = 480;  // video

std::filesystem::path screenshot_dir() {
  auto dir = std::filesystem::path(INTERSHAPE_SCREENSHOT_DIR);
  std::filesystem::create_directories(dir);
  return dir;
}

core::EstimatorFactory fake_factory() {
  return [](const core::ModelConfig&) -> std::unique_ptr<core::HandEstimator> {
    return std::make_unique<FakeEstimator>();
  };
}

cv::Vec3b rgb_at(const cv::Mat& bgr, float x, float y) {
  const cv::Vec3b p = bgr.at<cv::Vec3b>(static_cast<int>(y), static_cast<int>(x));
  return {p[2], p[1], p[0]};
}

bool is_right_colour(cv::Vec3b c) {  // yellow, lit or not
  return c[0] > c[2] + 80 && c[1] > c[2] + 50;
}
bool is_left_colour(cv::Vec3b c) {  // magenta
  return c[2] > c[1] + 60 && c[0] > c[1] + 40;
}

// Frame pixel -> window pixel, as the GUI lays the video out.
cv::Point2f to_window(float fx, float fy) {
  const app::PixelRect r = app::video_rect(kW, kH, kFw, kFh);
  return {r.x + fx * r.w / kFw, r.y + fy * r.h / kFh};
}

// Where the fake puts hand h's keypoints in the frame: its blob is the square
// fake_hands_picture draws.
std::vector<cv::Point2f> expected_keypoints(int h) {
  const float size = kFh / 4.f;
  const float x0 = h == 0 ? kFw / 5.f : kFw * 3 / 5.f, y0 = kFh / 3.f;
  const float cx = x0 + size / 2, cy = y0 + size / 2;
  std::vector<cv::Point2f> out;
  for (const auto& p : fake_joint_layout()) out.push_back({cx + size * p[0], cy + size * p[1]});
  return out;
}

// Fraction of pixels in a (2r+1)^2 box around p that pass `test`.
template <class Test>
double fraction_around(const cv::Mat& bgr, cv::Point2f p, int r, Test test) {
  int hit = 0, all = 0;
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx, ++all)
      if (test(rgb_at(bgr, p.x + dx, p.y + dy))) ++hit;
  return static_cast<double>(hit) / all;
}

template <class Test>
int count_in(const cv::Mat& bgr, cv::Rect r, Test test) {
  int n = 0;
  r &= cv::Rect(0, 0, bgr.cols, bgr.rows);
  for (int y = r.y; y < r.y + r.height; ++y)
    for (int x = r.x; x < r.x + r.width; ++x)
      if (test(rgb_at(bgr, static_cast<float>(x), static_cast<float>(y)))) ++n;
  return n;
}

using intershape::test::turbo;

// Close to the colour scale's bright middle (cyan .. green), which
// neither the video, the hands nor the UI use.
bool is_map_colour(cv::Vec3b c) {
  for (float t = 0.25f; t <= 0.501f; t += 0.05f) {
    const cv::Vec3f m = turbo(t);
    const float d = std::abs(c[0] - m[0]) + std::abs(c[1] - m[1]) + std::abs(c[2] - m[2]);
    if (d < 45.f) return true;
  }
  return false;
}

const cv::Rect kAttentionWindow(app::kPanelColumnWidth + 10, 30, 870, 680);

// How many of hand h's expected keypoints have its colour around them.
int keypoints_covered(const cv::Mat& img, int h) {
  int covered = 0;
  for (const cv::Point2f& kp : expected_keypoints(h)) {
    const cv::Point2f p = to_window(kp.x, kp.y);
    const double f = h == 0 ? fraction_around(img, p, 3, is_right_colour)
                            : fraction_around(img, p, 3, is_left_colour);
    if (f > 0.5) ++covered;
  }
  return covered;
}

bool is_title_bar(cv::Vec3b c) { return c[2] > c[0] + 50 && c[2] > 90; }

std::string make_video() {
  const auto dir = test_temp_dir("gui");
  const std::string video = (dir / "hands.avi").string();
  REQUIRE(write_test_video(video, 12, kFw, kFh));
  return video;
}

app::GuiConfig config_for(const std::string& video, const std::string& shot) {
  app::GuiConfig c;
  c.source = core::classify_source(video);
  c.load_model = true;
  c.width = kW;
  c.height = kH;
  c.frames = 8;
  c.screenshot = shot;
  return c;
}

}  // namespace

TEST_CASE("main window: video, both hands over their keypoints, panels, 3D view") {
  const std::string shot = (screenshot_dir() / "gui_main.png").string();
  std::filesystem::remove(shot);
  const int rc = app::run_gui(config_for(make_video(), shot), fake_factory());
  CHECK(rc == 0);
  const cv::Mat img = cv::imread(shot, cv::IMREAD_COLOR);
  REQUIRE(img.cols == kW);
  REQUIRE(img.rows == kH);

  // The video: its green background where no hand is (top-left region of the
  // frame), the grey bar at the bottom.
  const cv::Vec3b bg = rgb_at(img, to_window(40, 40).x, to_window(40, 40).y);
  CHECK(bg[1] > bg[0] + 40);
  CHECK(bg[1] > bg[2] + 40);
  CHECK(rgb_at(img, to_window(40, 40).x, to_window(40, 40).y)[1] > 100);
  // The video sits between the panel columns.
  const app::PixelRect vr = app::video_rect(kW, kH, kFw, kFh);
  CHECK(vr.x >= app::kPanelColumnWidth);
  CHECK(vr.x + vr.w <= kW - app::kRightColumnWidth);

  // Each hand's colour covers where its keypoints project.
  for (int h = 0; h < 2; ++h) {
    int covered = 0;
    for (const cv::Point2f& kp : expected_keypoints(h)) {
      const cv::Point2f p = to_window(kp.x, kp.y);
      const double f = h == 0 ? fraction_around(img, p, 3, is_right_colour)
                              : fraction_around(img, p, 3, is_left_colour);
      if (f > 0.5) ++covered;
    }
    CAPTURE(h);
    CHECK(covered >= 19);  // of 21
    // ...and the other hand's colour is not there.
    const cv::Point2f centre = to_window(expected_keypoints(h)[0].x, expected_keypoints(h)[4].y);
    CHECK(fraction_around(img, centre, 5, h == 0 ? is_left_colour : is_right_colour) < 0.05);
  }

  // Panels: title bars of Model (top-left), Playback and Thresholds (left
  // column) and Stats (top-right).
  CHECK(is_title_bar(rgb_at(img, 200, 8)));
  CHECK(is_title_bar(rgb_at(img, 200, 238 + 8)));
  CHECK(is_title_bar(rgb_at(img, 200, 435 + 8)));
  CHECK(is_title_bar(rgb_at(img, kW - 100, 250 + 8)));  // Recording (right column)
  CHECK(is_title_bar(rgb_at(img, kW - 100, 8)));

  // The 3D view (bottom-right window) shows both hands.
  const cv::Rect view3d(kW - app::kRightColumnWidth, 370 + 25, app::kRightColumnWidth, kH - 395);
  CHECK(count_in(img, view3d, is_right_colour) > 300);
  CHECK(count_in(img, view3d, is_left_colour) > 300);
  // No maps without the Attention panel (the control for the next test).
  CHECK(count_in(img, kAttentionWindow, is_map_colour) < 50);
}

TEST_CASE("attention panel: maps over the crop, joint heatmap, stage maps") {
  const std::string shot = (screenshot_dir() / "gui_attention.png").string();
  std::filesystem::remove(shot);
  app::GuiConfig c = config_for(make_video(), shot);
  c.panel = "attention";
  const int rc = app::run_gui(c, fake_factory());
  CHECK(rc == 0);
  const cv::Mat img = cv::imread(shot, cv::IMREAD_COLOR);
  REQUIRE(img.cols == kW);
  // The Attention window's title bar.
  CHECK(is_title_bar(rgb_at(img, app::kPanelColumnWidth + 200, 18)));
  // The maps are drawn: the colour scale's middle shows up inside the window
  // (attention blobs, the joint heatmap, the stage maps).
  const int map_pixels = count_in(img, kAttentionWindow, is_map_colour);
  MESSAGE("map-coloured pixels: " << map_pixels);
  CHECK(map_pixels > 500);
}

TEST_CASE("without a model the video still plays and the panel says why") {
  const std::string shot = (screenshot_dir() / "gui_no_model.png").string();
  std::filesystem::remove(shot);
  app::GuiConfig c = config_for(make_video(), shot);
  const int rc =
      app::run_gui(c, [](const core::ModelConfig&) -> std::unique_ptr<core::HandEstimator> {
        throw core::ModelError("no model backend in this test");
      });
  CHECK(rc == 3);  // the requested model failed; the screenshot is still written
  const cv::Mat img = cv::imread(shot, cv::IMREAD_COLOR);
  REQUIRE(img.cols == kW);
  const cv::Point2f p = to_window(40, 40);
  CHECK(rgb_at(img, p.x, p.y)[1] > 100);  // the video is there
  // No hand colour anywhere on the video.
  const app::PixelRect v = app::video_rect(kW, kH, kFw, kFh);
  const cv::Rect video(static_cast<int>(v.x), static_cast<int>(v.y), static_cast<int>(v.w),
                       static_cast<int>(v.h));
  CHECK(count_in(img, video, is_right_colour) == 0);
  CHECK(count_in(img, video, is_left_colour) == 0);
}

TEST_CASE("a slow network (2.5 s a pass) does not hold the render loop") {
  const std::string shot = (screenshot_dir() / "gui_slow_network.png").string();
  app::GuiConfig c = config_for(make_video(), shot);
  c.frames = 2;
  app::GuiRunReport report;
  c.report = &report;
  const int rc =
      app::run_gui(c, [](const core::ModelConfig&) -> std::unique_ptr<core::HandEstimator> {
        return std::make_unique<FakeEstimator>(std::chrono::milliseconds(2500));
      });
  CHECK(rc == 0);
  MESSAGE("frames rendered before the first result: " << report.frames_rendered_before_first_result
                                                      << ", in all: " << report.frames_rendered
                                                      << ", results: " << report.results_seen);
  // The first result takes 2.5 s. The window draws only when something
  // changes, but it kept going meanwhile: the first frames, and a heartbeat a
  // second for the Stats panel (a loop that waited for inference would have
  // drawn one frame).
  CHECK(report.frames_rendered_before_first_result >= 3);
  CHECK(report.results_seen >= 1);
}

// Issue 14, item 11: under software GL a render loop that draws continuously
// takes the cores the network needs. With nothing changing, it must sleep.
TEST_CASE("a still picture: the window sleeps while nothing changes, and draws the result at once") {
  const auto dir = test_temp_dir("gui_still");
  const std::string picture = (dir / "still.png").string();
  REQUIRE(cv::imwrite(picture, fake_hands_picture(kFw, kFh, 0)));
  app::GuiConfig c;
  c.source = core::classify_source(picture);  // one frame, then nothing changes
  c.load_model = true;
  c.remember_layout = false;
  std::thread signaller;
  c.on_first_frame = [&] {
    signaller = std::thread([] {
      std::this_thread::sleep_for(std::chrono::seconds(4));
      std::raise(SIGINT);
    });
  };
  app::GuiRunReport report;
  c.report = &report;
  // The result comes 300 ms after the frame, while the loop sleeps.
  const int rc =
      app::run_gui(c, [](const core::ModelConfig&) -> std::unique_ptr<core::HandEstimator> {
        return std::make_unique<FakeEstimator>(std::chrono::milliseconds(300));
      });
  signaller.join();
  CHECK(rc == 0);
  MESSAGE("frames rendered in " << report.seconds << " s: " << report.frames_rendered
                                << ", asleep " << report.idle_seconds << " s, result on screen "
                                << report.max_result_to_screen_ms << " ms after it finished");
  CHECK(report.seconds >= 4.0);
  // A loop drawing at the display's rate: ~240 frames; at llvmpipe's pace ~160.
  // Sleeping: the first frames, the result, a heartbeat a second.
  CHECK(report.frames_rendered >= 3);
  CHECK(report.frames_rendered <= 20);
  // The result was drawn, and when it came, not at the next heartbeat.
  CHECK(report.results_seen == 1);
  REQUIRE(report.last_result);
  CHECK(report.max_result_to_screen_ms > 0.0);
  CHECK(report.max_result_to_screen_ms < 400.0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("results wake the sleeping loop: each is on screen well before the next heartbeat") {
  const std::string shot = (screenshot_dir() / "gui_wake.png").string();
  app::GuiConfig c = config_for(make_video(), shot);
  c.frames = 8;
  app::GuiRunReport report;
  c.report = &report;
  const int rc =
      app::run_gui(c, [](const core::ModelConfig&) -> std::unique_ptr<core::HandEstimator> {
        return std::make_unique<FakeEstimator>(std::chrono::milliseconds(150));
      });
  CHECK(rc == 0);
  MESSAGE("results " << report.results_seen << ", frames " << report.frames_rendered
                     << ", longest result-to-screen " << report.max_result_to_screen_ms << " ms");
  CHECK(report.results_seen >= 8);
  // Without the engine's wake-up each result would wait for the 1 s heartbeat
  // (the longest of 8 waits would be < 400 ms once in ~1,500 runs).
  CHECK(report.max_result_to_screen_ms < 400.0);
  const cv::Mat img = cv::imread(shot, cv::IMREAD_COLOR);
  REQUIRE(img.cols == kW);
  CHECK(keypoints_covered(img, 0) >= 19);
  CHECK(keypoints_covered(img, 1) >= 19);
}

TEST_CASE("one frame, or more frames than the video has: each waits for its last result") {
  for (int frames : {1, 40}) {
    CAPTURE(frames);
    const std::string shot = (screenshot_dir() / "gui_frames.png").string();
    app::GuiConfig c = config_for(make_video(), shot);  // 12 frames
    c.frames = frames;
    app::GuiRunReport report;
    c.report = &report;
    CHECK(app::run_gui(c, fake_factory()) == 0);
    REQUIRE(report.last_result);
    CHECK(report.last_result->frame->index == std::min(frames, 12) - 1);
  }
}

TEST_CASE("--record: the shown frames and their results go into a session folder") {
  const auto dir = testing::test_temp_dir("gui_record");
  const std::string shot = (screenshot_dir() / "gui_record.png").string();
  app::GuiConfig c = config_for(make_video(), shot);
  c.frames = 6;
  c.record_folder = (dir / "session").string();
  CHECK(app::run_gui(c, fake_factory()) == 0);
  std::ifstream in(c.record_folder + "/manifest.json");
  REQUIRE(in.good());
  const nlohmann::json m = nlohmann::json::parse(in);
  CHECK(m.at("complete").get<bool>());
  const int frames = m.at("frame_count").get<int>();
  CHECK(frames >= 1);
  CHECK(frames <= 6);
  // The last frame shown was recorded with its result (the run waited for it).
  CHECK(std::filesystem::exists(c.record_folder + "/frame_" + cv::format("%06d", frames - 1) +
                                ".json"));
  // The Recording panel's "glb + bvh" (on by default): the hands' rig next to the session.
  CHECK(std::filesystem::exists(c.record_folder + "/sequence.glb"));
  CHECK(std::filesystem::exists(c.record_folder + "/sequence_right.bvh"));
  CHECK(std::filesystem::exists(c.record_folder + "/sequence_left.bvh.json"));
  // Built from the folder's spool (a killed GUI leaves it for `infer --resume`), then removed.
  CHECK_FALSE(std::filesystem::exists(c.record_folder + "/.sequence.spool"));
  // Replay: the recorded results are shown without any model.
  const std::string replay_shot = (screenshot_dir() / "gui_replay.png").string();
  app::GuiConfig r;
  r.source = core::session::resolve_source(c.record_folder);
  CHECK(r.source.kind == core::SourceSpec::Kind::kSession);
  r.frames = 100;  // more than recorded: stops at the end
  r.screenshot = replay_shot;
  app::GuiRunReport report;
  r.report = &report;
  CHECK(app::run_gui(r, [](const core::ModelConfig&) -> std::unique_ptr<core::HandEstimator> {
          throw core::ModelError("replay must not need a model");
        }) == 0);
  REQUIRE(report.last_result);
  CHECK(report.last_result->frame->index == frames - 1);
  const cv::Mat img = cv::imread(replay_shot, cv::IMREAD_COLOR);
  REQUIRE(img.cols == kW);
  CHECK(keypoints_covered(img, 0) >= 19);
  CHECK(keypoints_covered(img, 1) >= 19);
  // Recording into a folder that already holds a session is refused up front.
  CHECK_THROWS_WITH_AS(app::run_gui(c, fake_factory()), doctest::Contains("Cannot record into"),
                       std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("SIGINT ends the GUI cleanly: threads stopped and joined, exit code 0") {
  app::GuiConfig c;
  c.source = core::classify_source(make_video());
  c.load_model = true;
  c.remember_layout = false;  // leave the user's config folder alone
  std::thread signaller;
  c.on_first_frame = [&] {
    // From another thread, as a terminal's Ctrl-C would arrive.
    signaller = std::thread([] { std::raise(SIGINT); });
  };
  app::GuiRunReport report;
  c.report = &report;
  struct sigaction before {};
  sigaction(SIGINT, nullptr, &before);
  // A slow network: the worker is inside a forward pass when the signal comes.
  const int rc =
      app::run_gui(c, [](const core::ModelConfig&) -> std::unique_ptr<core::HandEstimator> {
        return std::make_unique<FakeEstimator>(std::chrono::milliseconds(200));
      });
  signaller.join();
  CHECK(rc == 0);
  CHECK(report.frames_rendered >= 1);
  // The previous SIGINT disposition is back after the run.
  struct sigaction after {};
  sigaction(SIGINT, nullptr, &after);
  CHECK((after.sa_handler == before.sa_handler));
}

#if INTERSHAPE_HAVE_NET
TEST_CASE("the synthetic network: meshes placed on its keypoints, both hands in the 3D view") {
  const std::string shot = (screenshot_dir() / "gui_synthetic.png").string();
  std::filesystem::remove(shot);
  app::GuiConfig c = config_for(make_video(), shot);
  c.frames = 2;
  c.model.synthetic = true;
  c.model.mano_dir = INTERSHAPE_TEST_DATA "/mano";
  c.presence_threshold = 0.f;  // synthetic weights say "no hand" (~0.01)
  c.show_keypoints = false;    // so the hand colours below come from the meshes
  c.show_skeleton = false;
  app::GuiRunReport report;
  c.report = &report;
  const int rc =
      app::run_gui(c, [](const core::ModelConfig& m) { return core::create_estimator(m); });
  CHECK(rc == 0);
  REQUIRE(report.last_result);
  CHECK(report.last_result->frame->index == 1);  // waited for the last frame's result
  const cv::Mat img = cv::imread(shot, cv::IMREAD_COLOR);
  REQUIRE(img.cols == kW);
  const cv::Point2f bg = to_window(40, 40);
  CHECK(rgb_at(img, bg.x, bg.y)[1] > 100);  // the video

  // Each mesh where the weighted fit of its joints to its keypoints puts it
  // (the display smooths over time, hence the slack).
  const core::NetworkOutput& out = report.last_result->output;
  int checked = 0;
  for (int h = 0; h < 2; ++h) {
    CAPTURE(h);
    const core::OverlayFit fit = core::fit_overlay(
        out.hands[h].joints3d, &report.last_result->keypoints_frame[h * core::kJointsPerHand]);
    REQUIRE(fit.ok);
    const std::vector<float> placed = core::apply_overlay(out.hands[h].verts3d, fit);
    float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;
    for (size_t i = 0; i + 2 < placed.size(); i += 3) {
      const cv::Point2f p = to_window(placed[i], placed[i + 1]);
      x0 = std::min(x0, p.x);
      y0 = std::min(y0, p.y);
      x1 = std::max(x1, p.x);
      y1 = std::max(y1, p.y);
    }
    const cv::Rect box(static_cast<int>(x0) - 4, static_cast<int>(y0) - 4,
                       static_cast<int>(x1 - x0) + 9, static_cast<int>(y1 - y0) + 9);
    const int n = h == 0 ? count_in(img, box, is_right_colour) : count_in(img, box, is_left_colour);
    // Random weights give tiny placements (a few pixels): a hand whose mesh
    // spans fewer than 40 pixels cannot be told from antialiasing and is
    // skipped; the others must show their colour on a tenth of their box.
    const double mesh_area = static_cast<double>(x1 - x0 + 1) * (y1 - y0 + 1);
    MESSAGE("hand " << h << ": scale " << fit.scale << " px/mm, box " << mesh_area << " px, " << n
                    << " pixels of its colour");
    if (mesh_area < 40.0) continue;
    ++checked;
    CHECK(n >= 0.1 * mesh_area);
  }
  CHECK(checked >= 1);  // the synthetic weights are fixed: one hand is large enough
  // The 3D view composes both hands at a normalised size.
  const cv::Rect view3d(kW - app::kRightColumnWidth, 370 + 25, app::kRightColumnWidth, kH - 395);
  CHECK(count_in(img, view3d, is_right_colour) > 300);
  CHECK(count_in(img, view3d, is_left_colour) > 300);
}
#endif
