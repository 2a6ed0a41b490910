#include "app/gui_pacing.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace intershape::app {

using std::chrono::duration;

namespace {
double seconds_between(core::Clock::time_point a, core::Clock::time_point b) {
  return duration<double>(b - a).count();
}
}  // namespace

void RedrawPacer::activity() {
  dirty_ = true;
  settle_left_ = std::max(settle_left_, settings_.settle_frames);
}

double RedrawPacer::wait_s(TimePoint now) const {
  const double since = seconds_between(last_drawn_, now);
  // Something to draw: only the rate cap holds it back. Nothing: sleep until
  // the heartbeat (or until a producer or the window wakes the loop).
  const double until = wants_frame() ? settings_.min_period_s : settings_.heartbeat_s;
  return std::max(0.0, until - since);
}

bool RedrawPacer::should_draw(TimePoint now) const { return wait_s(now) <= 0.0; }

void RedrawPacer::drawn(TimePoint now) {
  last_drawn_ = now;
  // A frame drawn for the settle count or the heartbeat uses it up; what it
  // was dirty for is on screen now.
  if (!dirty_ && settle_left_ > 0) --settle_left_;
  dirty_ = false;
  animating_ = false;
}

void LoopStats::slept(double seconds) {
  window_idle_s_ += seconds;
  total_idle_s_ += seconds;
}

void LoopStats::drawn(TimePoint) {
  ++frames_;
  ++window_frames_;
}

void LoopStats::update(TimePoint now) {
  const double span = seconds_between(window_start_, now);
  if (span < 1.0) return;
  render_hz_ = window_frames_ / span;
  idle_share_ = std::clamp(window_idle_s_ / span, 0.0, 1.0);
  window_start_ = now;
  window_frames_ = 0;
  window_idle_s_ = 0;
}

void NetworkTimes::add(const core::NetworkOutput::Timings& t) {
  total_.push_back(t.total_ms);
  internet_.push_back(t.internet_ms);
  if (total_.size() > kKept) total_.pop_front();
  if (internet_.size() > kKept) internet_.pop_front();
  ++count_;
}

double NetworkTimes::median(const std::deque<double>& v) {
  if (v.empty()) return 0.0;
  std::vector<double> sorted(v.begin(), v.end());
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  return n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

double LoopStats::total_s(TimePoint now) const { return seconds_between(start_, now); }

}  // namespace intershape::app
