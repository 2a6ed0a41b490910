// The network loaded from a real torch.save file, written at test time by
// scripts/make_checkpoint.py (CTest fixture, into the build folder): the
// released checkpoint's structure ({'epoch', 'network' with 'module.' keys,
// 'optimizer'}), the WEIGHTS.md rule re-implemented in numpy, MANO buffers
// computed in Python from the pkl files. Its outputs must equal those of the
// in-memory synthetic fill. Also the file errors a user can meet.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/net/network.h"
#include "tests/net/parity_input.h"

using namespace intershape;

namespace {

const std::string kData = INTERSHAPE_TEST_DATA;
const std::string kDir = INTERSHAPE_NET_CHECKPOINT_DIR;
const std::string kCheckpoint = kDir + "/synthetic.pth";
const std::string kOther = kDir + "/other_architecture.pth";

using core::net::TwoHandNetwork;

core::net::EstimateOptions all_details() {
  core::net::EstimateOptions o;
  o.stage_details = true;
  o.attention_details = true;
  return o;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// Exact comparison of everything the network outputs for one input.
void check_equal(const core::net::NetworkOutput& a, const core::net::NetworkOutput& b) {
  for (int h = 0; h < 2; ++h) {
    CHECK(a.hands[h].joints3d == b.hands[h].joints3d);
    CHECK(a.hands[h].verts3d == b.hands[h].verts3d);
    CHECK(a.hands[h].params.pose == b.hands[h].params.pose);
    CHECK(a.hands[h].params.shape == b.hands[h].params.shape);
    CHECK(a.hands[h].presence == b.hands[h].presence);
  }
  CHECK(a.trans == b.trans);
  CHECK(a.xyc == b.xyc);
  CHECK(a.attention == b.attention);
  REQUIRE(a.stages.size() == b.stages.size());
  for (size_t s = 0; s < a.stages.size(); ++s)
    for (int h = 0; h < 2; ++h) {
      CHECK(a.stages[s].params[h].pose == b.stages[s].params[h].pose);
      CHECK(a.stages[s].verts3d[h] == b.stages[s].verts3d[h]);
    }
  REQUIRE(a.attention_detail);
  REQUIRE(b.attention_detail);
  CHECK(a.attention_detail->stage_maps == b.attention_detail->stage_maps);
}

struct Results {
  core::net::NetworkOutput from_file, from_file_with_pkl, synthetic;
  std::array<std::vector<int32_t>, 2> faces_file, faces_synthetic;
};

// Each model is loaded once and dropped before the next (the file's first:
// the load's memory peak is measured in a fresh process).
Results& results() {
  static Results r = [] {
    Results r;
    const core::net::RgbView input = test::view_of(test::parity_image());
    {
      const double before = peak_rss_mb();
      core::net::NetworkConfig c;
      c.checkpoint = kCheckpoint;
      c.device = "cpu";
      auto net = TwoHandNetwork::create(c);
      const double growth = peak_rss_mb() - before;
      // The network is 141 M float32 values (565 MB); reading each tensor
      // straight into its destination keeps the peak well under model + 1 GB.
      MESSAGE("peak RSS growth while loading the checkpoint: " << growth << " MB");
      CHECK(growth < 565 + 1024);
      CHECK(net->describe().find(kCheckpoint) != std::string::npos);
      r.from_file = net->estimate(input, all_details());
      r.faces_file = net->faces();
    }
    {
      core::net::NetworkConfig c;
      c.checkpoint = kCheckpoint;
      c.mano_dir = kData + "/mano";
      c.device = "cpu";
      r.from_file_with_pkl = TwoHandNetwork::create(c)->estimate(input, all_details());
    }
    {
      core::net::NetworkConfig c;
      c.synthetic = true;
      c.mano_dir = kData + "/mano";
      c.device = "cpu";
      auto net = TwoHandNetwork::create(c);
      r.synthetic = net->estimate(input, all_details());
      r.faces_synthetic = net->faces();
    }
    return r;
  }();
  return r;
}

void expect_model_error(const core::net::NetworkConfig& c, const std::vector<std::string>& parts) {
  try {
    TwoHandNetwork::create(c);
    FAIL("no ModelError for " << c.checkpoint);
  } catch (const core::net::ModelError& e) {
    const std::string what = e.what();
    for (const std::string& p : parts) {
      INFO(what);
      CHECK(what.find(p) != std::string::npos);
    }
  }
}

}  // namespace

TEST_CASE("a torch.save checkpoint loads and gives exactly the synthetic fill's outputs") {
  Results& r = results();
  check_equal(r.from_file, r.synthetic);
  CHECK(r.faces_file == r.faces_synthetic);
}

TEST_CASE("MANO from the pkl files instead of the checkpoint's buffers gives the same outputs") {
  Results& r = results();
  check_equal(r.from_file_with_pkl, r.from_file);
}

TEST_CASE("a missing checkpoint is a ModelError naming the file") {
  core::net::NetworkConfig c;
  c.checkpoint = kDir + "/no_such_snapshot.pth";
  c.device = "cpu";
  expect_model_error(c, {c.checkpoint, "not found"});
}

TEST_CASE("a truncated checkpoint is a ModelError naming the file") {
  const std::string truncated = kDir + "/truncated.pth";
  {
    std::ifstream in(kCheckpoint, std::ios::binary);
    REQUIRE(in.good());
    std::vector<char> head(4 << 20);
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream out(truncated, std::ios::binary | std::ios::trunc);
    out.write(head.data(), in.gcount());
  }
  core::net::NetworkConfig c;
  c.checkpoint = truncated;
  c.device = "cpu";
  expect_model_error(c, {truncated});
  std::filesystem::remove(truncated);
}

TEST_CASE("a file that is not a checkpoint at all is a ModelError naming the file") {
  core::net::NetworkConfig c;
  c.checkpoint = kData + "/parity/input.png";
  c.device = "cpu";
  expect_model_error(c, {c.checkpoint});
}

TEST_CASE("a checkpoint of another architecture lists what is missing and unexpected") {
  core::net::NetworkConfig c;
  c.checkpoint = kOther;
  c.device = "cpu";
  expect_model_error(c, {kOther, "not the two-hand network", "missing",
                         "mesh_reg.base_net.conv1.weight [64, 3, 7, 7]", "... and 466 more",
                         "unexpected", "backbone.conv1.weight [16, 3, 3, 3]"});
}
