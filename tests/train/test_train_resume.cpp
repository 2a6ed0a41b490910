// `intershape train --resume` on the fixture's train split (CPU, batch 2,
// shuffled and augmented with a seed, 2 threads; the runs use 2, 1 and 0
// data-loader workers): a run stopped before the end of epoch 0
// and resumed across the epoch boundary ends bit-identical to an
// uninterrupted run of the same length -- every tensor of the final
// checkpoint (the 602 network entries incl. BatchNorm statistics and
// counters, Adam's step / exp_avg / exp_avg_sq) and every logged loss. The
// uninterrupted run also validates on the test split at its epoch end (which
// must not disturb training). Then: a resume with another --batch is refused,
// as is a new run into a folder holding one (a failed checkpoint write is
// test_train_checkpoint's).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/formats/checkpoint.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using intershape::core::formats::Checkpoint;
using intershape::core::formats::ExtraValue;
using intershape::core::formats::TensorInfo;
using intershape::test::run_command;

namespace {

const std::string kData = INTERSHAPE_TEST_DATA;

std::vector<nlohmann::json> read_log(const fs::path& dir) {
  std::ifstream in(dir / "train_log.jsonl");
  std::vector<nlohmann::json> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::vector<nlohmann::json> step_lines(const std::vector<nlohmann::json>& log) {
  std::vector<nlohmann::json> out;
  for (const auto& j : log)
    if (!j.contains("val")) out.push_back(j);
  return out;
}

void check_same_tensors(const Checkpoint& a, const Checkpoint& b, const std::vector<TensorInfo>& ta,
                        const std::vector<TensorInfo>& tb) {
  REQUIRE(ta.size() == tb.size());
  for (size_t i = 0; i < ta.size(); ++i) {
    CAPTURE(ta[i].key);
    REQUIRE(ta[i].key == tb[i].key);
    REQUIRE(ta[i].shape == tb[i].shape);
    REQUIRE(ta[i].dtype == tb[i].dtype);
    CHECK(a.read(ta[i]).bytes == b.read(tb[i]).bytes);
  }
}

// Every tensor and every plain value of the two checkpoints, bit for bit.
void check_identical(const fs::path& pa, const fs::path& pb) {
  auto a = Checkpoint::open(pa.string());
  auto b = Checkpoint::open(pb.string());
  CHECK(a->tensors().size() == 602);
  check_same_tensors(*a, *b, a->tensors(), b->tensors());
  // 197 mesh-regressor parameters x (step, exp_avg, exp_avg_sq), minus any without gradient.
  CHECK(a->extra_tensors().size() > 3 * 150);
  check_same_tensors(*a, *b, a->extra_tensors(), b->extra_tensors());
  REQUIRE(a->extra_values().size() == b->extra_values().size());
  for (size_t i = 0; i < a->extra_values().size(); ++i) {
    const auto& [ka, va] = a->extra_values()[i];
    const auto& [kb, vb] = b->extra_values()[i];
    CAPTURE(ka);
    CHECK(ka == kb);
    CHECK(va.type == vb.type);
    CHECK(va.integer == vb.integer);
    CHECK(va.boolean == vb.boolean);
    CHECK((va.real == vb.real || (std::isnan(va.real) && std::isnan(vb.real))));
    CHECK(va.text == vb.text);
  }
}

}  // namespace

TEST_CASE("train --resume: stopped and resumed equals uninterrupted, bit for bit") {
  const fs::path tmp =
      fs::temp_directory_path() / ("intershape_train_resume_" + std::to_string(getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  fs::copy(kData + "/interhand/InterHand2.6M_5fps_batch1", tmp / "dataset",
           fs::copy_options::recursive);
  const std::string bin = INTERSHAPE_BIN;
  const std::string common = bin + " train --synthetic --mano " + kData + "/mano --dataset " +
                             (tmp / "dataset").string() +
                             " --batch 2 --seed 5 --epochs 3 --threads 2";

  // A: uninterrupted, into epoch 1; validation on 4 test samples at epoch 0's end.
  const fs::path a = tmp / "a";
  auto r = run_command(common + " --output " + a.string() +
                       " --workers 2 --max-steps 5 --val-split test --val-limit 4 2>&1");
  INFO(r.output);
  REQUIRE(r.status == 0);
  const std::vector<nlohmann::json> log_a = read_log(a);
  const std::vector<nlohmann::json> steps_a = step_lines(log_a);
  REQUIRE(steps_a.size() == 5);
  int64_t per_epoch = 0;
  for (const auto& j : steps_a) per_epoch += j["epoch"] == 0 ? 1 : 0;
  // The run must cross the epoch boundary for the test to mean what it says.
  REQUIRE(per_epoch >= 3);
  REQUIRE(per_epoch < 5);
  bool validated = false;
  for (const auto& j : log_a) {
    if (!j.contains("val")) continue;
    validated = true;
    CHECK(j["epoch"] == 0);
    CHECK(j["step"] == per_epoch);
    CHECK(j["val"]["split"] == "test");
    CHECK(j["val"]["samples"] == 4);
    CHECK(j["val"]["mpjpe"].is_number());
    CHECK(j["val"]["mpjpe"].get<double>() > 0);
    CHECK(j["val"]["mpvpe"].is_number());
  }
  CHECK(validated);
  CHECK(fs::exists(a / "val" / "epoch_0" / "metrics.json"));
  CHECK(r.output.find("validation") != std::string::npos);

  // B: stopped two steps before epoch 0's end (a step checkpoint on the way),
  // then resumed to the same total.
  const fs::path b = tmp / "b";
  const int64_t stop_at = per_epoch - 2;
  r = run_command(common + " --output " + b.string() +
                  " --workers 1 --checkpoint-every 2 --max-steps " + std::to_string(stop_at) +
                  " 2>&1");
  INFO(r.output);
  REQUIRE(r.status == 0);
  REQUIRE(fs::exists(b / "snapshot_0.pth.tar"));
  CHECK(!fs::exists(b / "snapshot_1.pth.tar"));
  // The log holds steps the checkpoint does not know about after a crash:
  // simulate one logged step past the checkpoint, which resume must drop.
  {
    std::ofstream extra(b / "train_log.jsonl", std::ios::app);
    extra << R"({"epoch":0,"step":)" << stop_at << R"(,"total":1e9})"
          << "\n";
  }
  r = run_command(common + " --output " + b.string() + " --workers 0 --resume --max-steps 5 2>&1");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("resuming from") != std::string::npos);

  check_identical(a / "snapshot_0.pth.tar", b / "snapshot_0.pth.tar");
  check_identical(a / "snapshot_1.pth.tar", b / "snapshot_1.pth.tar");
  const std::vector<nlohmann::json> steps_b = step_lines(read_log(b));
  REQUIRE(steps_b.size() == steps_a.size());
  for (size_t i = 0; i < steps_a.size(); ++i) {
    CAPTURE(i);
    CHECK(steps_b[i]["step"] == steps_a[i]["step"]);
    CHECK(steps_b[i]["epoch"] == steps_a[i]["epoch"]);
    CHECK(steps_b[i]["lr"] == steps_a[i]["lr"]);
    CHECK(steps_b[i]["total"].get<double>() == steps_a[i]["total"].get<double>());
    CHECK(steps_b[i]["joint"].get<double>() == steps_a[i]["joint"].get<double>());
  }

  // Another batch size would change the data order: refused, naming it.
  r = run_command(common + " --output " + b.string() + " --resume --batch 4 --max-steps 9 2>&1");
  CHECK(r.status == 2);
  CHECK(r.output.find("--batch") != std::string::npos);

  // Without --resume, a folder holding a run is not silently overwritten.
  r = run_command(common + " --output " + b.string() + " --max-steps 9 2>&1");
  CHECK(r.status == 2);
  CHECK(r.output.find("already holds a training run") != std::string::npos);

  fs::remove_all(tmp);
}
