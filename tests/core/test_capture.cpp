#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "core/capture.h"
#include "tests/core/fake_estimator.h"
#include "tests/core/test_video.h"

using namespace intershape::core;
using namespace intershape::testing;

namespace {

// Waits until the capture reaches `state` (bounded: a stall fails the test).
bool wait_for_state(const Capture& c, CaptureStatus::State state) {
  for (int i = 0; i < 4000; ++i) {
    if (c.status().state == state) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

TEST_CASE("source specs are parsed from what people type") {
  CHECK(classify_source("0").kind == SourceSpec::Kind::kCamera);
  CHECK(classify_source("2").camera == 2);
  CHECK(classify_source("clip.mp4").kind == SourceSpec::Kind::kVideo);
  CHECK(classify_source("rtsp://host/stream").kind == SourceSpec::Kind::kStream);
  CHECK(classify_source("http://host/x.mjpg").is_live());
  const auto dir = test_temp_dir("capture_parse");
  CHECK(classify_source(dir.string()).kind == SourceSpec::Kind::kImages);
  CHECK(classify_source("0").describe() == "camera 0");
  std::filesystem::remove_all(dir);
}

TEST_CASE("an image folder plays in name order, every frame, then ends") {
  const auto dir = test_temp_dir("capture_images");
  for (int i = 0; i < 5; ++i)
    cv::imwrite((dir / ("img_" + std::to_string(i) + ".png")).string(),
                fake_hands_picture(160, 120, i));
  std::ofstream(dir / "notes.txt") << "not an image: ignored";
  LatestSlot<FramePtr> slot;
  Capture cap({&slot}, &slot);
  cap.set_pacing(Pacing::kEveryFrame);
  cap.start(classify_source(dir.string()));
  for (int i = 0; i < 5; ++i) {
    auto f = slot.wait_take();
    REQUIRE(f.has_value());
    CHECK((*f)->index == i);
    CHECK((*f)->bgr.cols == 160);
    // The bar's grey level encodes the index (fake_hands_picture).
    const int level = (i * 37) % 200 + 30;
    CHECK(std::abs((*f)->bgr.at<cv::Vec3b>(115, 80)[0] - level) <= 2);
  }
  CHECK(wait_for_state(cap, CaptureStatus::State::kEnded));
  CHECK(cap.status().frame_count == 5);
  slot.close();
  cap.request_stop();
  cap.join();
  std::filesystem::remove_all(dir);
}

TEST_CASE("a camera that cannot be opened is a status in plain words; stop still works") {
  LatestSlot<FramePtr> slot;
  Capture cap({&slot}, &slot);
  cap.start(SourceSpec::camera_index(97));
  REQUIRE(wait_for_state(cap, CaptureStatus::State::kError));
  const CaptureStatus s = cap.status();
  CHECK(s.message.find("Camera 97 could not be opened") != std::string::npos);
  CHECK(s.source == "camera 97");
  slot.close();
  cap.request_stop();
  cap.join();  // returns although the thread was waiting to retry
}

TEST_CASE("an empty folder and a non-video file are reported, and another source can be opened") {
  const auto dir = test_temp_dir("capture_errors");
  const std::string bogus = (dir / "not_a_video.mp4").string();
  { std::ofstream(bogus) << "this is not a video"; }
  LatestSlot<FramePtr> slot;
  Capture cap({&slot}, &slot);
  cap.start(classify_source(dir.string()));  // holds no images
  REQUIRE(wait_for_state(cap, CaptureStatus::State::kError));
  CHECK(cap.status().message.find("holds no images") != std::string::npos);
  cap.open(classify_source(bogus));
  for (int i = 0; i < 4000 && cap.status().source != "video " + bogus; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(wait_for_state(cap, CaptureStatus::State::kError));
  CHECK(cap.status().message.find("could not be opened") != std::string::npos);
  CHECK(cap.status().message.find(bogus) != std::string::npos);
  // A good video after that plays.
  const std::string video = (dir / "clip.avi").string();
  REQUIRE(write_test_video(video, 3));
  cap.open(classify_source(video));
  auto f = slot.wait_take();
  REQUIRE(f.has_value());
  CHECK((*f)->bgr.cols == 320);
  slot.close();
  cap.request_stop();
  cap.join();
  std::filesystem::remove_all(dir);
}

TEST_CASE("a header-bomb PNG in a folder: skipped and named, the others played (issue 14, item 1)") {
  // Was: cv::imread threw inside the capture thread and the GUI aborted (134).
  const auto dir = test_temp_dir("capture_bomb");
  cv::imwrite((dir / "a.png").string(), fake_hands_picture(160, 120, 0));
  std::filesystem::copy_file(std::string(INTERSHAPE_TEST_DATA) + "/images/bomb_100000x100000.png",
                             dir / "b.png", std::filesystem::copy_options::overwrite_existing);
  cv::imwrite((dir / "c.png").string(), fake_hands_picture(160, 120, 2));
  LatestSlot<FramePtr> slot;
  Capture cap({&slot}, &slot);
  cap.set_pacing(Pacing::kEveryFrame);
  cap.start(classify_source(dir.string()));
  auto f0 = slot.wait_take();
  REQUIRE(f0.has_value());
  CHECK((*f0)->index == 0);
  auto f1 = slot.wait_take();
  REQUIRE(f1.has_value());
  CHECK((*f1)->index == 2);  // c.png, by its place in the folder
  CHECK(std::abs((*f1)->bgr.at<cv::Vec3b>(115, 80)[0] - ((2 * 37) % 200 + 30)) <= 2);
  CHECK(wait_for_state(cap, CaptureStatus::State::kEnded));
  const CaptureStatus st = cap.status();
  CHECK(st.items_failed == 1);
  CHECK(st.last_problem == "skipping " + (dir / "b.png").string() +
                               ": 100000 x 100000 pixels (PNG) is more than the 67108864 pixels "
                               "allowed (--max-image-pixels); not decoded");
  CHECK(st.frames_read == 2);
  slot.close();
  cap.request_stop();
  cap.join();
  std::filesystem::remove_all(dir);
}

TEST_CASE("a FIFO as a video source is an error status at once, and stop works") {
  const auto dir = test_temp_dir("capture_fifo");
  const std::string fifo = (dir / "in.mp4").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  LatestSlot<FramePtr> slot;
  Capture cap({&slot}, &slot);
  const auto t0 = std::chrono::steady_clock::now();
  cap.start(classify_source(fifo));
  CHECK(wait_for_state(cap, CaptureStatus::State::kError));
  CHECK(cap.status().message == fifo + " is a FIFO, not a video file.");
  slot.close();
  cap.request_stop();
  cap.join();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
  std::filesystem::remove_all(dir);
}

namespace {
// A source that throws from read() once (a bug or a library error), then ends.
class ThrowingSource : public FrameSource {
 public:
  SourceRead read() override {
    if (thrown_++ == 0) throw std::runtime_error("decoder exploded");
    return SourceRead{};  // kEnd
  }
  bool seek(int64_t) override { return false; }
  int64_t position() const override { return 0; }
  int64_t count() const override { return -1; }
  double fps() const override { return 0; }
  bool seekable() const override { return false; }

 private:
  int thrown_ = 0;
};
}  // namespace

TEST_CASE("an exception from a source stays in the capture thread: a named per-frame failure") {
  LatestSlot<FramePtr> slot;
  Capture cap({&slot}, &slot);
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kCustom;
  spec.path = "throwing";
  spec.make = [] { return std::make_unique<ThrowingSource>(); };
  cap.start(spec);
  CHECK(wait_for_state(cap, CaptureStatus::State::kEnded));
  CHECK(cap.status().items_failed == 1);
  CHECK(cap.status().last_problem.find("decoder exploded") != std::string::npos);
  slot.close();
  cap.request_stop();
  cap.join();
}

TEST_CASE("a stream whose server never answers: stop is bounded by the stream timeouts") {
  // Issue 14, item 5: a read stuck on the network held the capture thread,
  // so shutdown (and the recording's finalisation) hung.
  const int server = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(server >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(server, 4) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string url = "tcp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  // Connections complete in the kernel's backlog; nobody ever sends a byte.
  LatestSlot<FramePtr> slot;
  Capture cap({&slot}, &slot);
  cap.start(classify_source(url));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto t0 = std::chrono::steady_clock::now();
  slot.close();
  cap.request_stop();
  cap.join();
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("stop took " << waited << " s");
  CHECK(waited < (kStreamOpenTimeoutMs + kStreamReadTimeoutMs) / 1000.0 + 1.0);
  ::close(server);
}
