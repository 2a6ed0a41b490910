#include "core/types.h"

#include <utility>

namespace intershape::core {

FramePtr make_frame(cv::Mat bgr, int64_t index, double timestamp_s, std::string source,
                    std::string name) {
  auto frame = std::make_shared<Frame>();
  frame->width = bgr.cols;
  frame->height = bgr.rows;
  frame->bgr = std::move(bgr);
  frame->index = index;
  frame->timestamp_s = timestamp_s;
  frame->captured_at = Clock::now();
  frame->source = std::move(source);
  frame->name = std::move(name);
  return frame;
}

}  // namespace intershape::core
