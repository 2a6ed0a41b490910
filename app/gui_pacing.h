#pragma once
// When the GUI's render loop draws, and how busy it is (issue 14, item 11).
//
// The loop draws only when something visible changed: a new frame shown, a new
// result, window input, a resize or expose, or an animation a panel asks for
// explicitly. Otherwise it sleeps in the window's event queue (the engine's
// producer threads wake it), and draws a "heartbeat" frame now and then so the
// rates and ages in the Stats panel stay current. Under software GL (Mesa
// llvmpipe on a CPU-only machine) each frame is rasterised on the same cores the
// network runs on: a loop that drew at 40-50 Hz made InterNet ~18x slower.
//
// Plain logic over time points, no GLFW or GL, so it is tested on its own
// (tests/app/test_gui_pacing.cpp). Main thread only.

#include <cstdint>
#include <deque>

#include "core/types.h"

namespace intershape::app {

struct PacingSettings {
  double min_period_s = 1.0 / 60.0;  // at most the display's rate
  double heartbeat_s = 1.0;          // longest time without a frame (Stats stay current)
  int settle_frames = 2;             // frames drawn after input, for ImGui to settle
};

class RedrawPacer {
 public:
  using TimePoint = core::Clock::time_point;
  explicit RedrawPacer(PacingSettings settings = {}) : settings_(settings) {}

  // Something visible changed (a frame, a result, a status): draw soon.
  void invalidate() { dirty_ = true; }
  // Window input, a resize or an expose: draw, then settle_frames more (ImGui
  // shows the effect of a click one frame later).
  void activity();
  // An animation: the frame being drawn must be followed by another one.
  void animate() { animating_ = true; }

  // How long the loop may sleep in the event queue from `now` (0: poll).
  double wait_s(TimePoint now) const;
  // Whether to draw a frame at `now`.
  bool should_draw(TimePoint now) const;
  // A frame was drawn at `now`.
  void drawn(TimePoint now);

  const PacingSettings& settings() const { return settings_; }

 private:
  bool wants_frame() const { return dirty_ || animating_ || settle_left_ > 0; }
  PacingSettings settings_;
  bool dirty_ = true;  // the first frame
  bool animating_ = false;
  int settle_left_ = 0;
  TimePoint last_drawn_{};
};

// Rendered frames and the share of time the loop slept, over the last second
// or so (shown in Stats), and in all (the run report).
class LoopStats {
 public:
  using TimePoint = core::Clock::time_point;
  explicit LoopStats(TimePoint start) : start_(start), window_start_(start) {}
  void slept(double seconds);
  void drawn(TimePoint now);
  void update(TimePoint now);  // closes the current window once a second has passed

  double render_hz() const { return render_hz_; }      // last window
  double idle_share() const { return idle_share_; }    // last window, 0..1
  uint64_t frames() const { return frames_; }          // in all
  double total_idle_s() const { return total_idle_s_; }
  double total_s(TimePoint now) const;

 private:
  TimePoint start_, window_start_;
  uint64_t frames_ = 0, window_frames_ = 0;
  double window_idle_s_ = 0, total_idle_s_ = 0;
  double render_hz_ = 0, idle_share_ = 0;
};

// The network's own times of the last results (each result carries them),
// for Stats and the run report: comparable with `intershape bench`.
class NetworkTimes {
 public:
  static constexpr size_t kKept = 64;
  void add(const core::NetworkOutput::Timings& t);
  double median_total_ms() const { return median(total_); }
  double median_internet_ms() const { return median(internet_); }
  uint64_t count() const { return count_; }  // in all

 private:
  static double median(const std::deque<double>& v);
  std::deque<double> total_, internet_;  // the last kKept
  uint64_t count_ = 0;
};

}  // namespace intershape::app
