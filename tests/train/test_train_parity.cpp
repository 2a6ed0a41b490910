// One training step against the reference (tests/data/interhand_train, a copy
// of ../shared/fixtures/interhand/train): rule weights (empty salt), the
// synthetic MANO of tests/data/mano, the fixture's batch of 4, train-mode
// BatchNorm everywhere, Adam at lr 1e-4 over the mesh regressor; then a fresh
// model, two steps at lr 1e-5 (the schedule's value at epoch 45).
//
// Tolerances are the fixture README's, derived from the reference's own
// 1-thread vs 2-thread spread: losses 1e-5 relative; gradients 5e-2 (early
// layers, heatmap network), 2e-2 (transl) and 1e-3 (heads) of the tensor's
// max-abs gradient; after the step 1e-7 where |g_ref| >= 1e-2 max|g_ref|, and
// within 2 lr elsewhere (Adam's first step moves each element by lr*sign(g):
// an element whose gradient is near 0 may move the other way). The two-step
// variant inherits those flipped elements: its second-step losses are held
// to 1e-4 relative and its parameters to 2 lr per step (all but 2% within
// 0.1 lr). Measured here: step-1 losses within 3e-6, joints 1e-3 mm,
// gradients <= 6e-3 of max-abs (early layers), <= 6e-5 (heads).
#include "tests/torch_doctest.h"

#include <cmath>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/train/loss.h"
#include "core/train/model.h"
#include "core/train/schedule.h"
#include "core/train/trainer.h"
#include "mano/mano_model.h"
#include "tests/npy.h"

using namespace intershape;
namespace train = intershape::core::train;

namespace {

const std::string kData = std::string(INTERSHAPE_TEST_DATA) + "/interhand_train";

torch::Tensor npy(const std::string& rel) {
  test::NpyArray a = test::load_npy(kData + "/expected/" + rel + ".npy");
  std::vector<float> v = a.as_float();
  return torch::from_blob(v.data(), a.shape, torch::kFloat32).clone();
}

std::string file_name(const std::string& key) {
  std::string s;
  for (char c : key) s += c == '.' ? std::string("__") : std::string(1, c);
  return s;
}

const nlohmann::json& meta() {
  static const nlohmann::json m = [] {
    std::ifstream in(kData + "/meta.json");
    return nlohmann::json::parse(in);
  }();
  return m;
}

train::Targets batch_targets() {
  train::Targets t;
  t.joint_coord = npy("batch/target_joint_coord");
  t.hand_type = npy("batch/target_hand_type");
  t.shape_param = npy("batch/target_shape_param");
  t.joint_valid = npy("batch/meta_joint_valid");
  t.mano_valid = npy("batch/meta_mano_valid");
  return t;
}

// Rows saved by the fixture: all, or [first, last) of dim 0.
torch::Tensor saved_rows(const torch::Tensor& full, const nlohmann::json& rows) {
  if (rows.is_null()) return full;
  return full.slice(0, rows[0].get<int64_t>(), rows[1].get<int64_t>());
}

double max_abs(const torch::Tensor& t) { return t.abs().max().item<double>(); }

double grad_tolerance(const std::string& key) {
  if (key.find("transl") != std::string::npos) return 2e-2;
  if (key.find("heatmap_predictor") != std::string::npos ||
      key.find("base_net") != std::string::npos ||
      key.find("feature_extractor") != std::string::npos)
    return 5e-2;
  return 1e-3;
}

// After-step check: 1e-7 where the reference gradient is not small, 2 lr + 1e-7 elsewhere.
void check_after(const std::string& key, const torch::Tensor& got, const torch::Tensor& want,
                 const torch::Tensor& grad_ref, double lr) {
  torch::Tensor diff = (got - want).abs();
  if (!grad_ref.defined()) {
    CHECK_MESSAGE(diff.max().item<double>() <= 1e-7, key);
    return;
  }
  torch::Tensor big = grad_ref.abs() >= 1e-2 * max_abs(grad_ref);
  const double big_err = torch::where(big, diff, torch::zeros_like(diff)).max().item<double>();
  const double small_err = torch::where(big, torch::zeros_like(diff), diff).max().item<double>();
  INFO(key << ": err (large grad) " << big_err << ", err (small grad) " << small_err);
  CHECK(big_err <= 1e-7 + 1e-7 * max_abs(want));
  CHECK(small_err <= 2 * lr + 1e-7);
}

struct Shared {
  std::unique_ptr<train::Trainer> trainer;
  std::map<std::string, torch::Tensor> before;  // tracked values before the step
  std::map<std::string, torch::Tensor> bn_before;
  train::StepResult step;
};

train::TwoHandNet make_net() {
  mano::ManoPair pair = mano::load_mano_dir(std::string(INTERSHAPE_TEST_DATA) + "/mano");
  train::TwoHandNet net(pair);
  train::load_rule_weights(*net, "");
  net->set_internet_gradients(true);
  net->train(true);
  return net;
}

const char* kBnLayers[] = {"heatmap_predictor.backbone_net.resnet.bn1",
                           "heatmap_predictor.pose_net.joint_deconv_1.1", "mesh_reg.base_net.bn1"};

Shared& shared() {
  static Shared s = [] {
    at::set_num_threads(2);
    Shared s;
    s.trainer = std::make_unique<train::Trainer>(make_net(), 1e-4);
    for (const auto& p : meta()["params"]) {
      const std::string key = p["name"];
      s.before[key] = s.trainer->net()->find_state(key).detach().clone();
    }
    for (const char* layer : kBnLayers)
      for (const char* stat : {"running_mean", "running_var"})
        s.bn_before[std::string(layer) + "." + stat] =
            s.trainer->net()->find_state(std::string(layer) + "." + stat).clone();
    s.step = s.trainer->step(npy("batch/img"), batch_targets());
    return s;
  }();
  return s;
}

}  // namespace

TEST_CASE("lr schedule: the reference's set_lr at the recorded epochs") {
  for (const auto& [epoch, lr] : meta()["lr_schedule"]["set_lr"].items()) {
    const double got = train::lr_at_epoch(std::stoi(epoch), 1e-4, {45, 47});
    CHECK_MESSAGE(got == doctest::Approx(lr.get<double>()).epsilon(1e-12), "epoch " << epoch);
  }
  CHECK(train::lr_at_epoch(45, 1e-4, {45, 47}) == 1e-4 / 10);  // the same double as Python's
}

TEST_CASE("state dict: the module holds exactly the released checkpoint's 602 entries") {
  Shared& s = shared();
  auto entries = s.trainer->net()->state_dict_entries();
  CHECK(entries.size() == 602);
  CHECK(s.trainer->net()->mesh_reg()->parameters().size() == 197);  // the reference's Adam list
}

TEST_CASE("weights before the step are the fixture's") {
  Shared& s = shared();
  for (const auto& p : meta()["params"]) {
    const std::string key = p["name"];
    torch::Tensor want = npy("before/" + file_name(key));
    CHECK_MESSAGE(torch::equal(saved_rows(s.before[key], p["rows"]), want), key);
  }
}

TEST_CASE("one step: the six losses within 1e-5 relative") {
  Shared& s = shared();
  const auto& losses = meta()["losses"];
  for (size_t i = 0; i < 6; ++i) {
    const double want = losses[train::kLossNames[i]].get<double>();
    INFO(train::kLossNames[i] << ": got " << s.step.terms[i] << ", want " << want);
    CHECK(std::fabs(s.step.terms[i] - want) <= 1e-5 * std::fabs(want));
  }
  CHECK(std::fabs(s.step.total - meta()["loss_total"].get<double>()) <=
        1e-5 * meta()["loss_total"].get<double>());
}

TEST_CASE("one step: the outputs fed to the loss") {
  Shared& s = shared();
  const train::TrainOutputs& o = s.step.outputs;
  struct Item {
    const char* name;
    torch::Tensor got;
    double tol;
  };
  // mm for joints (values ~100), unitless for the rest.
  for (const Item& it :
       {Item{"joints3d", o.joints3d, 1e-2}, Item{"T_pose", o.t_pose, 1e-3},
        Item{"pose", o.pose, 1e-4}, Item{"shape", o.shape, 1e-4}, Item{"trans", o.trans, 1e-5}}) {
    torch::Tensor want = npy(std::string("outputs/") + it.name);
    REQUIRE(want.sizes() == it.got.sizes());
    const double err = (it.got - want).abs().max().item<double>();
    INFO(it.name << ": max abs error " << err << " (values up to " << max_abs(want) << ")");
    CHECK(err <= it.tol);
  }
}

TEST_CASE("one step: which parameters get a gradient, and its L2 norm, for every parameter") {
  Shared& s = shared();
  std::ifstream in(kData + "/grad_norms.json");
  const nlohmann::json norms = nlohmann::json::parse(in);
  std::map<std::string, torch::Tensor> params;
  for (const auto& p : s.trainer->net()->named_parameters(true)) params[p.key()] = p.value();
  CHECK(norms.size() == params.size());
  int checked = 0;
  for (const auto& [key, value] : norms.items()) {
    REQUIRE_MESSAGE(params.count(key), key);
    const torch::Tensor& g = params[key].grad();
    if (value.is_null()) {
      // No gradient in the reference: none here, or an all-zero one.
      CHECK_MESSAGE((!g.defined() || max_abs(g) == 0), key);
      continue;
    }
    REQUIRE_MESSAGE(g.defined(), key << " has no gradient");
    const double l2 = g.to(torch::kDouble).norm().item<double>();
    const double want = value[0].get<double>();
    CHECK_MESSAGE(std::fabs(l2 - want) <= grad_tolerance(key) * want + 1e-12,
                  key << ": |grad| " << l2 << ", reference " << want);
    ++checked;
  }
  CHECK(checked > 300);
}

TEST_CASE("one step: tracked gradients and parameters after Adam") {
  Shared& s = shared();
  for (const auto& p : meta()["params"]) {
    const std::string key = p["name"];
    const torch::Tensor param = s.trainer->net()->find_state(key);
    torch::Tensor grad_ref;
    if (p["has_grad"].get<bool>()) {
      grad_ref = npy("grad/" + file_name(key));
      REQUIRE_MESSAGE(param.grad().defined(), key);
      torch::Tensor g = saved_rows(param.grad(), p["rows"]);
      const double scale = p["grad_absmax_full"].get<double>();
      const double err = (g - grad_ref).abs().max().item<double>();
      INFO(key << ": gradient error " << err / scale << " of max-abs " << scale);
      CHECK(err <= grad_tolerance(key) * scale);
    }
    torch::Tensor after = saved_rows(param.detach(), p["rows"]);
    torch::Tensor want = npy("after/" + file_name(key));
    if (!p["in_optimizer"].get<bool>() || !p["has_grad"].get<bool>()) {
      CHECK_MESSAGE(torch::equal(after, want), key << " must not move");
    } else {
      check_after(key, after, want, grad_ref, 1e-4);
    }
  }
}

TEST_CASE("one step: BatchNorm running statistics, heatmap network included") {
  Shared& s = shared();
  for (const char* layer : kBnLayers) {
    for (const char* stat : {"running_mean", "running_var"}) {
      const std::string key = std::string(layer) + "." + stat;
      CHECK_MESSAGE(torch::equal(s.bn_before[key], npy("bn/" + file_name(key) + "__before")), key);
      torch::Tensor want = npy("bn/" + file_name(key) + "__after");
      const double err = (s.trainer->net()->find_state(key) - want).abs().max().item<double>();
      CHECK_MESSAGE(err <= 1e-5 * (1 + max_abs(want)), key << ": error " << err);
    }
    CHECK(
        s.trainer->net()->find_state(std::string(layer) + ".num_batches_tracked").item<int64_t>() ==
        1);
  }
}

TEST_CASE("two steps at lr 1e-5 (epoch 45): losses, parameters and BN statistics") {
  Shared& s = shared();
  // A fresh model: the same rule weights again, a new optimiser.
  train::load_rule_weights(*s.trainer->net(), "");
  const double lr = train::lr_at_epoch(45, 1e-4, {45, 47});
  train::Trainer trainer(s.trainer->net(), lr);
  const torch::Tensor img = npy("batch/img");
  const train::Targets targets = batch_targets();
  const auto& variant = meta()["lr_schedule"]["variant_epoch45_two_steps"];
  CHECK(lr == doctest::Approx(variant["lr"].get<double>()).epsilon(1e-12));
  torch::Tensor grad1;
  for (int step = 0; step < 2; ++step) {
    train::StepResult r = trainer.step(img, targets);
    const auto& want = variant["steps"][step];
    for (size_t i = 0; i < 6; ++i) {
      // Step 1: 1e-5 relative. Step 2 starts from parameters that may differ
      // by 2 lr in elements whose step-1 gradient is near 0 (allowed above,
      // and seen in the reference itself between thread counts): 1e-4.
      const double w = want["losses"][train::kLossNames[i]].get<double>();
      const double tol = step == 0 ? 1e-5 : 1e-4;
      CHECK_MESSAGE(
          std::fabs(r.terms[i] - w) <= tol * std::fabs(w),
          "step " << step << " " << train::kLossNames[i] << ": " << r.terms[i] << " vs " << w);
    }
  }
  for (const auto& p : meta()["params"]) {
    const std::string key = p["name"];
    torch::Tensor after = saved_rows(s.trainer->net()->find_state(key).detach(), p["rows"]);
    torch::Tensor want = npy("lr_schedule/after2_" + file_name(key));
    if (!p["in_optimizer"].get<bool>() || !p["has_grad"].get<bool>()) {
      CHECK_MESSAGE(torch::equal(after, want), key);
    } else {
      // Two Adam steps: each moves an element by about lr, in the direction
      // of m / sqrt(v). Where the two steps' gradients nearly cancel, that
      // direction is as fragile as a near-zero gradient at step 1 (the
      // 1- vs 2-thread spread), so: every element within 2 lr per step, and
      // all but 2% within 0.1 lr.
      torch::Tensor diff = (after - want).abs();
      const double worst = diff.max().item<double>();
      const double share = (diff > 0.1 * lr).to(torch::kDouble).mean().item<double>();
      INFO(key << ": max error " << worst / lr << " lr, share above 0.1 lr " << share);
      CHECK(worst <= 4 * lr + 1e-7);
      if (after.numel() >= 100) CHECK(share <= 0.02);  // transl has 3 elements
    }
  }
  for (const char* layer : kBnLayers) {
    for (const char* stat : {"running_mean", "running_var"}) {
      const std::string key = std::string(layer) + "." + stat;
      torch::Tensor want = npy("lr_schedule/bn_after2_" + file_name(key));
      const double err = (s.trainer->net()->find_state(key) - want).abs().max().item<double>();
      CHECK_MESSAGE(err <= 1e-5 * (1 + max_abs(want)), key << ": error " << err);
    }
  }
}

TEST_CASE(
    "--freeze-internet-bn: the heatmap network's BatchNorms in eval mode, the rest training") {
  mano::ManoPair pair = mano::load_mano_dir(std::string(INTERSHAPE_TEST_DATA) + "/mano");
  train::TwoHandNet net(pair);
  auto bn_modes = [&](const std::shared_ptr<torch::nn::Module>& root) {
    int training = 0, frozen = 0;
    for (const auto& m : root->modules())
      if (m->as<torch::nn::BatchNorm2d>()) (m->is_training() ? training : frozen)++;
    return std::pair<int, int>(training, frozen);
  };
  net->train(true);
  CHECK(bn_modes(net->heatmap_predictor()) == std::pair<int, int>(59, 0));
  net->set_freeze_internet_bn(true);
  train::Trainer trainer(net, 1e-4);  // puts the model in train mode
  CHECK(bn_modes(net->heatmap_predictor()) == std::pair<int, int>(0, 59));
  CHECK(bn_modes(net->mesh_reg()) == std::pair<int, int>(5, 0));  // stem + 4 downsample BNs
  CHECK(net->mesh_reg()->is_training());
}
