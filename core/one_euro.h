#pragma once
// One-Euro filter (Casiez, Roussel, Vogel, CHI 2012): a low-pass filter whose
// cut-off rises with speed, so slow motion is smoothed (no jitter) and fast
// motion is followed (little lag). Used on the drawn joints and vertices.
//
// Not thread-safe; the render thread owns its filters. Times in seconds.

#include <cstddef>
#include <vector>

namespace intershape::core {

struct OneEuroParams {
  float min_cutoff = 1.0f;  // Hz; lower = smoother when still
  float beta = 0.01f;       // cut-off growth per unit of speed; higher = less lag
  float d_cutoff = 1.0f;    // Hz, for the speed estimate
};

// "Smoothing strength" in [0, 1] from the UI -> filter parameters. 0 turns
// smoothing off (a very high cut-off); 1 is the smoothest.
OneEuroParams one_euro_from_strength(float strength);

class OneEuroFilter {
 public:
  explicit OneEuroFilter(OneEuroParams params = {}) : params_(params) {}
  // Filters `x` observed at time `t_s`. The first call returns x. A time that
  // does not advance returns the last output unchanged.
  float filter(float x, double t_s);
  void reset() { initialised_ = false; }
  void set_params(OneEuroParams p) { params_ = p; }

 private:
  OneEuroParams params_;
  bool initialised_ = false;
  float x_prev_ = 0.f, dx_prev_ = 0.f;
  double t_prev_ = 0.0;
};

// The same filter on every element of a fixed-length vector (e.g. 778*3
// vertex coordinates). A length change restarts the filter.
class OneEuroVector {
 public:
  explicit OneEuroVector(OneEuroParams params = {}) : params_(params) {}
  // Filters `values` in place.
  void filter(std::vector<float>& values, double t_s);
  void reset() { filters_.clear(); }
  void set_params(OneEuroParams p);

 private:
  OneEuroParams params_;
  std::vector<OneEuroFilter> filters_;
};

}  // namespace intershape::core
