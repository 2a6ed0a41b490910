#include "core/pipeline.h"

#include <utility>

#include "core/preprocess.h"

namespace intershape::core {

const char* state_name(WorkerStatus::State s) {
  switch (s) {
    case WorkerStatus::State::kNoModel:
      return "no model";
    case WorkerStatus::State::kLoading:
      return "loading";
    case WorkerStatus::State::kReady:
      return "ready";
    case WorkerStatus::State::kError:
      return "error";
  }
  return "?";
}

Engine::Engine(EstimatorFactory factory, DetectorFactory detector)
    : factory_(std::move(factory)),
      detector_factory_(std::move(detector)),
      capture_({&display_slot_, &worker_slot_}, &worker_slot_) {
  display_slot_.set_on_put([this] { wake(); });
  result_slot_.set_on_put([this] { wake(); });
}

void Engine::set_wake(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(wake_mutex_);
  wake_ = std::move(wake);
}

void Engine::wake() {
  std::lock_guard<std::mutex> lock(wake_mutex_);
  if (wake_) wake_();
}

Engine::~Engine() { stop(); }

void Engine::start(const SourceSpec& source, const ModelConfig& model, bool load_model) {
  if (running_) return;
  display_slot_.reopen();
  worker_slot_.reopen();
  result_slot_.reopen();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = false;
    model_ = model;
    load_requested_ = load_model;
    // Loading is reported from now on, not from when the worker gets to it.
    if (load_model) status_.state = WorkerStatus::State::kLoading;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stored_ = source.stored;
  }
  running_ = true;
  worker_ = std::thread([this] { worker_run(); });
  capture_.start(source);
}

void Engine::open(const SourceSpec& source) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stored_ = source.stored;
  }
  capture_.open(source);
}

bool Engine::finished() const {
  const CaptureStatus cs = capture_.status();
  if (cs.state != CaptureStatus::State::kEnded && cs.state != CaptureStatus::State::kError)
    return false;
  std::lock_guard<std::mutex> lock(mutex_);
  return status_.frames_done >= cs.frames_read && result_slot_.empty();
}

void Engine::stop() {
  if (!running_) return;
  // Request stop -> close slots (wakes every wait) -> join.
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  capture_.request_stop();
  display_slot_.close();
  worker_slot_.close();
  result_slot_.close();
  capture_.join();
  if (worker_.joinable()) worker_.join();
  running_ = false;
}

void Engine::reload_model(const ModelConfig& model) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    model_ = model;
    load_requested_ = true;
    unload_requested_ = false;
    status_.state = WorkerStatus::State::kLoading;
    status_.message = "Loading the model...";
  }
  worker_slot_.interrupt();
}

void Engine::unload_model() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    unload_requested_ = true;
    load_requested_ = false;
  }
  worker_slot_.interrupt();
}

void Engine::set_crop_settings(const CropTrackerSettings& s) {
  std::lock_guard<std::mutex> lock(mutex_);
  crop_settings_ = s;
}
CropTrackerSettings Engine::crop_settings() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return crop_settings_;
}
void Engine::set_manual_crop(const CropRect& crop) {
  std::lock_guard<std::mutex> lock(mutex_);
  manual_crop_ = crop;
  reset_crop_ = false;
}
void Engine::reset_crop() {
  std::lock_guard<std::mutex> lock(mutex_);
  manual_crop_.reset();
  reset_crop_ = true;
}
void Engine::set_rerun_recorded(bool rerun) {
  std::lock_guard<std::mutex> lock(mutex_);
  rerun_recorded_ = rerun;
}
bool Engine::replaying() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stored_ && !rerun_recorded_;
}
bool Engine::rerun_recorded() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rerun_recorded_;
}
void Engine::set_hand_settings(const HandFinderSettings& s) {
  std::lock_guard<std::mutex> lock(mutex_);
  hand_settings_ = s;
}
HandFinderSettings Engine::hand_settings() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return hand_settings_;
}
void Engine::request_detection() {
  std::lock_guard<std::mutex> lock(mutex_);
  request_detection_ = true;
}
void Engine::set_estimate_options(const EstimateOptions& o) {
  std::lock_guard<std::mutex> lock(mutex_);
  estimate_options_ = o;
}
EstimateOptions Engine::estimate_options() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return estimate_options_;
}
WorkerStatus Engine::worker_status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}
std::shared_ptr<const Faces> Engine::faces() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return faces_;
}
std::shared_ptr<const mano::ManoPair> Engine::hand_models() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return hand_models_;
}

void Engine::worker_run() {
  using namespace std::chrono;
  std::unique_ptr<HandEstimator> estimator;
  HandFinder finder;
  CropTracker& tracker = finder.localiser().tracker();
  if (detector_factory_) {
    // MediaPipe's models are small: loaded once, here, on the worker thread.
    std::string message = "ready";
    try {
      finder.set_detector(detector_factory_());
    } catch (const std::exception& e) {
      message = e.what();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    status_.detector = message;
  }

  for (;;) {
    ModelConfig to_load;
    bool load = false, unload = false;
    EstimateOptions options;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) break;
      load = load_requested_;
      unload = unload_requested_;
      load_requested_ = unload_requested_ = false;
      to_load = model_;
      finder.set_settings(hand_settings_);
      tracker.set_settings(crop_settings_);
      if (manual_crop_) {
        finder.set_manual(*manual_crop_);
        manual_crop_.reset();
      }
      if (reset_crop_) {
        finder.reset();
        reset_crop_ = false;
      }
      if (request_detection_) {
        finder.request_detection();
        request_detection_ = false;
      }
      options = estimate_options_;
    }
    if (unload) {
      estimator.reset();
      std::lock_guard<std::mutex> lock(mutex_);
      faces_.reset();
      status_.state = WorkerStatus::State::kNoModel;
      status_.message.clear();
      status_.describe.clear();
    }
    if (load) {
      estimator.reset();  // free the old model before loading the new one
      {
        std::lock_guard<std::mutex> lock(mutex_);
        faces_.reset();
        status_.state = WorkerStatus::State::kLoading;
        status_.message = "Loading the model...";
      }
      std::string error;
      try {
        estimator = factory_(to_load);
        if (!estimator) error = "The model backend returned no estimator.";
      } catch (const std::exception& e) {
        error = e.what();
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (estimator) {
          faces_ = std::make_shared<const Faces>(estimator->faces());
          hand_models_ = estimator->hand_models();
          status_.state = WorkerStatus::State::kReady;
          status_.message.clear();
          status_.describe = estimator->describe();
        } else {
          status_.state = WorkerStatus::State::kError;
          status_.message = error;
          status_.describe.clear();
        }
      }
      wake();     // the Model panel shows the new state at once
      continue;  // re-read the controls before waiting
    }

    // Newest frame only; wakes for stop (closed) or a control (interrupt).
    std::optional<FramePtr> next = worker_slot_.wait_take();
    if (!next || !*next) continue;
    const FramePtr& frame = *next;
    ResultPtr result;
    try {
      result = step(frame, estimator.get(), finder, options);
    } catch (const std::exception& e) {
      // A failed step is reported and the next frame is tried.
      std::lock_guard<std::mutex> lock(mutex_);
      ++status_.failures;
      ++status_.frames_done;
      status_.last_failure = (frame->name.empty() ? "frame " + std::to_string(frame->index)
                                                  : frame->name) +
                             ": " + e.what();
      status_.state = WorkerStatus::State::kError;
      status_.message = std::string("Inference failed: ") + e.what();
      continue;
    }
    if (result) {
      // Every-frame pacing is lock-step end to end: the consumer gets every
      // result too (headless runs, tests). Otherwise the newest result wins.
      if (capture_.pacing() == Pacing::kEveryFrame) result_slot_.wait_empty();
      result_slot_.put(std::move(result));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    ++status_.frames_done;
  }
  estimator.reset();  // the model is destroyed on the thread that made it
}

ResultPtr Engine::step(const FramePtr& frame, HandEstimator* estimator, HandFinder& finder,
                       const EstimateOptions& options) {
  using namespace std::chrono;
  if (frame->bgr.empty()) return nullptr;
  std::shared_ptr<StoredResults> stored;
  bool rerun = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stored = stored_;
    rerun = rerun_recorded_;
  }
  if (stored && !rerun) {
    // Replay: the stored result, on the frame it was stored with; no network.
    std::optional<FrameResult> kept = stored->result_for(*frame);
    if (kept) {
      auto result = std::make_shared<FrameResult>(std::move(*kept));
      result->frame = frame;
      result->replayed = true;
      if (options.keep_input)
        result->network_input =
            std::make_shared<const cv::Mat>(make_network_input(frame->bgr, result->crop));
      result->finished_at = Clock::now();
      std::lock_guard<std::mutex> lock(mutex_);
      ++status_.results;
      status_.last_crop = result->crop;
      return result;
    }
  }
  // No network and no detector: the video still plays on the display slot.
  // No network but MediaPipe's models: skeleton mode (the hands only).
  if (!estimator && !finder.has_detector()) return nullptr;

  // Localise, crop, estimate, make the result.
  const int w = frame->bgr.cols, h = frame->bgr.rows;
  const LocaliseStep where = finder.localise(frame->bgr);
  const CropRect crop = where.crop;
  auto result = std::make_shared<FrameResult>();
  result->frame = frame;
  result->crop = crop;
  result->crop_source = where.source;
  result->detections = where.detections;
  result->has_network = estimator != nullptr;
  const auto t0 = Clock::now();
  auto t1 = t0, t2 = t0;
  if (estimator) {
    cv::Mat input = make_network_input(frame->bgr, crop);
    t1 = Clock::now();
    result->output = estimator->estimate(input, options);
    t2 = Clock::now();
    result->keypoints_frame = keypoints_in_frame(result->output.xyc, crop);
    if (options.keep_input)
      result->network_input = std::make_shared<const cv::Mat>(std::move(input));
    result->preprocess_ms = duration<double, std::milli>(t1 - t0).count();
    finder.update(result->keypoints_frame, w, h);
  } else {
    t1 = t2 = Clock::now();
  }
  result->finished_at = t2;

  std::lock_guard<std::mutex> lock(mutex_);
  ++status_.results;
  status_.crop_source = where.source;
  if (where.detections) {
    status_.palm_ms = where.detections->palm_ms;
    status_.landmarks_ms = where.detections->landmarks_ms;
    status_.hands_found = static_cast<int>(where.detections->hands.size());
  }
  status_.preprocess_ms = result->preprocess_ms;
  status_.network_ms = duration<double, std::milli>(t2 - t1).count();
  status_.frame_age_ms = duration<double, std::milli>(t2 - frame->captured_at).count();
  status_.last_crop = crop;
  if (last_result_ != Clock::time_point{}) {
    const double dt = duration<double>(t2 - last_result_).count();
    if (dt > 0) status_.rate_hz = status_.rate_hz == 0 ? 1 / dt : 0.8 * status_.rate_hz + 0.2 / dt;
  }
  last_result_ = t2;
  if (status_.state == WorkerStatus::State::kError) {
    status_.state = WorkerStatus::State::kReady;
    status_.message.clear();
  }
  return result;
}

}  // namespace intershape::core
