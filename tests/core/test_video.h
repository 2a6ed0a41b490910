#pragma once
// Writes the test video (fake_hands_picture frames) for pipeline and GUI tests.

#include <filesystem>
#include <string>

#include <unistd.h>

#include <opencv2/videoio.hpp>

#include "tests/core/fake_estimator.h"

namespace intershape::testing {

// A folder under the system temp dir, unique to this process.
inline std::filesystem::path test_temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("intershape_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// MJPG .avi, `frames` frames of fake_hands_picture at `fps`. Returns false if
// the writer cannot be opened.
inline bool write_test_video(const std::string& path, int frames, int width = 320, int height = 240,
                             double fps = 30.0) {
  cv::VideoWriter w(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps,
                    cv::Size(width, height));
  if (!w.isOpened()) return false;
  for (int i = 0; i < frames; ++i) w.write(fake_hands_picture(width, height, i));
  return true;
}

}  // namespace intershape::testing
