// `intershape train` run as a user would, on the fixture's train split
// (tests/data/interhand, copied to a temporary folder because the joints cache
// is written next to the annotations): the parity protocol
// (--no-augment --no-shuffle --batch 4 --max-steps 1, the rule weights) must
// log the reference's six losses for the first batch (1e-5 relative), which
// checks the dataset side (list, crops, ground truth, masks) end to end; the
// checkpoint written when the run stops must load in our reader, and
// fine-tuning from it (--init) must run.
#include <doctest/doctest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/formats/checkpoint.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using intershape::test::run_command;

namespace {

const std::string kData = INTERSHAPE_TEST_DATA;

nlohmann::json first_log_line(const fs::path& dir) {
  std::ifstream in(dir / "train_log.jsonl");
  std::string line;
  REQUIRE(std::getline(in, line));
  return nlohmann::json::parse(line);
}

}  // namespace

TEST_CASE("intershape train: the fixture's first batch, a checkpoint, fine-tuning from it") {
  const fs::path tmp =
      fs::temp_directory_path() / ("intershape_train_cli_" + std::to_string(getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  fs::copy(kData + "/interhand/InterHand2.6M_5fps_batch1", tmp / "dataset",
           fs::copy_options::recursive);
  const std::string bin = INTERSHAPE_BIN;
  const std::string common = " --dataset " + (tmp / "dataset").string() + " --mano " + kData +
                             "/mano --no-augment --no-shuffle --batch 4 --max-steps 1 --threads 2";

  const fs::path out1 = tmp / "run1";
  auto r =
      run_command(bin + " train --synthetic" + common + " --output " + out1.string() + " 2>&1");
  INFO(r.output);
  REQUIRE(r.status == 0);

  std::ifstream meta_in(kData + "/interhand_train/meta.json");
  const nlohmann::json meta = nlohmann::json::parse(meta_in);
  const nlohmann::json log = first_log_line(out1);
  CHECK(log["epoch"] == 0);
  CHECK(log["step"] == 0);
  CHECK(log["lr"].get<double>() == 1e-4);
  for (const auto& [name, want] : meta["losses"].items()) {
    const double got = log[name].get<double>();
    CHECK_MESSAGE(std::fabs(got - want.get<double>()) <= 1e-5 * std::fabs(want.get<double>()),
                  name << ": " << got << " vs " << want);
  }
  CHECK(std::fabs(log["total"].get<double>() - meta["loss_total"].get<double>()) <=
        1e-5 * meta["loss_total"].get<double>());

  const fs::path snapshot = out1 / "snapshot_0.pth.tar";
  REQUIRE(fs::exists(snapshot));
  auto ck = intershape::core::formats::Checkpoint::open(snapshot.string());
  CHECK(ck->tensors().size() == 602);
  ck.reset();

  // Fine-tuning from the checkpoint (MANO from its buffers): one more step on
  // the same batch, which Adam's first step has made cheaper.
  const fs::path out2 = tmp / "run2";
  r = run_command(bin + " train --init " + snapshot.string() + " --dataset " +
                  (tmp / "dataset").string() +
                  " --no-augment --no-shuffle --batch 4 --max-steps 1 --threads 2 --output " +
                  out2.string() + " 2>&1");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(first_log_line(out2)["total"].get<double>() < log["total"].get<double>());

  // Usage errors are named.
  r = run_command(bin + " train --synthetic --mano " + kData + "/mano --dataset " +
                  (tmp / "dataset").string() + " --workers=-1 --output " +
                  (tmp / "run3").string() + " 2>&1");
  CHECK(r.status == 2);
  CHECK(r.output.find("--workers") != std::string::npos);
  fs::remove_all(tmp);
}
