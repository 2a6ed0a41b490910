#pragma once
// Helpers of the sequence spool tests (test_sequence_spool.cpp,
// test_sequence_crash.cpp): fake results, RSS, a least-squares slope.

#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "core/preprocess.h"
#include "core/types.h"
#include "tests/exporters/fake_estimator.h"

namespace intershape::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;  // ASan's quarantine holds freed memory: RSS is not the heap
#else
inline constexpr bool kSanitized = false;
#endif

inline double rss_mb() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1 << 20);
}

// A picture that changes with k (so every frame's fake output differs; the
// fake's right hand is present in some frames, absent in others).
inline cv::Mat spool_picture(int k, int width = core::kInputSize, int height = core::kInputSize) {
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(30, 60 + k % 50, 100 + (k % 7) * 10));
  cv::circle(img, cv::Point(width / 4 + k % (width / 2), height / 2), width / 6,
             cv::Scalar(200, 140, 100), -1);
  return img;
}

// The fake estimator's result for picture k, as a frame of `width` x `height`.
inline core::FrameResultPtr spool_result(FakeEstimator& est, int k, int width = core::kInputSize,
                                         int height = core::kInputSize) {
  auto r = std::make_shared<core::FrameResult>();
  auto frame = std::make_shared<core::Frame>();
  frame->index = k;
  frame->timestamp_s = k / 30.0;
  frame->width = width;
  frame->height = height;
  frame->source = "soak";
  frame->name = "f" + std::to_string(k);
  r->frame = frame;
  r->crop = core::CropRect::whole_frame(width, height);
  r->output = est.estimate(spool_picture(k), {});
  // Keypoints in frame pixels, as the pipeline makes them from the heatmap peaks.
  const float scale = static_cast<float>(std::max(width, height)) / core::kHeatmapSize;
  for (int j = 0; j < core::kJoints; ++j)
    r->keypoints_frame[j] = {r->output.xyc[j][0] * scale, r->output.xyc[j][1] * scale,
                             r->output.xyc[j][2]};
  return r;
}

// Least-squares slope of y over x.
inline double slope(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= x.size(), my /= y.size();
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i)
    num += (x[i] - mx) * (y[i] - my), den += (x[i] - mx) * (x[i] - mx);
  return den > 0 ? num / den : 0;
}

// /dev/shm when it has room (`need_mb`), else the temporary folder: a run
// that fsyncs 10,000 files costs seconds in RAM, minutes on some disks.
inline std::string roomy_temp_base(double need_mb) {
  struct statvfs s;
  if (::statvfs("/dev/shm", &s) == 0 &&
      static_cast<double>(s.f_bavail) * s.f_frsize / (1 << 20) > need_mb && ::access("/dev/shm", W_OK) == 0)
    return "/dev/shm";
  return {};
}

}  // namespace intershape::test
