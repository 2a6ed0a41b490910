// `intershape eval` as a user runs it, on the miniature InterHand2.6M copy in
// tests/data/interhand with the rule weights (empty salt), network on CPU:
// parity with the reference's figures and predictions, resume after kill -9,
// 3 shards merged == one run, missing images, usage errors.

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/eval/records.h"
#include "tests/npy.h"
#include "tests/test_util.h"

namespace ev = intershape::core::eval;
namespace fs = std::filesystem;
using intershape::test::read_file;
using intershape::test::run_command;
using intershape::test::TempDir;

namespace {

const std::string kData = std::string(INTERSHAPE_TEST_DATA) + "/interhand";
const std::string kExpected = kData + "/expected/";
const std::string kMano = std::string(INTERSHAPE_TEST_DATA) + "/mano";

std::string copy_dataset(const TempDir& dir) {
  const std::string dst = dir / "InterHand2.6M_5fps_batch1";
  fs::copy(kData + "/InterHand2.6M_5fps_batch1", dst, fs::copy_options::recursive);
  return dst;
}

std::string eval_cmd(const std::string& dataset, const std::string& out, const std::string& extra) {
  return std::string(INTERSHAPE_BIN) + " eval --dataset " + dataset + " --synthetic --mano " +
         kMano + " --device cpu --threads 2 --output " + out + " " + extra;
}

nlohmann::json metrics(const std::string& dir) {
  nlohmann::json j = nlohmann::json::parse(read_file(dir + "/metrics.json"));
  j.erase("run");  // what the run was (shard, merged folders) differs by design
  return j;
}

std::vector<ev::SampleRecord> records(const std::string& dir) {
  std::vector<ev::SampleRecord> r = ev::read_chunks(dir, true);
  std::sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return r;
}

void check_same_records(const std::string& a, const std::string& b) {
  const auto ra = records(a), rb = records(b);
  REQUIRE(ra.size() == rb.size());
  for (size_t i = 0; i < ra.size(); ++i) {
    CHECK(ra[i].index == rb[i].index);
    CHECK(ra[i].joints == rb[i].joints);
    CHECK(ra[i].trans == rb[i].trans);
  }
}

}  // namespace

TEST_CASE("eval on the fixture: every figure, prediction and the joints cache as the reference's") {
  TempDir tmp("eval_cli");
  const std::string dataset = copy_dataset(tmp);
  const std::string out = tmp / "out";
  const auto r = run_command(eval_cmd(dataset, out, "--batch 8") + " 2>" + (tmp / "log"));
  INFO(r.output << read_file(tmp / "log"));
  REQUIRE(r.status == 0);
  // The reference's printed summary.
  CHECK(r.output.find("MPJPE for all hand sequences: 40.67") != std::string::npos);
  CHECK(r.output.find("MPVPE for all hand sequences: 36.80") != std::string::npos);
  CHECK(r.output.find("Area under curve between 0mm - 50mm: 0.351") != std::string::npos);
  CHECK(read_file(tmp / "log").find("images/s, waiting on data") != std::string::npos);

  const nlohmann::json ref = nlohmann::json::parse(read_file(kExpected + "metrics.json"));
  const nlohmann::json got = metrics(out);
  for (int j = 0; j < 42; ++j) {
    CHECK(std::abs(got["mpjpe_per_joint"][j].get<double>() - ref["mpjpe_per_joint"][j].get<double>()) < 1e-3);
    CHECK(got["mpjpe_valid_counts"][j] == ref["mpjpe_valid_counts"][j]);
  }
  for (const char* k : {"mpjpe", "mpvpe", "epe_mean_0_50_call", "epe_median_0_50_call"})
    CHECK(std::abs(got[k].get<double>() - ref[k].get<double>()) < 1e-3);
  CHECK(std::abs(got["auc_0_50"].get<double>() - ref["auc_0_50"].get<double>()) < 1e-5);
  for (const char* k : {"epe_mean", "epe_median"})
    CHECK(std::abs(got["eval_3dpck"][k].get<double>() - ref["eval_3dpck"][k].get<double>()) < 1e-3);
  for (const char* k : {"auc_0_100", "auc_20_50", "auc_0_30"})
    CHECK(std::abs(got["eval_3dpck"][k].get<double>() - ref["eval_3dpck"][k].get<double>()) < 1e-5);
  CHECK(got["mpvpe_hands_counted"] == ref["mpvpe_hands_counted"]);
  CHECK(got["joint_names"] == ref["joint_names"]);
  CHECK(got["thresholds_0_50"] == ref["thresholds_0_50"]);
  for (size_t i = 0; i < 200; ++i)
    CHECK(std::abs(got["pck_curve_0_50"][i].get<double>() - ref["pck_curve_0_50"][i].get<double>()) < 1e-5);

  // Per-sample predictions within 0.01 mm.
  const std::vector<float> joints = intershape::test::load_npy(kExpected + "joints3d.npy").as_float();
  const std::vector<float> verts = intershape::test::load_npy(kExpected + "verts3d.npy").as_float();
  const std::vector<float> trans = intershape::test::load_npy(kExpected + "trans.npy").as_float();
  const auto rec = records(out);
  REQUIRE(rec.size() == 16);
  float wj = 0, wv = 0, wt = 0;
  for (size_t i = 0; i < 16; ++i) {
    CHECK(rec[i].index == static_cast<int64_t>(i));
    for (int k = 0; k < 126; ++k) wj = std::max(wj, std::abs(rec[i].joints[k] - joints[i * 126 + k]));
    for (int k = 0; k < 1556 * 3; ++k) wv = std::max(wv, std::abs(rec[i].vertices[k] - verts[i * 4668 + k]));
    for (int k = 0; k < 4; ++k) wt = std::max(wt, std::abs(rec[i].trans[k] - trans[i * 4 + k]));
  }
  CHECK(wj < 0.01f);
  CHECK(wv < 0.01f);
  CHECK(wt < 1e-4f);

  // The joints cache was written where the reference writes it, same frames.
  const std::string cache = dataset + "/annotations/test/InterHand2.6M_test_MANO_joints.json";
  REQUIRE(fs::exists(cache));
  const nlohmann::json c1 = nlohmann::json::parse(read_file(cache));
  const nlohmann::json c2 = nlohmann::json::parse(read_file(kExpected + "reference_MANO_joints_test.json"));
  CHECK(c1.size() == c2.size());
  for (auto& [cap, frames] : c2.items())
    for (auto& [frame, j] : frames.items())
      for (int a = 0; a < 42; ++a)
        for (int k = 0; k < 3; ++k)
          CHECK(std::abs(c1[cap][frame][a][k].get<double>() - j[a][k].get<double>()) < 1e-3);

  // The other outputs exist and say something.
  for (const char* f : {"pck.csv", "pck.png", "per_joint.csv", "per_sequence.csv", "predictions.npz"})
    CHECK(fs::file_size(out + "/" + f) > 100);
  const std::string seq = read_file(out + "/per_sequence.csv");
  CHECK(seq.find("0167_dh_clasp,12,") != std::string::npos);
  CHECK(seq.find("0142_dh_touchROM,4,") != std::string::npos);
  const std::string npz = read_file(out + "/predictions.npz");
  for (const char* name : {"joints.npy", "vertices.npy", "trans.npy", "capture.npy", "camera.npy", "frame.npy"})
    CHECK(npz.find(name) != std::string::npos);

  // A second run into the same folder without --resume refuses.
  const auto again = run_command(eval_cmd(dataset, out, "") + " 2>&1");
  CHECK(again.status == 1);
  CHECK(again.output.find("--resume") != std::string::npos);
}

TEST_CASE("resume after kill -9 and 3 shards merged give one run's metrics") {
  TempDir tmp("eval_resume");
  const std::string dataset = copy_dataset(tmp);
  const std::string whole = tmp / "whole";
  // --batch 1 everywhere: a sample's result then does not depend on which
  // samples share its batch (the network's kernels differ by ~1e-4 mm between
  // batch compositions, as the reference's do), so equality can be exact.
  REQUIRE(run_command(eval_cmd(dataset, whole, "--limit 6 --batch 1") + " >/dev/null 2>&1").status == 0);

  // Killed as soon as its first chunk of partial results is on disk.
  const std::string killed = tmp / "killed";
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c",
            ("exec " + eval_cmd(dataset, killed, "--limit 6 --batch 1 --chunk 1") + " >/dev/null 2>&1").c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool chunk_seen = false;
  for (int i = 0; i < 6000 && !chunk_seen; ++i) {
    std::error_code ec;
    if (fs::is_directory(killed + "/partial", ec))
      for (const auto& e : fs::directory_iterator(killed + "/partial", ec))
        if (e.path().extension() == ".bin") chunk_seen = true;
    if (!chunk_seen) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(chunk_seen);
  const size_t before = records(killed).size();
  CHECK(before >= 1);
  CHECK_FALSE(fs::exists(killed + "/metrics.json"));
  const auto resumed = run_command(eval_cmd(dataset, killed, "--limit 6 --batch 1 --chunk 1 --resume") + " 2>&1");
  INFO(resumed.output);
  REQUIRE(resumed.status == 0);
  CHECK(resumed.output.find("Resuming: " + std::to_string(before)) != std::string::npos);
  CHECK(metrics(killed) == metrics(whole));
  check_same_records(killed, whole);

  // Resuming with other options is refused.
  const auto other = run_command(eval_cmd(dataset, killed, "--limit 5 --resume") + " 2>&1");
  CHECK(other.status == 1);
  CHECK(other.output.find("describes another run") != std::string::npos);

  // Three shards, merged.
  std::string dirs;
  for (int s = 0; s < 3; ++s) {
    const std::string d = tmp / ("shard" + std::to_string(s));
    REQUIRE(run_command(eval_cmd(dataset, d, "--limit 6 --batch 1 --shard " + std::to_string(s) + "/3") +
                        " >/dev/null 2>&1").status == 0);
    CHECK(records(d).size() == 2);
    dirs += " " + d;
  }
  const std::string merged = tmp / "merged";
  const auto m = run_command(std::string(INTERSHAPE_BIN) + " eval --output " + merged + " --merge" + dirs + " 2>&1");
  INFO(m.output);
  REQUIRE(m.status == 0);
  CHECK(metrics(merged) == metrics(whole));
  check_same_records(merged, whole);
  CHECK(read_file(merged + "/per_sequence.csv") == read_file(whole + "/per_sequence.csv"));
}

TEST_CASE("missing images: an error naming the file, or skipped and counted with --skip-missing") {
  TempDir tmp("eval_missing");
  const std::string dataset = copy_dataset(tmp);
  const std::string image = dataset + "/images/test/Capture4/0167_dh_clasp/cam410089/image9486.jpg";
  fs::remove(image);
  const auto r = run_command(eval_cmd(dataset, tmp / "a", "--limit 3") + " 2>&1");
  CHECK(r.status == 3);
  CHECK(r.output.find(image) != std::string::npos);
  CHECK(r.output.find("--skip-missing") != std::string::npos);
  const auto s = run_command(eval_cmd(dataset, tmp / "b", "--limit 3 --skip-missing") + " 2>&1");
  INFO(s.output);
  CHECK(s.status == 0);
  CHECK(s.output.find("1 skipped") != std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(read_file(tmp / "b/metrics.json"));
  CHECK(j["samples"] == 2);
  CHECK(j["run"]["skipped_missing_images"] == 1);
}

TEST_CASE("usage errors exit with 2") {
  CHECK(run_command(std::string(INTERSHAPE_BIN) + " eval --dataset x --synthetic --mano " + kMano + " --shard 3/3 2>&1").status == 2);
  CHECK(run_command(std::string(INTERSHAPE_BIN) + " eval --synthetic --mano " + kMano + " 2>&1").status == 2);
  const auto r = run_command(std::string(INTERSHAPE_BIN) + " eval --dataset /nonexistent --synthetic --mano " + kMano + " 2>&1");
  CHECK(r.status == 3);
  CHECK(r.output.find("/nonexistent/annotations/test") != std::string::npos);
}
