// `intershape bench`: times the network's forward pass (after warm-up) per
// stage and end to end, and reports the peak resident memory.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/model_options.h"
#include "core/hand_estimator.h"
#include "core/image_limits.h"
#include "core/sources.h"
#include "core/net/network.h"
#include "core/preprocess.h"

namespace intershape::app {
namespace {

struct BenchOptions {
  core::ModelConfig model;
  std::string image;
  int iterations = 20, warmup = 3, batch = 1;
  bool json = false;
  core::ImageLimits image_limits;
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

int run_bench(const BenchOptions& o) {
  if (o.model.synthetic == !o.model.checkpoint.empty())
    throw UsageError("give exactly one of --checkpoint FILE or --synthetic");
  if (o.model.synthetic && o.model.mano_dir.empty())
    throw UsageError(
        "--synthetic needs --mano DIR (a folder with MANO_RIGHT.pkl and MANO_LEFT.pkl; "
        "in a source tree: tests/data/mano)");
  if (o.iterations < 1) throw UsageError("--iterations must be at least 1");
  if (o.warmup < 0) throw UsageError("--warmup must be >= 0");
  if (o.batch < 1) throw UsageError("--batch must be at least 1");

  // The picture first: a bad --image fails before a model load of seconds.
  cv::Mat input;
  if (!o.image.empty()) {
    cv::Mat bgr;
    try {
      // The image-size policy and a message naming the file (was OpenCV's
      // raw assertion text on a header bomb).
      bgr = core::read_image(o.image, o.image_limits,
                             cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
    } catch (const core::ImageError& e) {
      throw core::SourceError(std::string("cannot use --image ") + e.what());  // exit 3
    }
    input = core::make_network_input(bgr, core::CropRect::whole_frame(bgr.cols, bgr.rows));
  } else {
    input.create(core::kInputSize, core::kInputSize, CV_8UC3);
    cv::RNG rng(23);  // fixed: runs are comparable
    rng.fill(input, cv::RNG::UNIFORM, 0, 256);
  }

  const auto load_start = std::chrono::steady_clock::now();
  std::unique_ptr<core::HandEstimator> estimator = core::create_estimator(o.model);
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  const double rss_after_load = peak_rss_mb();

  // --batch N: N copies of the input in one forward pass (the batch-size
  // curve of `intershape eval`); times are per batch, the rate per image.
  auto* net = dynamic_cast<core::net::TwoHandNetwork*>(estimator.get());
  if (o.batch > 1 && !net) throw std::runtime_error("bench: --batch needs the LibTorch network");
  const std::vector<cv::Mat> batch_inputs(static_cast<size_t>(o.batch), input);
  auto forward = [&]() {
    return o.batch > 1 ? net->estimate_batch(batch_inputs, {}).front() : estimator->estimate(input, {});
  };
  for (int i = 0; i < o.warmup; ++i) forward();
  std::vector<double> wall, internet, attention, meshreg, cascade, mano, total;
  for (int i = 0; i < o.iterations; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const core::NetworkOutput out = forward();
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
  add_model_options(*cmd, options->model);
  cmd->add_option("--iterations", options->iterations, "Timed forward passes")
      ->capture_default_str();
  cmd->add_option("--warmup", options->warmup, "Untimed forward passes first")
      ->capture_default_str();
  cmd->add_option("--image", options->image, "Input picture (default: fixed random pixels)");
  cmd->add_option("--batch", options->batch, "Images per forward pass (times are per batch)")
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "Print one JSON object");
  add_image_limit_option(*cmd, options->image_limits);
  cmd->callback([options, &exit_code] { exit_code = run_bench(*options); });
}

}  // namespace intershape::app
