#pragma once
// The capture thread: owns the source (core/sources.h), reads frames and
// publishes the newest one to its output slots. Sources that
// cannot be opened, or that stop delivering, become a status (plain words for
// the UI), never an exception out of the thread.
//
// Threads: one Capture owns one capture thread. Every public member may be
// called from any thread (the UI's controls), except that start()/stop() are
// called by the owner (the Engine).

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/latest_slot.h"
#include "core/sources.h"
#include "core/types.h"

namespace intershape::core {

// How fast a recorded source (video, images) is read. Live sources deliver at
// their own rate and drop what the pipeline cannot take, whatever is chosen.
enum class Pacing {
  kSourceRate,  // the file's frame rate times the speed factor
  kFast,        // as fast as decoding goes (the pipeline still takes the newest)
  kEveryFrame,  // waits until the worker took each frame: nothing dropped (headless, tests)
};

struct CaptureStatus {
  enum class State { kIdle, kOpening, kPlaying, kPaused, kEnded, kError };
  State state = State::kIdle;
  std::string message;       // plain words: what happened, what to do
  std::string source;        // SourceSpec::describe()
  int64_t frame_count = -1;  // -1: unknown or live
  int64_t position = 0;      // index of the next frame to read
  double source_fps = 0.0;   // the file's rate (0 for unknown)
  int width = 0, height = 0;
  uint64_t frames_read = 0;
  uint64_t items_skipped = 0;  // files that are not pictures (image folders)
  uint64_t items_failed = 0;   // pictures that could not be read
  std::string last_problem;    // the newest skip/failure message
  double read_ms = 0.0;  // last decode time
  double rate_hz = 0.0;  // smoothed frames published per second
  bool seekable = false;
};
const char* state_name(CaptureStatus::State s);

class Capture {
 public:
  // Frames go to every slot in `outputs` (the display and the worker). The
  // slots must outlive this object. `worker_output` is the one kEveryFrame waits on.
  Capture(std::vector<LatestSlot<FramePtr>*> outputs, LatestSlot<FramePtr>* worker_output);
  ~Capture();
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  // Starts the thread on `source` (opened on the thread). Owner only.
  void start(const SourceSpec& source);
  // Requests stop and joins; the owner closes the output slots first so that a
  // kEveryFrame wait ends. Idempotent.
  void request_stop();
  void join();

  // Controls, any thread; they take effect at the next frame.
  void open(const SourceSpec& source);  // switch source
  void set_paused(bool paused);
  void step();                    // one frame while paused
  void seek(int64_t frame);       // then shows that frame, even when paused
  void set_speed(double factor);  // kSourceRate only; clamped to [0.05, 16]
  void set_pacing(Pacing pacing);
  void set_loop(bool loop);  // recorded sources restart at the end
  // Stop reading (state kEnded) after the frame with index `last` (< 0: no limit).
  void set_last_frame(int64_t last);

  CaptureStatus status() const;
  // The skip/failure messages since the last call, oldest first (a headless
  // consumer prints them; at most kMaxPendingProblems are kept, then counted).
  std::vector<std::string> take_problems();
  Pacing pacing() const;
  double speed() const;
  bool paused() const;
  bool loop() const;

 private:
  void run();
  bool open_now(const SourceSpec& spec);  // thread only
  void publish(SourceRead&& read, int64_t index, double timestamp_s);
  // Applies a control change under the lock and wakes the thread.
  template <class Change>
  void command(Change&& change);

  std::vector<LatestSlot<FramePtr>*> outputs_;
  LatestSlot<FramePtr>* worker_output_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool open_requested_ = false;
  SourceSpec requested_;
  bool paused_ = false;
  int step_requests_ = 0;
  int64_t seek_to_ = -1;
  double speed_ = 1.0;
  Pacing pacing_ = Pacing::kSourceRate;
  bool loop_ = false;
  int64_t last_frame_ = -1;
  CaptureStatus status_;
  std::vector<std::string> pending_problems_;
  uint64_t problems_not_kept_ = 0;
  uint64_t commands_ = 0;  // bumps on every control call, so timed waits re-plan

  std::unique_ptr<FrameSource> source_;  // capture thread only
  std::thread thread_;
};

}  // namespace intershape::core
