#include "core/exporters/attention_export.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/formats/atomic_file.h"
#include "core/formats/npz_writer.h"

namespace intershape::core::exporters {

cv::Mat attention_overlay(const cv::Mat& input_rgb, const float* map64) {
  cv::Mat map(kHeatmapSize, kHeatmapSize, CV_32F, const_cast<float*>(map64));
  cv::Mat norm8;
  double lo = 0, hi = 0;
  cv::minMaxLoc(map, &lo, &hi);
  map.convertTo(norm8, CV_8U, hi > lo ? 255.0 / (hi - lo) : 0.0,
                hi > lo ? -lo * 255.0 / (hi - lo) : 0.0);
  cv::Mat big, colour;
  cv::resize(norm8, big, cv::Size(kInputSize, kInputSize), 0, 0, cv::INTER_LINEAR);
  cv::applyColorMap(big, colour, cv::COLORMAP_JET);
  cv::Mat base;
  if (input_rgb.empty()) {
    base = cv::Mat::zeros(kInputSize, kInputSize, CV_8UC3);
  } else {
    cv::cvtColor(input_rgb, base, cv::COLOR_RGB2BGR);
    if (base.size() != cv::Size(kInputSize, kInputSize))
      cv::resize(base, base, cv::Size(kInputSize, kInputSize));
  }
  cv::Mat blended;
  cv::addWeighted(base, 0.5, colour, 0.5, 0.0, blended);
  return blended;
}

std::vector<std::string> write_attention(const std::string& dir, const std::string& name,
                                         const NetworkOutput& out, const cv::Mat& input_rgb) {
  const std::string stem = (dir.empty() ? std::string() : dir + "/") + name + "_attention";
  const size_t plane = size_t(kHeatmapSize) * kHeatmapSize;
  if (out.attention.size() != 2 * plane)
    throw formats::ExportError("cannot write " + stem + ".npz: the result has no attention maps (" +
                      std::to_string(out.attention.size()) + " values, expected 2x64x64)");
  formats::NpzBuilder npz;
  npz.add("attention", {2, kHeatmapSize, kHeatmapSize}, out.attention);
  std::vector<float> kp(out.xyc[0].data(), out.xyc[0].data() + kJoints * 3);
  npz.add("keypoints", {kJoints, 3}, kp);
  if (out.attention_detail) {
    for (int h = 0; h < 2; ++h)
      for (int s = 1; s <= 3; ++s) {
        const std::vector<float>& m = out.attention_detail->stage_maps[h][s - 1];
        if (m.empty()) continue;
        const int64_t side = int64_t(4) << s;  // 8, 16, 32
        npz.add(
            std::string("stage_map_") + hand_name(static_cast<Hand>(h)) + "_" + std::to_string(s),
            {side, side}, m);
      }
  }
  std::vector<std::string> paths{stem + ".npz"};
  npz.write(paths[0]);
  for (int h = 0; h < 2; ++h) {
    const std::string path = stem + "_" + hand_name(static_cast<Hand>(h)) + ".png";
    std::vector<uchar> png;
    if (!cv::imencode(".png", attention_overlay(input_rgb, out.attention.data() + h * plane), png))
      throw formats::ExportError("cannot write " + path + ": PNG encoding failed");
    formats::write_file_atomic(path,
                      std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
    paths.push_back(path);
  }
  return paths;
}

}  // namespace intershape::core::exporters
