// Mixed precision (core/train/precision.h) on the CPU: the names and device
// checks, autocast regions (on, off inside NoAutocast, nested, restored), the
// loss scaler's GradScaler algorithm, and the trainer: a power-of-two loss
// scale leaves an fp32 step bit-identical; a bf16 autocast step runs, differs
// from fp32 (so autocast was on) and stays close to it. fp16 needs CUDA and is
// only checked to be refused here.
#include "tests/torch_doctest.h"

#include <cmath>
#include <limits>
#include <string>

#include "core/train/loss.h"
#include "core/train/model.h"
#include "core/train/precision.h"
#include "core/train/trainer.h"
#include "mano/mano_model.h"
#include "tests/npy.h"

using namespace intershape;
namespace train = intershape::core::train;

namespace {

const std::string kData = INTERSHAPE_TEST_DATA;
const torch::Device kCpu(torch::kCPU);

torch::Tensor batch_npy(const std::string& name, int64_t rows) {
  test::NpyArray a = test::load_npy(kData + "/interhand_train/expected/batch/" + name + ".npy");
  std::vector<float> v = a.as_float();
  return torch::from_blob(v.data(), a.shape, torch::kFloat32).clone().slice(0, 0, rows);
}

struct Batch {
  torch::Tensor img;
  train::Targets targets;
};
Batch fixture_batch(int64_t rows) {
  Batch b;
  b.img = batch_npy("img", rows);
  b.targets.joint_coord = batch_npy("target_joint_coord", rows);
  b.targets.hand_type = batch_npy("target_hand_type", rows);
  b.targets.shape_param = batch_npy("target_shape_param", rows);
  b.targets.joint_valid = batch_npy("meta_joint_valid", rows);
  b.targets.mano_valid = batch_npy("meta_mano_valid", rows);
  return b;
}

// One step from the rule weights; the mesh regressor's parameters after it.
struct StepOutcome {
  train::StepResult result;
  std::vector<torch::Tensor> params;
};
StepOutcome one_step(train::Precision p, std::optional<train::LossScaler> scaler) {
  train::TwoHandNet net(mano::load_mano_dir(kData + "/mano"));
  train::load_rule_weights(*net, "");
  train::Trainer trainer(net, 1e-4);
  trainer.set_precision(p);
  if (scaler) trainer.set_loss_scaler(scaler);
  const Batch b = fixture_batch(2);
  StepOutcome o;
  o.result = trainer.step(b.img, b.targets);
  for (const auto& t : net->mesh_reg()->parameters()) o.params.push_back(t.detach().clone());
  return o;
}

}  // namespace

TEST_CASE("precision names and where each can run") {
  CHECK(train::parse_precision("fp32") == train::Precision::kFp32);
  CHECK(train::parse_precision("bf16") == train::Precision::kBf16);
  CHECK(train::parse_precision("fp16") == train::Precision::kFp16);
  CHECK_THROWS_AS(train::parse_precision("fp8"), std::invalid_argument);
  CHECK(std::string(train::precision_name(train::Precision::kBf16)) == "bf16");
  CHECK_NOTHROW(train::check_precision(train::Precision::kBf16, kCpu));
  CHECK_NOTHROW(train::check_precision(train::Precision::kFp32, kCpu));
  try {
    train::check_precision(train::Precision::kFp16, kCpu);
    FAIL("fp16 on the CPU accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("CUDA") != std::string::npos);
  }
}

TEST_CASE("autocast regions: bf16 inside, float32 under NoAutocast, restored after") {
  torch::nn::Linear lin(8, 4);
  const torch::Tensor x = torch::randn({3, 8});
  CHECK((lin(x).scalar_type() == torch::kFloat));
  {
    train::AutocastRegion fp32(train::Precision::kFp32, kCpu);
    CHECK(!train::autocast_enabled(kCpu));
    CHECK((lin(x).scalar_type() == torch::kFloat));
  }
  {
    train::AutocastRegion outer(train::Precision::kBf16, kCpu);
    CHECK(train::autocast_enabled(kCpu));
    CHECK((lin(x).scalar_type() == torch::kBFloat16));
    {
      train::NoAutocast off;
      CHECK(!train::autocast_enabled(kCpu));
      CHECK((lin(x).scalar_type() == torch::kFloat));
    }
    CHECK((lin(x).scalar_type() == torch::kBFloat16));
    {
      train::AutocastRegion inner(train::Precision::kBf16, kCpu);
      CHECK((lin(x).scalar_type() == torch::kBFloat16));
    }
    CHECK(train::autocast_enabled(kCpu));  // the outer region is still open
  }
  CHECK(!train::autocast_enabled(kCpu));
  CHECK((lin(x).scalar_type() == torch::kFloat));
}

TEST_CASE("loss scaler: exact unscaling, overflow skips and backs off, growth after the interval") {
  torch::manual_seed(3);
  torch::nn::Sequential model(torch::nn::Linear(16, 32), torch::nn::ReLU(),
                              torch::nn::Linear(32, 4));
  const torch::Tensor x = torch::randn({5, 16});
  auto loss_of = [&] { return model->forward(x).pow(2).mean(); };
  std::vector<torch::Tensor> params = model->parameters();

  loss_of().backward();
  std::vector<torch::Tensor> plain;
  for (auto& p : params) {
    plain.push_back(p.grad().clone());
    p.mutable_grad().zero_();
  }
  train::LossScaler scaler(train::LossScaler::Options{1024.0, 2.0, 0.5, 3});
  scaler.scale(loss_of()).backward();
  CHECK(params[0].grad().abs().max().item<double>() > 100 * plain[0].abs().max().item<double>());
  CHECK(scaler.unscale(params));
  for (size_t i = 0; i < params.size(); ++i) CHECK(torch::equal(params[i].grad(), plain[i]));
  scaler.update(true);
  CHECK(scaler.scale_value() == 1024.0);
  CHECK(scaler.growth_tracker() == 1);

  // An overflow anywhere: reported, the scale halves, the count restarts.
  params[2].mutable_grad()[1] = std::numeric_limits<float>::infinity();
  CHECK(!scaler.unscale(params));
  scaler.update(false);
  CHECK(scaler.scale_value() == 512.0);
  CHECK(scaler.growth_tracker() == 0);
  params[2].mutable_grad().zero_();
  params[3].mutable_grad()[0] = std::numeric_limits<float>::quiet_NaN();
  CHECK(!scaler.unscale(params));
  params[3].mutable_grad().zero_();

  // growth_interval clean steps double it.
  for (int i = 0; i < 3; ++i) scaler.update(true);
  CHECK(scaler.scale_value() == 1024.0);
  CHECK(scaler.growth_tracker() == 0);
  CHECK_THROWS_AS(scaler.set_state(0, 0), std::invalid_argument);
  scaler.set_state(256, 2);
  scaler.update(true);
  CHECK(scaler.scale_value() == 512.0);

  // GradScaler's defaults.
  train::LossScaler defaults;
  CHECK(defaults.scale_value() == 65536.0);
  CHECK(defaults.options().growth_interval == 2000);
}

TEST_CASE("training step: loss scaling is exact in fp32, bf16 autocast runs close to fp32") {
  at::set_num_threads(2);
  const StepOutcome fp32 = one_step(train::Precision::kFp32, std::nullopt);
  CHECK(fp32.result.stepped);
  CHECK(fp32.result.loss_scale == 1.0);
  {
    const StepOutcome scaled =
        one_step(train::Precision::kFp32, train::LossScaler(train::LossScaler::Options{4096.0}));
    CHECK(scaled.result.loss_scale == 4096.0);
    CHECK(scaled.result.stepped);
    CHECK(scaled.result.total == fp32.result.total);
    size_t same = 0;
    for (size_t i = 0; i < fp32.params.size(); ++i)
      same += torch::equal(fp32.params[i], scaled.params[i]) ? 1 : 0;
    CHECK(same == fp32.params.size());
  }
  const StepOutcome bf16 = one_step(train::Precision::kBf16, std::nullopt);
  CHECK((bf16.result.outputs.joints3d.scalar_type() == torch::kFloat));
  CHECK((bf16.result.outputs.trans.scalar_type() == torch::kFloat));
  for (size_t i = 0; i < 6; ++i) {
    INFO(train::kLossNames[i] << ": bf16 " << bf16.result.terms[i] << ", fp32 "
                              << fp32.result.terms[i]);
    CHECK(std::isfinite(bf16.result.terms[i]));
  }
  MESSAGE("total loss after one step: bf16 " << bf16.result.total << ", fp32 "
                                             << fp32.result.total);
  CHECK(bf16.result.total != fp32.result.total);  // autocast did run in bf16
  CHECK(std::fabs(bf16.result.total / fp32.result.total - 1) < 0.25);
  for (const auto& p : bf16.params) CHECK((p.scalar_type() == torch::kFloat));
}
