// Training from scratch (core/train/scratch_init.h) on stand-ins for
// InterNet's snapshot_19.pth.tar and torchvision's resnet50 weights
// (tests/train/scratch_files.h): every tensor of both files lands on its key,
// the 672 extra layer3 channels and the fresh layers have the reference's
// distributions and constants, the seed decides the draws, a step from there
// has finite losses; wrong files are refused naming the file and the keys, in
// the library and through `intershape train`.
#include "tests/torch_doctest.h"

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "core/formats/checkpoint.h"
#include "core/train/loss.h"
#include "core/train/model.h"
#include "core/train/scratch_init.h"
#include "core/train/trainer.h"
#include "mano/mano_model.h"
#include "tests/npy.h"
#include "tests/test_util.h"
#include "tests/train/scratch_files.h"

using namespace intershape;
namespace train = intershape::core::train;
namespace fs = std::filesystem;
using core::formats::Checkpoint;

namespace {

const std::string kData = INTERSHAPE_TEST_DATA;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("intershape_scratch_" + std::to_string(getpid()));
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

// The full-size stand-ins, written once per process (~290 MB).
const TempDir& files() {
  static const TempDir dir = [] {
    TempDir d;
    test::write_stand_in((d.path / "snapshot_19.pth.tar").string(), test::internet_layout(), true);
    test::write_stand_in((d.path / "resnet50.pth").string(), test::resnet50_layout(), false);
    return d;
  }();
  return dir;
}
std::string internet_path() { return (files().path / "snapshot_19.pth.tar").string(); }
std::string resnet_path() { return (files().path / "resnet50.pth").string(); }

train::TwoHandNet scratch_net(uint64_t seed) {
  train::TwoHandNet net(mano::load_mano_dir(kData + "/mano"));
  // Counters the files lack must come out 0 whatever the module held.
  for (auto& [key, t] : net->state_dict_entries())
    if (key.find("num_batches_tracked") != std::string::npos) t.fill_(9);
  auto internet = Checkpoint::open(internet_path());
  auto resnet = Checkpoint::open(resnet_path());
  train::init_from_scratch(*net, *internet, *resnet, seed);
  return net;
}

// N(0, std) over a large tensor: mean, standard deviation, extreme values.
void check_normal(const std::string& what, const torch::Tensor& t, double std) {
  INFO(what << " " << t.sizes());
  const double n = static_cast<double>(t.numel());
  REQUIRE(n > 10000);
  const double mean = t.mean().item<double>(), sd = t.std().item<double>();
  const double max_abs = t.abs().max().item<double>();
  CHECK(std::fabs(mean) < 5 * std / std::sqrt(n));
  CHECK(std::fabs(sd / std - 1) < 5 / std::sqrt(2 * n) + 1e-3);
  CHECK(max_abs < 7 * std);   // a normal, not a uniform of another width
  CHECK(max_abs > 3.5 * std);  // ... and not a narrower one
}

train::Targets batch_targets(int64_t rows) {
  auto npy = [&](const std::string& name) {
    test::NpyArray a = test::load_npy(kData + "/interhand_train/expected/batch/" + name + ".npy");
    std::vector<float> v = a.as_float();
    return torch::from_blob(v.data(), a.shape, torch::kFloat32).clone().slice(0, 0, rows);
  };
  train::Targets t;
  t.joint_coord = npy("target_joint_coord");
  t.hand_type = npy("target_hand_type");
  t.shape_param = npy("target_shape_param");
  t.joint_valid = npy("meta_joint_valid");
  t.mano_valid = npy("meta_mano_valid");
  return t;
}

}  // namespace

TEST_CASE("from scratch: both files on their keys, the reference's init elsewhere, a finite step") {
  train::TwoHandNet net = scratch_net(5);
  std::map<std::string, std::string> seen;  // key -> how it was checked
  torch::NoGradGuard no_grad;

  // Every tensor of the InterNet snapshot, on heatmap_predictor.<key>.
  const auto internet = test::internet_layout();
  for (size_t i = 0; i < internet.size(); ++i) {
    const std::string key = "heatmap_predictor." + internet[i].key;
    torch::Tensor t = net->find_state(key);
    REQUIRE_MESSAGE(t.defined(), key);
    if (internet[i].counter)
      CHECK_MESSAGE(t.item<int64_t>() == static_cast<int64_t>(i), key);
    else
      CHECK_MESSAGE(torch::equal(t, test::stand_in_tensor(i, internet[i].key, internet[i].shape)), key);
    seen[key] = "internet";
  }

  // torchvision's tensors on mesh_reg.base_net.<key>; the blocks' BatchNorms
  // and fc have no place there and must be ignored.
  const auto resnet = test::resnet50_layout();
  for (size_t i = 0; i < resnet.size(); ++i) {
    const std::string key = "mesh_reg.base_net." + resnet[i].key;
    torch::Tensor t = net->find_state(key);
    const torch::Tensor want = test::stand_in_tensor(i, resnet[i].key, resnet[i].shape);
    if (!t.defined()) {
      CHECK_MESSAGE((resnet[i].key.rfind("fc.", 0) == 0 ||
                     (resnet[i].key.find(".bn") != std::string::npos &&
                      resnet[i].key.rfind("bn1.", 0) != 0)),
                    key);
      continue;
    }
    seen[key] = "resnet50";
    if (key == train::kExtraChannelKeys[0] || key == train::kExtraChannelKeys[1]) {
      CHECK(t.size(1) == 512 + train::kExtraLayer3Channels);
      CHECK_MESSAGE(torch::equal(t.narrow(1, 0, 512), want), key);
      check_normal(key + " extra channels", t.narrow(1, 512, train::kExtraLayer3Channels), 0.01);
    } else {
      CHECK_MESSAGE(torch::equal(t, want), key);
    }
  }
  for (auto& [key, t] : net->state_dict_entries())
    if (key.rfind("mesh_reg.base_net.", 0) == 0 && key.find("num_batches_tracked") != key.npos) {
      CHECK_MESSAGE(t.item<int64_t>() == 0, key);  // absent from resnet50-19c8e357.pth
      seen[key] = "counter";
    }

  // The layers init_weights draws: Linear N(0, 0.01) with bias 0; the cascade's
  // feature extractors' convolutions N(0, 0.01), no bias.
  int linears = 0, convs = 0;
  for (const auto& item : net->mesh_reg()->named_modules("mesh_reg")) {
    const std::string& name = item.key();
    if (name.rfind("mesh_reg.base_net", 0) == 0) continue;
    if (auto* l = item.value()->as<torch::nn::Linear>()) {
      ++linears;
      if (l->weight.numel() > 10000) check_normal(name, l->weight, 0.01);
      CHECK_MESSAGE(l->bias.abs().max().item<float>() == 0.0f, name);
      seen[name + ".weight"] = seen[name + ".bias"] = "linear";
    } else if (auto* c = item.value()->as<torch::nn::Conv2d>()) {
      ++convs;
      check_normal(name, c->weight, 0.01);
      CHECK(!c->bias.defined());
      seen[name + ".weight"] = "conv";
    }
  }
  CHECK(linears == 2 * 6 + 2 * 3 * 6 + 2);  // branches, cascade branches, trans_branch
  CHECK(convs == 2 * 3 * 4);                // 2 hands x 3 stages x (conv1..3, downsample)
  // The small layers together (pose_reg, shape_reg, trans final_layer: too
  // few values each for the test above).
  std::vector<torch::Tensor> small;
  for (const auto& item : net->mesh_reg()->named_modules("mesh_reg"))
    if (auto* l = item.value()->as<torch::nn::Linear>())
      if (l->weight.numel() <= 10000) small.push_back(l->weight.flatten());
  check_normal("small linear layers", torch::cat(small), 0.01);

  // smplx's MANO parameters start at zero (transl included: the rule and the
  // released checkpoint have other values).
  for (const char* h : {"r", "l"})
    for (const char* p : {"betas", "global_orient", "body_pose", "hand_pose", "transl"}) {
      const std::string key = std::string("mesh_reg.mano_layer.") + h + "." + p;
      CHECK_MESSAGE(net->find_state(key).abs().max().item<float>() == 0.0f, key);
      seen[key] = "zero";
    }
  // Nothing else but the MANO model's buffers (from the MANO files).
  for (const auto& [key, t] : net->state_dict_entries())
    if (!seen.count(key)) CHECK_MESSAGE(key.rfind("mesh_reg.mano_layer.", 0) == 0, key);

  // The seed decides the draws, and only the draws.
  const torch::Tensor extra = net->find_state(train::kExtraChannelKeys[0]).clone();
  const torch::Tensor lin = net->find_state("mesh_reg.trans_branch.decoder.0.weight").clone();
  {
    train::TwoHandNet again = scratch_net(5);
    CHECK(torch::equal(again->find_state(train::kExtraChannelKeys[0]), extra));
    CHECK(torch::equal(again->find_state("mesh_reg.trans_branch.decoder.0.weight"), lin));
  }
  {
    train::TwoHandNet other = scratch_net(6);
    CHECK(!torch::equal(other->find_state(train::kExtraChannelKeys[0]), extra));
    CHECK(!torch::equal(other->find_state("mesh_reg.trans_branch.decoder.0.weight"), lin));
    CHECK(torch::equal(other->find_state("mesh_reg.base_net.conv1.weight"),
                       net->find_state("mesh_reg.base_net.conv1.weight")));
  }

  // One step from there, on the fixture's first two samples.
  at::set_num_threads(2);
  torch::Tensor img;
  {
    test::NpyArray a = test::load_npy(kData + "/interhand_train/expected/batch/img.npy");
    std::vector<float> v = a.as_float();
    img = torch::from_blob(v.data(), a.shape, torch::kFloat32).clone().slice(0, 0, 2);
  }
  const torch::Tensor before = lin.clone();
  train::Trainer trainer(net, 1e-4);
  train::StepResult r;
  {
    torch::AutoGradMode grad(true);
    r = trainer.step(img, batch_targets(2));
  }
  for (size_t i = 0; i < r.terms.size(); ++i)
    CHECK_MESSAGE(std::isfinite(r.terms[i]), train::kLossNames[i] << " " << r.terms[i]);
  CHECK(std::isfinite(r.total));
  CHECK(r.total > 0);
  const torch::Tensor after = net->find_state("mesh_reg.trans_branch.decoder.0.weight");
  CHECK(torch::isfinite(after).all().item<bool>());
  CHECK(!torch::equal(after, before));
}

namespace {

// A small file with the given float tensors (zeros), `snapshot` as above.
std::string small_file(const std::string& name, const std::vector<test::StandInTensor>& layout,
                       bool snapshot) {
  const std::string path = (files().path / name).string();
  test::write_stand_in(path, layout, snapshot);
  return path;
}

std::string scratch_error(const std::string& internet, const std::string& resnet) {
  train::TwoHandNet net(mano::load_mano_dir(kData + "/mano"));
  auto a = Checkpoint::open(internet);
  auto b = Checkpoint::open(resnet);
  try {
    train::init_from_scratch(*net, *a, *b, 0);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("from scratch: wrong, missing or swapped files are refused, naming the file and keys") {
  const std::string bad_internet = small_file(
      "bad_internet.pth.tar",
      {{"backbone_net.resnet.conv1.weight", {64, 3, 3, 3}}, {"foo.weight", {2}}}, true);
  std::string msg = scratch_error(bad_internet, resnet_path());
  INFO(msg);
  CHECK(msg.find(bad_internet) != std::string::npos);
  CHECK(msg.find("not an InterNet snapshot") != std::string::npos);
  CHECK(msg.find("backbone_net.resnet.conv1.weight: [64, 3, 3, 3], expected [64, 3, 7, 7]") !=
        std::string::npos);
  CHECK(msg.find("missing backbone_net.resnet.bn1.weight") != std::string::npos);
  CHECK(msg.find("more missing key(s)") != std::string::npos);
  CHECK(msg.find("unexpected foo.weight") != std::string::npos);

  // A whole two-hand checkpoint is not an InterNet snapshot: say what to do.
  const std::string two_hand = small_file(
      "two_hand.pth.tar", {{"heatmap_predictor.backbone_net.resnet.conv1.weight", {64, 3, 7, 7}}},
      true);
  msg = scratch_error(two_hand, resnet_path());
  CHECK(msg.find("--init") != std::string::npos);

  // The resnet file: a wrong extra-channel layout and missing keys.
  const std::string bad_resnet =
      small_file("bad_resnet.pth",
                 {{"conv1.weight", {64, 3, 7, 7}}, {"layer3.0.conv1.weight", {256, 511, 1, 1}}},
                 false);
  msg = scratch_error(internet_path(), bad_resnet);
  CHECK(msg.find(bad_resnet) != std::string::npos);
  CHECK(msg.find("not torchvision's resnet50") != std::string::npos);
  CHECK(msg.find("layer3.0.conv1.weight: [256, 511, 1, 1], expected [256, 512, 1, 1]") !=
        std::string::npos);
  CHECK(msg.find("missing bn1.weight") != std::string::npos);

  // The two files swapped.
  msg = scratch_error(resnet_path(), internet_path());
  CHECK(msg.find(resnet_path() + ": not an InterNet snapshot") != std::string::npos);
}

TEST_CASE("intershape train: --internet / --imagenet-resnet50 options and their errors") {
  const std::string bin = INTERSHAPE_BIN;
  const std::string mano = " --mano " + kData + "/mano";
  const std::string data = " --no-augment --dataset " + (files().path / "no_dataset").string() +
                           " --output " + (files().path / "out").string();
  auto run = [&](const std::string& args) { return test::run_command(bin + " train" + args + " 2>&1"); };

  auto r = run(data + mano + " --internet " + internet_path());  // half of the pair
  CHECK(r.status == 2);
  CHECK(r.output.find("--imagenet-resnet50") != std::string::npos);
  r = run(data + mano + " --init " + internet_path() + " --internet " + internet_path() +
          " --imagenet-resnet50 " + resnet_path());
  CHECK(r.status == 2);
  r = run(data + " --internet " + internet_path() + " --imagenet-resnet50 " + resnet_path());
  CHECK(r.status == 2);  // from scratch needs --mano
  CHECK(r.output.find("--mano") != std::string::npos);
  r = run(data + mano + " --synthetic --precision fp16");
  CHECK(r.status == 2);  // fp16 needs CUDA
  CHECK(r.output.find("CUDA") != std::string::npos);

  // Swapped files: exit 3 (model error), the file named, before any data is read.
  r = run(data + mano + " --internet " + resnet_path() + " --imagenet-resnet50 " +
          internet_path());
  INFO(r.output);
  CHECK(r.status == 3);
  CHECK(r.output.find(resnet_path() + ": not an InterNet snapshot") != std::string::npos);
  r = run(data + mano + " --internet /no/such/snapshot_19.pth.tar --imagenet-resnet50 " +
          resnet_path());
  CHECK(r.status == 3);
  CHECK(r.output.find("/no/such/snapshot_19.pth.tar") != std::string::npos);
}
