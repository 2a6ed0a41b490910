// `intershape bench`: times the network's forward pass (after warm-up) per
// stage and end to end, and reports the peak resident memory. It runs the
// network (core/net) directly, so it builds in the engine-only build too
// (no OpenCV: --image is then a 256x256 binary PPM). `--train` times the
// training step instead (app/bench_train.h; full build only).

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/allocator.h"
#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/model_options.h"
#include "core/formats/file_io.h"
#include "core/formats/ppm.h"
#include "core/net/device.h"
#include "core/net/network.h"

#if INTERSHAPE_BENCH_TRAIN
#include "app/bench_train.h"
#endif

#if INTERSHAPE_BENCH_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "app/image_options.h"
#include "core/image_limits.h"
#include "core/preprocess.h"
#include "core/sources.h"
#include "core/detect/hand_landmarker.h"
#include "core/detect/hand_models.h"
#include "core/detect/hand_tracker.h"
#include "core/detect/palm_detector.h"
#endif

namespace intershape::app {
namespace {

namespace formats = core::formats;

struct BenchOptions {
  core::net::NetworkConfig model;
  bool no_onednn = false;
  std::string image;
  int iterations = -1, warmup = -1, batch = 1;  // -1: the mode's default
  bool json = false;
  bool train = false;  // time the training step (bench_train.h)
#if INTERSHAPE_BENCH_OPENCV
  core::ImageLimits image_limits;
  bool hands = false;       // time MediaPipe's hand pipeline instead of the network
  std::string hand_models;  // --hand-models DIR
#endif
};

struct Stats {
  double median = 0, p10 = 0, p90 = 0, min = 0, max = 0;
};

Stats stats_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {  // nearest-rank percentile
    const size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
  };
  const size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  return {median, at(0.1), at(0.9), v.front(), v.back()};
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

// The network input: 256x256 RGB, packed rows.
formats::RgbImage bench_input(const BenchOptions& o) {
  const std::string& path = o.image;
  if (path.empty()) {
    // Fixed pseudo-random pixels (a 64-bit LCG): runs are comparable.
    formats::RgbImage image{core::net::kInputSize, core::net::kInputSize, {}};
    image.pixels.resize(size_t{3} * image.width * image.height);
    uint64_t state = 23;
    for (uint8_t& p : image.pixels) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      p = static_cast<uint8_t>(state >> 56);
    }
    return image;
  }
#if INTERSHAPE_BENCH_OPENCV
  // Any picture OpenCV reads, fitted as the reference demo fits a whole frame.
  cv::Mat bgr;
  try {
    // The image-size policy, and a message naming the file.
    bgr = core::read_image(path, o.image_limits, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  } catch (const core::ImageError& e) {
    throw core::SourceError(std::string("cannot use --image ") + e.what());  // exit 3
  }
  const cv::Mat rgb =
      core::make_network_input(bgr, core::CropRect::whole_frame(bgr.cols, bgr.rows));
  formats::RgbImage image{rgb.cols, rgb.rows, {}};
  for (int y = 0; y < rgb.rows; ++y)
    image.pixels.insert(image.pixels.end(), rgb.ptr<uint8_t>(y),
                        rgb.ptr<uint8_t>(y) + 3 * rgb.cols);
  return image;
#else
  formats::RgbImage image;
  try {
    image = formats::read_ppm(path);
  } catch (const formats::FileError& e) {
    throw std::runtime_error(std::string("bench: ") + e.what() +
                             " (this engine-only build reads --image as a binary PPM)");
  }
  if (image.width != core::net::kInputSize || image.height != core::net::kInputSize)
    throw std::runtime_error("bench: " + path + " is " + std::to_string(image.width) + "x" +
                             std::to_string(image.height) +
                             "; without OpenCV (engine-only build) --image must be the 256x256 "
                             "network input itself");
  return image;
#endif
}

#if INTERSHAPE_BENCH_OPENCV
// --hands: palm detection and the landmark model (core/detect), timed apart on
// --image. The default picture (random pixels) has no hand, so the landmark
// figure needs a picture with hands, e.g. tests/data/real/side_by_side.png.
int run_hand_bench(const BenchOptions& o) {
  namespace detect = core::detect;
  const std::string dir = detect::find_hand_models(o.hand_models);
  const std::string device =
      o.model.device == "auto" ? (core::net::resolve_device("auto").cuda ? "cuda" : "cpu")
                               : o.model.device;
  auto palm = detect::make_palm_detector(
      detect::verified_hand_model_path(dir, detect::kPalmDetectionFull), device);
  auto landmarker = detect::make_hand_landmarker(
      detect::verified_hand_model_path(dir, detect::kHandLandmarkFull), device);
  cv::Mat bgr;
  if (o.image.empty()) {
    bgr.create(480, 640, CV_8UC3);
    cv::RNG rng(23);
    rng.fill(bgr, cv::RNG::UNIFORM, 0, 256);
  } else {
    try {
      bgr = core::read_image(o.image, o.image_limits, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
    } catch (const core::ImageError& e) {
      throw core::SourceError(std::string("cannot use --image ") + e.what());  // exit 3
    }
  }
  const detect::HandBench b = detect::bench_hand_pipeline(*palm, *landmarker, bgr, o.iterations);
  if (o.json) {
    nlohmann::json j;
    j["device"] = device;
    j["iterations"] = o.iterations;
    j["palm_detection_ms_median"] = b.palm_ms;
    j["landmarks_per_hand_ms_median"] = b.landmarks_per_hand_ms;
    j["palm_detection_cpu_ms"] = b.palm_cpu_ms;
    j["landmarks_per_hand_cpu_ms"] = b.landmarks_per_hand_cpu_ms;
    j["hands"] = b.hands;
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("hand pipeline on %s, %d iterations (ms, median; CPU time per call in brackets)\n",
                device.c_str(), o.iterations);
    std::printf("palm detection      %7.1f  (%.1f)\n", b.palm_ms, b.palm_cpu_ms);
    std::printf("landmarks per hand  %7.1f  (%.1f)  %d hand(s)\n", b.landmarks_per_hand_ms,
                b.landmarks_per_hand_cpu_ms, b.hands);
  }
  return 0;
}
#endif

int run_bench(BenchOptions o) {
  if (o.train) {
#if INTERSHAPE_BENCH_TRAIN
    TrainBenchOptions t;
    t.model = o.model;
    t.precision = o.model.precision;
    t.batch = o.batch;
    t.iterations = o.iterations < 0 ? t.iterations : o.iterations;
    t.warmup = o.warmup < 0 ? t.warmup : o.warmup;
    t.json = o.json;
    return run_train_bench(t);
#else
    throw UsageError("--train needs the full build (training is not in the engine-only build)");
#endif
  }
  if (o.model.precision == "bf16")
    throw UsageError("--precision bf16 is for bench --train; the forward pass runs fp32 or fp16");
  if (o.iterations < 0) o.iterations = 20;
  if (o.warmup < 0) o.warmup = 3;
#if INTERSHAPE_BENCH_OPENCV
  if (o.hands) {
    if (o.iterations < 1) throw UsageError("--iterations must be at least 1");
    return run_hand_bench(o);
  }
#endif
  if (o.model.synthetic == !o.model.checkpoint.empty())
    throw UsageError("give exactly one of --checkpoint FILE or --synthetic");
  if (o.model.synthetic && o.model.mano_dir.empty())
    throw UsageError(
        "--synthetic needs --mano DIR (a folder with MANO_RIGHT.pkl and MANO_LEFT.pkl; "
        "in a source tree: tests/data/mano)");
  if (o.iterations < 1) throw UsageError("--iterations must be at least 1");
  if (o.warmup < 0) throw UsageError("--warmup must be >= 0");
  if (o.batch < 1) throw UsageError("--batch must be at least 1");

  const formats::RgbImage image = bench_input(o);
  const core::net::RgbView input{image.pixels.data(), image.width, image.height, 3 * image.width};

  core::net::NetworkConfig config = o.model;
  config.onednn = !o.no_onednn;
  const auto load_start = std::chrono::steady_clock::now();
  std::unique_ptr<core::net::TwoHandNetwork> estimator = core::net::TwoHandNetwork::create(config);
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  release_free_memory();  // the load's transient buffers (heap trimming is off, app/allocator.h)
  const double rss_after_load = peak_rss_mb();

  // --batch N: N copies of the input in one forward pass (the batch-size
  // curve of `intershape eval`); times are per batch, the rate per image.
  const std::vector<core::net::RgbView> batch_inputs(static_cast<size_t>(o.batch), input);
  auto forward = [&]() {
    return o.batch > 1 ? estimator->estimate_batch(batch_inputs, {}).front()
                       : estimator->estimate(input, {});
  };
  for (int i = 0; i < o.warmup; ++i) forward();
  std::vector<double> wall, internet, attention, meshreg, cascade, mano, total;
  for (int i = 0; i < o.iterations; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const core::net::NetworkOutput out = forward();
    wall.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    internet.push_back(out.timings.internet_ms);
    attention.push_back(out.timings.attention_ms);
    meshreg.push_back(out.timings.meshreg_ms);
    cascade.push_back(out.timings.cascade_ms);
    mano.push_back(out.timings.mano_ms);
    total.push_back(out.timings.total_ms);
  }
  const std::pair<const char*, Stats> rows[] = {
      {"internet", stats_of(internet)}, {"attention", stats_of(attention)},
      {"meshreg", stats_of(meshreg)},   {"cascade", stats_of(cascade)},
      {"mano", stats_of(mano)},         {"network", stats_of(total)},
  };
  const Stats end_to_end = stats_of(wall);
  const double rss = peak_rss_mb();

  if (o.json) {
    nlohmann::json j;
    j["estimator"] = estimator->describe();
    j["onednn"] = config.onednn;
    j["iterations"] = o.iterations;
    j["warmup"] = o.warmup;
    j["load_s"] = load_s;
    j["forward_ms_median"] = end_to_end.median;
    j["forward_ms_p10"] = end_to_end.p10;
    j["forward_ms_p90"] = end_to_end.p90;
    j["forward_ms_min"] = end_to_end.min;
    j["forward_ms_max"] = end_to_end.max;
    for (const auto& [name, s] : rows)
      j["stages_ms"][name] = {
          {"median", s.median}, {"p10", s.p10}, {"p90", s.p90}, {"min", s.min}, {"max", s.max}};
    j["batch"] = o.batch;
    j["images_per_s"] = 1000.0 * o.batch / end_to_end.median;
    j["peak_rss_mb"] = rss;
    j["rss_after_load_mb"] = rss_after_load;
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("estimator: %s\n", estimator->describe().c_str());
    std::printf("load %.2f s; %d iterations after %d warm-up\n", load_s, o.iterations, o.warmup);
    std::printf("%-12s %9s %9s %9s %9s %9s  (ms)\n", "stage", "median", "p10", "p90", "min", "max");
    const char* labels[] = {"InterNet", "attention", "MeshRegNet", "cascade", "MANO", "network"};
    for (size_t i = 0; i < std::size(rows); ++i) {
      const Stats& s = rows[i].second;
      std::printf("%-12s %9.1f %9.1f %9.1f %9.1f %9.1f\n", labels[i], s.median, s.p10, s.p90, s.min,
                  s.max);
    }
    std::printf("%-12s %9.1f %9.1f %9.1f %9.1f %9.1f\n", "end to end", end_to_end.median,
                end_to_end.p10, end_to_end.p90, end_to_end.min, end_to_end.max);
    std::printf("batch %d: %.1f images/s (median)\n", o.batch, 1000.0 * o.batch / end_to_end.median);
    std::printf("peak RSS %.0f MB (after load %.0f MB)\n", rss, rss_after_load);
  }
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* cmd =
      app.add_subcommand("bench", "Time the network's forward pass (per stage and end to end)");
  add_model_options(*cmd, options->model, "", /*train_bf16=*/true);
  cmd->add_option("--iterations", options->iterations,
                  "Timed forward passes (default 20), or training steps with --train (default 5)");
  cmd->add_option("--warmup", options->warmup,
                  "Untimed passes first (default 3; with --train 1)");
  cmd->add_option("--image", options->image,
                  "Input picture, fitted as a whole frame (default: fixed random pixels); "
                  "in the engine-only build a 256x256 binary PPM");
  cmd->add_flag("--no-onednn", options->no_onednn,
                "CPU fp32: do not pre-pack convolution weights for oneDNN (A/B timing)");
  cmd->add_option("--batch", options->batch, "Images per forward pass (times are per batch)")
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "Print one JSON object");
  cmd->add_flag("--train", options->train,
                "Time a training step (forward, loss, backward, Adam) on a synthetic batch of "
                "--batch samples instead of the forward pass; --precision fp32, bf16 or fp16");
#if INTERSHAPE_BENCH_OPENCV
  add_image_limit_option(*cmd, options->image_limits);
  cmd->add_flag("--hands", options->hands,
                "Time MediaPipe's hand pipeline (palm detection, landmarks per hand) on --image "
                "instead of the two-hand network; needs no checkpoint");
  cmd->add_option("--hand-models", options->hand_models,
                  "Folder with MediaPipe's hand models (default: assets/models)");
#endif
  cmd->callback([options, &exit_code] { exit_code = run_bench(*options); });
}

}  // namespace intershape::app
