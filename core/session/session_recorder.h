#pragma once
// Records a live session to a folder:
//   video.avi         every frame pushed, FFV1 (lossless) or, where FFV1 cannot
//                     be opened, MJPG at quality 95 (the manifest names the codec)
//   frames.csv        one line per recorded frame: position, source frame
//                     number, source timestamp, whether a result was stored
//   frame_000012.json the result of recorded frame 12 (schema: exporters::frame_json.h;
//                     "frame" is the position in video.avi), only for frames
//                     that had one
//   manifest.json     source, model, device, settings, start time, frame count,
//                     fps, format version, codec, complete flag, errors; written
//                     atomically every kManifestEvery frames and at stop
//
// Threads: push() from one producer thread (capture or inference); status()
// from any thread; start()/stop() from the owner. A writer thread owned by the
// recorder does all disk work, fed by a bounded queue whose policy is "every
// frame matters": a full queue blocks the producer up to block_timeout, then
// the frame is dropped and counted (status says so in plain words).
// On stop() or on the first write error the queue is drained (on error:
// discarded and counted), the video is finalised and the manifest records how
// far it got, so what was written stays readable.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/exporters/frame_json.h"
#include "core/result_sink.h"
#include "core/types.h"

namespace intershape::core::session {

inline constexpr int kSessionFormatVersion = 1;

struct SessionInfo {
  std::string source;                                  // camera / file name
  std::string model;                                   // checkpoint, or "synthetic"
  std::string device;                                  // HandEstimator::describe()
  nlohmann::json settings = nlohmann::json::object();  // whatever the app wants to keep
  double fps = 30.0;                                   // nominal rate written into the video
};

struct RecorderOptions {
  size_t queue_capacity = 64;  // frames; ~60 MB at 640x480 including results
  std::chrono::milliseconds block_timeout{200};
  int manifest_every = 30;  // frames between manifest rewrites
  exporters::JsonOptions json;         // what goes into the per-frame JSON
  bool allow_ffv1 = true;   // false forces the MJPG fallback (tests)
};

struct RecorderStatus {
  bool recording = false;
  int64_t frames_written = 0;   // into the video
  int64_t results_written = 0;  // JSON files
  int64_t frames_dropped = 0;   // the disk could not keep up, or after an error
  int64_t queued = 0;
  std::string codec;  // "FFV1" / "MJPG", once the video is open
  std::string error;  // empty, or what went wrong, in plain words
};

class SessionRecorder final : public ResultSink {
 public:
  SessionRecorder(std::string dir, SessionInfo info, RecorderOptions options = {});
  ~SessionRecorder();  // stop()
  SessionRecorder(const SessionRecorder&) = delete;
  SessionRecorder& operator=(const SessionRecorder&) = delete;

  // Creates the folder and starts the writer. Throws formats::ExportError when the
  // folder cannot be created or already holds a session.
  void start();
  // A frame with its result (result->frame), or a frame that has none.
  // Returns false when it was not queued (dropped, stopped or failed).
  bool push(FrameResultPtr result);
  bool push(FramePtr frame);
  // ResultSink: push(result); finish() is stop() and returns the folder.
  // Failures show in status().error (add() does not throw).
  std::vector<std::string> add(const FrameResultPtr& result) override;
  std::vector<std::string> finish() override;
  // Finishes: drains the queue, finalises the video, writes the manifest.
  // Idempotent. Does not throw; problems end up in status().error.
  void stop();
  RecorderStatus status() const;
  const std::string& folder() const { return dir_; }

 private:
  struct Item {
    FramePtr frame;
    FrameResultPtr result;  // null, or the result of `frame`
  };
  bool enqueue(Item item);
  void run();
  void write_item(const Item& item);
  void write_manifest(bool complete);
  void set_error(const std::string& message);

  const std::string dir_;
  const SessionInfo info_;
  const RecorderOptions options_;
  std::string started_at_;

  mutable std::mutex mutex_;
  std::condition_variable not_empty_, not_full_;
  std::deque<Item> queue_;
  bool stopping_ = false, started_ = false, failed_ = false;
  RecorderStatus status_;
  std::thread writer_;

  // Writer thread only.
  struct Video;
  std::unique_ptr<Video> video_;
  std::FILE* frames_csv_ = nullptr;
};

}  // namespace intershape::core::session
