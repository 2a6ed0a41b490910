// The render loop's pacing (app/gui_pacing.h) on its own, no window: when it
// draws, how long it may sleep, and what it reports.

#include <doctest/doctest.h>

#include <chrono>

#include "app/gui_pacing.h"

using namespace intershape;
using app::RedrawPacer;
using std::chrono::milliseconds;

namespace {
const core::Clock::time_point t0 = core::Clock::now();
core::Clock::time_point at(int ms) { return t0 + milliseconds(ms); }
}  // namespace

TEST_CASE("nothing changes: one frame, then only the heartbeat") {
  RedrawPacer p;  // 60 Hz cap, 1 s heartbeat
  CHECK(p.should_draw(at(0)));  // the first frame
  p.drawn(at(0));
  CHECK_FALSE(p.should_draw(at(10)));
  CHECK_FALSE(p.should_draw(at(500)));
  CHECK(p.wait_s(at(400)) == doctest::Approx(0.6));  // sleeps until the heartbeat
  CHECK(p.should_draw(at(1000)));
  // A continuously drawing loop would have drawn ~60 frames in that second.
  int frames = 0;
  for (int ms = 1000; ms <= 5000; ms += 5)
    if (p.should_draw(at(ms))) {
      p.drawn(at(ms));
      ++frames;
    }
  CHECK(frames == 5);  // 1 s, 2 s, ... 5 s
}

TEST_CASE("a change is drawn at once, but not faster than the display") {
  RedrawPacer p;
  p.drawn(at(0));
  p.invalidate();  // a new result 5 ms later: the cap holds it until 16.7 ms
  CHECK_FALSE(p.should_draw(at(5)));
  CHECK(p.wait_s(at(5)) == doctest::Approx(1.0 / 60 - 0.005));
  CHECK(p.should_draw(at(17)));
  p.drawn(at(17));
  CHECK_FALSE(p.should_draw(at(40)));  // drawn: nothing left to do
  // A camera at 30 Hz with the live frame: every frame drawn, never more.
  int frames = 0;
  for (int ms = 100; ms < 1100; ms += 1) {
    if ((ms - 100) % 33 == 0) p.invalidate();
    if (p.should_draw(at(ms))) {
      p.drawn(at(ms));
      ++frames;
    }
  }
  CHECK(frames >= 30);
  CHECK(frames <= 31);
}

TEST_CASE("input draws, then a few frames more for ImGui to settle; animations keep drawing") {
  RedrawPacer p;
  p.drawn(at(0));
  p.activity();
  int frames = 0;
  for (int ms = 20; ms < 900; ms += 20)
    if (p.should_draw(at(ms))) {
      p.drawn(at(ms));
      ++frames;
    }
  CHECK(frames == 1 + p.settings().settle_frames);
  // An animation asks for the next frame every time it is drawn.
  int animated = 0;
  p.invalidate();  // the animation starts with a change at 1 s
  for (int ms = 1000; ms < 2000; ms += 1)
    if (p.should_draw(at(ms))) {
      p.drawn(at(ms));
      if (ms < 1500) p.animate();
      ++animated;
    }
  CHECK(animated >= 29);  // ~60 Hz for half a second
  CHECK(animated <= 32);
}

TEST_CASE("loop stats: frames a second and the share of time asleep") {
  app::LoopStats s(at(0));
  for (int i = 0; i < 4; ++i) s.drawn(at(i * 250));
  s.slept(0.9);
  s.update(at(500));  // under a second: not yet
  CHECK(s.render_hz() == 0.0);
  s.update(at(1000));
  CHECK(s.render_hz() == doctest::Approx(4.0));
  CHECK(s.idle_share() == doctest::Approx(0.9));
  CHECK(s.frames() == 4);
  CHECK(s.total_idle_s() == doctest::Approx(0.9));
  CHECK(s.total_s(at(2000)) == doctest::Approx(2.0));
}

TEST_CASE("network times: medians of the last results, as bench reports them") {
  app::NetworkTimes t;
  CHECK(t.median_total_ms() == 0.0);
  for (double ms : {100.0, 300.0, 200.0}) {
    core::NetworkOutput::Timings x;
    x.total_ms = ms;
    x.internet_ms = ms / 2;
    t.add(x);
  }
  CHECK(t.median_total_ms() == doctest::Approx(200.0));
  CHECK(t.median_internet_ms() == doctest::Approx(100.0));
  for (int i = 0; i < 100; ++i) {  // only the last kKept count
    core::NetworkOutput::Timings x;
    x.total_ms = 50.0;
    t.add(x);
  }
  CHECK(t.median_total_ms() == doctest::Approx(50.0));
  CHECK(t.count() == 103);
}
