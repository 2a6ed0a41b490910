#pragma once
// Reads a folder written by SessionRecorder (see session_recorder.h) back in
// recording order: each frame's picture and, where one was stored, its result.
// The GUI uses it as a replay source; `intershape infer --rerun` re-runs the
// network on its frames. One thread uses a reader; frames are decoded lazily.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/videoio.hpp>

#include "core/exporters/frame_json.h"
#include "core/types.h"

namespace intershape::core::session {

struct SessionManifest {
  int format_version = 0;
  std::string source, model, device, started_at, codec, video_file, error;
  nlohmann::json settings;
  int64_t frame_count = 0;  // frames the recorder wrote into the video
  int64_t result_count = 0;
  int64_t dropped_frames = 0;
  double fps = 0;
  bool complete = false;  // false: the recorder did not reach stop()
};

class SessionReader {
 public:
  // Throws formats::ExportError naming the file: no/corrupt manifest.json, a newer
  // format, a missing or unreadable video.
  // With read_results false, next() leaves Item::result empty (replay reads
  // stored results on demand, rerun ignores them).
  explicit SessionReader(std::string dir, bool read_results = true);

  static bool is_session(const std::string& dir);  // has a manifest.json
  // The stored result of the frame at `position`, nullopt when it has none.
  // Throws formats::ExportError naming the file when it cannot be parsed.
  static std::optional<FrameResult> stored_result(const std::string& dir, int64_t position);

  const SessionManifest& manifest() const { return manifest_; }
  const std::string& folder() const { return dir_; }
  // Frames that can be read: the video's frames, up to the frames.csv rows
  // (a session cut short may have fewer of either).
  int64_t frame_count() const { return static_cast<int64_t>(rows_.size()); }

  struct Item {
    // index = position in the recording, timestamp = source time, source =
    // the recorded source, name = "<session folder>_<position>".
    FramePtr frame;
    int64_t source_frame = 0;  // the frame's number in the original source
    std::optional<FrameResult> result;  // stored result (its frame: no picture), if any
  };
  // The next frame in order; false at the end. A stored result that cannot be
  // parsed throws formats::ExportError naming its file.
  bool next(Item& item);
  // Restart from the first frame.
  void rewind();
  // The next next() returns the frame at `position` (0 <= position <
  // frame_count(); clamped). Exact for FFV1 and MJPG (every frame is a key frame).
  void seek(int64_t position);
  int64_t position() const { return position_; }

 private:
  struct Row {
    int64_t source_frame = 0;
    double timestamp_s = 0;
    bool has_result = false;
  };
  std::string dir_;
  std::string stem_;  // the folder's name
  bool read_results_ = true;
  SessionManifest manifest_;
  std::vector<Row> rows_;
  cv::VideoCapture video_;
  int64_t position_ = 0;
};

}  // namespace intershape::core::session
