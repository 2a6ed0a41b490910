#pragma once
// The engine behind the GUI and the headless paths: a capture thread, an
// inference worker thread, and the latest-value slots between them.
//
//   source -> capture --frames--> [display slot] --> renderer (take, never waits)
//                     \---------> [worker slot]  --> worker: the per-frame step
//                                                      --> [result slot] --> renderer, recorder, files
//
// The per-frame step is "localise, crop, estimate, make the result": the crop
// tracker (or the user's crop) chooses the square, make_network_input cuts it,
// the estimator runs, and one FrameResult carrying its frame is published.
// Replay is the same step with a source that stored its results
// (SourceSpec::stored): the step returns the stored result instead of running
// the network, unless rerun is on.
//
// The worker creates the estimator on its own thread (model loading happens
// there; a load error is a status, not an exception) and always takes the
// newest frame. With Pacing::kEveryFrame the whole chain runs lock-step (the
// capture waits for the worker, the worker for the consumer): nothing is
// dropped, and finished() tells a headless consumer when the source is done.
//
// Threads: construct, start() and stop() from one owner thread (main). The
// controls and the status getters may be called from any thread. take_*() are
// for the one consumer (the renderer, or a headless loop).

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/capture.h"
#include "core/crop_tracker.h"
#include "core/hand_finder.h"
#include "core/hand_estimator.h"
#include "core/latest_slot.h"
#include "core/types.h"

namespace intershape::core {

using ResultPtr = FrameResultPtr;
using Faces = std::array<std::vector<int32_t>, 2>;

// Makes an estimator on the calling thread; throws ModelError (or any
// std::exception) when it cannot. The product passes create_estimator; tests
// pass a fake.
using EstimatorFactory = std::function<std::unique_ptr<HandEstimator>(const ModelConfig&)>;
// Makes MediaPipe's hand detector on the calling thread (the worker); throws
// (detect::HandModelError, detect::TfliteError) when it cannot. Optional: an
// engine without one crops from the network's keypoints only.
using DetectorFactory = std::function<std::unique_ptr<detect::HandTracker>()>;

struct WorkerStatus {
  enum class State { kNoModel, kLoading, kReady, kError };
  State state = State::kNoModel;
  std::string message;   // plain words (the load error, the inference error)
  std::string describe;  // HandEstimator::describe() when ready
  uint64_t results = 0;
  double rate_hz = 0.0;        // smoothed results per second
  double preprocess_ms = 0.0;  // last crop + resize
  double network_ms = 0.0;     // last estimate() call
  double frame_age_ms = 0.0;   // capture -> result finished, last result
  CropRect last_crop;
  CropSource crop_source = CropSource::kWhole;  // who chose last_crop
  // MediaPipe's hand detector: "" (none asked for), "ready" or the load error.
  std::string detector;
  double palm_ms = 0.0;       // last palm detection (0 when tracking skipped it)
  double landmarks_ms = 0.0;  // last landmark runs, all hands
  int hands_found = 0;        // MediaPipe's hands in the last frame
  uint64_t frames_done = 0;  // frames the worker finished with (result, replay or failure)
  uint64_t failures = 0;     // frames whose step threw
  std::string last_failure;  // plain words, naming the frame
};
const char* state_name(WorkerStatus::State s);

class Engine {
 public:
  explicit Engine(EstimatorFactory factory, DetectorFactory detector = {});
  ~Engine();  // stop()
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts both threads. With load_model false the worker waits for
  // reload_model() and the video still plays.
  void start(const SourceSpec& source, const ModelConfig& model, bool load_model);
  // Switches the source (any thread); a session's stored results come with it.
  void open(const SourceSpec& source);
  // Request stop -> close slots -> join. Returns within a frame read or a
  // forward pass, whichever is longer. Idempotent.
  void stop();
  bool running() const { return running_; }

  Capture& capture() { return capture_; }

  // Worker controls (any thread).
  void reload_model(const ModelConfig& model);
  void unload_model();
  void set_crop_settings(const CropTrackerSettings& s);
  CropTrackerSettings crop_settings() const;
  void set_manual_crop(const CropRect& crop);
  void reset_crop();
  // --crop and when the detector runs (see core/hand_finder.h).
  void set_hand_settings(const HandFinderSettings& s);
  HandFinderSettings hand_settings() const;
  // The next frame's crop comes from the detector (if it finds hands).
  void request_detection();
  void set_estimate_options(const EstimateOptions& o);
  // Frames of a source with stored results (session replay) are published with
  // them and skip the network, unless `rerun` (then the model runs on them).
  void set_rerun_recorded(bool rerun);
  bool rerun_recorded() const;
  // True when results come without the model: the source stored them and
  // rerun is off (session replay).
  bool replaying() const;
  EstimateOptions estimate_options() const;

  // Consumer side (one thread).
  std::optional<FramePtr> take_frame() { return display_slot_.try_take(); }
  std::optional<ResultPtr> take_result() { return result_slot_.try_take(); }
  template <class Rep, class Period>
  std::optional<ResultPtr> wait_result_for(std::chrono::duration<Rep, Period> d) {
    return result_slot_.wait_take_for(d);
  }
  std::optional<ResultPtr> wait_result() { return result_slot_.wait_take(); }

  WorkerStatus worker_status() const;
  // Called from the capture and worker threads whenever the consumer has
  // something new: a frame for display, a result, a model loaded or failed.
  // The GUI posts an empty window event with it, so its render loop sleeps until
  // something changes instead of polling. Any thread; once set_wake() returns,
  // the previous hook is no longer being called and will not be.
  void set_wake(std::function<void()> wake);
  // Headless runs with Pacing::kEveryFrame: true once the source has ended and
  // the worker has finished every frame it was given.
  bool finished() const;
  CaptureStatus capture_status() const { return capture_.status(); }
  // The loaded model's triangles (null without a model). Shared, immutable.
  std::shared_ptr<const Faces> faces() const;
  // The loaded estimator's MANO models (null before a model is ready, or from a test double).
  std::shared_ptr<const mano::ManoPair> hand_models() const;
  uint64_t frames_dropped_by_worker() const { return worker_slot_.drops(); }
  uint64_t results_dropped() const { return result_slot_.drops(); }

 private:
  void worker_run();
  void wake();
  // The per-frame step; null when there is nothing to publish (no model).
  // Without a network but with MediaPipe's models: skeleton mode (the hands).
  ResultPtr step(const FramePtr& frame, HandEstimator* estimator, HandFinder& finder,
                 const EstimateOptions& options);

  EstimatorFactory factory_;
  DetectorFactory detector_factory_;
  LatestSlot<FramePtr> display_slot_;
  LatestSlot<FramePtr> worker_slot_;
  LatestSlot<ResultPtr> result_slot_;
  Capture capture_;

  mutable std::mutex mutex_;  // guards everything below
  bool stop_ = false;
  bool load_requested_ = false;
  bool unload_requested_ = false;
  ModelConfig model_;
  CropTrackerSettings crop_settings_;
  std::optional<CropRect> manual_crop_;
  bool reset_crop_ = false;
  HandFinderSettings hand_settings_;
  bool request_detection_ = false;
  EstimateOptions estimate_options_;
  bool rerun_recorded_ = false;
  std::shared_ptr<StoredResults> stored_;  // the current source's, or null
  Clock::time_point last_result_{};        // worker thread only
  WorkerStatus status_;
  std::shared_ptr<const Faces> faces_;
  std::shared_ptr<const mano::ManoPair> hand_models_;

  std::atomic<bool> running_{false};
  std::thread worker_;

  std::mutex wake_mutex_;  // guards wake_; held while it runs
  std::function<void()> wake_;
};

}  // namespace intershape::core
