// Data-parallel training (core/train/distributed.h) with the product binary:
// two `intershape train` processes on CPU, Gloo over loopback, launched with
// torchrun's variables, on the fixture's train split with the rule weights.
//
// 2 ranks x batch 2 against 1 process x batch 4 "given the same BatchNorm
// semantics": the ranks normalise with their own batch statistics (as DDP and
// the reference's DataParallel do), so the single-process reference computed
// here runs the same two sub-batches of 2 (rank 0's samples 0 and 2, rank 1's
// 1 and 3: the sampler's round-robin deal) through one model, accumulates the
// two gradients and halves them (every loss term is a per-sample mean, so
// this is the per-sample mean over the 4), then takes one Adam step. Checked
// from rank 0's checkpoint: Adam's first moments (0.1 x the averaged
// gradient; Adam's step alone is blind to a gradient's scale), the parameters
// after the step, the BatchNorm running statistics (rank 0's own sub-batch),
// and the logged global loss. The same comparisons against a rank-local step
// (no all-reduce) must fail, which shows they can.
//
// Then failures: a rank killed mid-training (before its first gradient
// exchange) and a rank that stops answering must make the other exit
// non-zero with "lost contact with the job" within the timeout, not hang;
// and a wrong launch environment is a usage error (exit 2).
#include "tests/torch_doctest.h"

#include <unistd.h>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/formats/checkpoint.h"
#include "core/train/dataset.h"
#include "core/train/distributed.h"
#include "core/train/loss.h"
#include "core/train/model.h"
#include "core/train/sampler.h"
#include "core/train/trainer.h"
#include "mano/mano_model.h"
#include "tests/npy.h"
#include "tests/test_util.h"
#include "tests/train/rank_process.h"

using namespace intershape;
namespace tr = intershape::core::train;
namespace fs = std::filesystem;

namespace {

const std::string kData = INTERSHAPE_TEST_DATA;
constexpr double kLr = 1e-4;

std::vector<std::string> train_argv(const std::string& dataset, const std::string& out, int batch,
                                    double timeout_s) {
  std::vector<std::string> a = {INTERSHAPE_BIN,
                                "train",
                                "--synthetic",
                                "--mano",
                                kData + "/mano",
                                "--dataset",
                                dataset,
                                "--output",
                                out,
                                "--no-augment",
                                "--no-shuffle",
                                "--max-steps",
                                "1",
                                "--threads",
                                "1",
                                "--batch",
                                std::to_string(batch),
                                "--dist-timeout",
                                std::to_string(timeout_s)};
  return a;
}

std::vector<std::string> rank_env(int rank, int world, int port) {
  return {"RANK=" + std::to_string(rank),        "WORLD_SIZE=" + std::to_string(world),
          "LOCAL_RANK=" + std::to_string(rank),  "MASTER_ADDR=127.0.0.1",
          "MASTER_PORT=" + std::to_string(port), "GLOO_SOCKET_IFNAME=lo"};
}

torch::Tensor read_tensor(const core::formats::Checkpoint& ck, const std::string& key) {
  const core::formats::TensorInfo* info = ck.find(key);
  REQUIRE_MESSAGE(info != nullptr, key);
  torch::Tensor t = torch::empty(
      info->shape, info->dtype == core::formats::DType::kInt64 ? torch::kInt64 : torch::kFloat32);
  ck.read_into(*info, t.data_ptr(), t.nbytes());
  return t;
}

// The fixture's examples `idx` (file order) as a batch on the CPU.
std::pair<torch::Tensor, tr::Targets> batch_of(const tr::TrainDataset& data,
                                               const std::vector<size_t>& idx) {
  std::vector<torch::Tensor> img, jc, ht, sp, jv, mv;
  for (size_t i : idx) {
    tr::TrainExample e = data.get(i);
    img.push_back(torch::from_blob(e.img.data(), {3, 256, 256}).clone());
    jc.push_back(torch::from_blob(e.joint_coord.data(), {42, 3}).clone());
    ht.push_back(torch::from_blob(e.hand_type.data(), {2}).clone());
    sp.push_back(torch::from_blob(e.shape_param.data(), {20}).clone());
    jv.push_back(torch::from_blob(e.joint_valid.data(), {42}).clone());
    mv.push_back(torch::from_blob(e.mano_valid.data(), {2}).clone());
  }
  tr::Targets t{torch::stack(jc), torch::stack(ht), torch::stack(sp), torch::stack(jv),
                torch::stack(mv)};
  return {torch::stack(img), t};
}

bool is_bn_statistic(const std::string& key) {
  return key.find("running_mean") != std::string::npos ||
         key.find("running_var") != std::string::npos ||
         key.find("num_batches_tracked") != std::string::npos;
}

// The single-process reference of a 2-rank step, and what a rank-local step
// (rank 0 alone, no all-reduce) would give.
struct Reference {
  std::vector<torch::Tensor> grad_mean, grad_rank0;   // per optimised parameter
  std::vector<std::string> param_keys;                // their state-dict keys
  std::map<std::string, torch::Tensor> params_after;  // after the Adam step
  std::map<std::string, torch::Tensor> bn_rank0;      // after rank 0's forward only
  std::map<std::string, torch::Tensor> bn_both;       // after both sub-batches
  double loss_mean = 0;
};

Reference compute_reference(const std::string& dataset, const std::string& scratch) {
  at::set_num_threads(1);
  mano::ManoPair pair = mano::load_mano_dir(kData + "/mano");
  tr::TwoHandNet net(pair);
  tr::load_rule_weights(*net, "");
  net->to_device(torch::kCPU);
  net->train(true);
  std::ostringstream log;
  tr::TrainDataset data(dataset, pair, scratch, log);
  const std::vector<size_t> order = tr::epoch_order(data.size(), 0, 0, false);

  Reference ref;
  std::map<const void*, std::string> key_of;
  for (auto& [key, t] : net->state_dict_entries()) key_of[t.unsafeGetTensorImpl()] = key;
  std::vector<torch::Tensor> params = net->mesh_reg()->parameters();
  for (const torch::Tensor& p : params)
    ref.param_keys.push_back(key_of.at(p.unsafeGetTensorImpl()));

  auto snapshot_bn = [&net] {
    std::map<std::string, torch::Tensor> m;
    for (auto& [key, t] : net->state_dict_entries())
      if (is_bn_statistic(key)) m[key] = t.detach().clone();
    return m;
  };
  for (int r = 0; r < 2; ++r) {
    auto [img, targets] = batch_of(data, tr::rank_batch(order, 0, tr::ShardSpec{r, 2, 2}));
    torch::Tensor loss = tr::compute_loss(net->forward(img), targets).total();
    loss.backward();  // accumulates over the two sub-batches
    ref.loss_mean += loss.item<double>() / 2;
    if (r == 0) {
      ref.bn_rank0 = snapshot_bn();
      for (const torch::Tensor& p : params)  // undefined: no path to the loss
        ref.grad_rank0.push_back(p.grad().defined() ? p.grad().clone() : torch::Tensor());
    }
  }
  ref.bn_both = snapshot_bn();
  {
    torch::NoGradGuard ng;
    for (torch::Tensor& p : params)
      if (p.grad().defined()) p.mutable_grad().div_(2);
  }
  for (const torch::Tensor& p : params)
    ref.grad_mean.push_back(p.grad().defined() ? p.grad().clone() : torch::Tensor());
  tr::Adam adam(params, kLr);
  adam.step();
  for (size_t i = 0; i < params.size(); ++i)
    ref.params_after[ref.param_keys[i]] = params[i].detach().clone();
  return ref;
}

// Largest |a - b| relative to max|b| over a list of tensors.
double worst_relative(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double scale = std::max(b[i].abs().max().item<double>(), 1e-30);
    worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>() / scale);
  }
  return worst;
}

}  // namespace

TEST_CASE("2 ranks x batch 2 over Gloo = 1 process x batch 4 with per-rank BatchNorm") {
  if (tr::distributed_backends().empty()) {
    MESSAGE("built without c10d Gloo: skipped");
    return;
  }
  test::TempDir tmp("train_ddp");
  fs::copy(kData + "/interhand/InterHand2.6M_5fps_batch1", tmp / "dataset",
           fs::copy_options::recursive);
  const int port = test::free_loopback_port();
  REQUIRE(port > 0);
  const std::string out = tmp / "ddp";
  test::RankProcess r0(train_argv(tmp / "dataset", out, 2, 120), rank_env(0, 2, port),
                       tmp / "rank0.log");
  test::RankProcess r1(train_argv(tmp / "dataset", out, 2, 120), rank_env(1, 2, port),
                       tmp / "rank1.log");
  const std::optional<int> s0 = r0.wait(600), s1 = r1.wait(60);
  INFO("rank 0:\n" << r0.log() << "\nrank 1:\n" << r1.log());
  REQUIRE(s0 == std::optional<int>(0));
  REQUIRE(s1 == std::optional<int>(0));

  fs::create_directories(tmp / "ref");
  const Reference ref = compute_reference(tmp / "dataset", tmp / "ref");
  auto ck = core::formats::Checkpoint::open(out + "/snapshot_0.pth.tar");

  // Adam's first moments: exp_avg = (1 - beta1) g after one step.
  const std::string moments = tmp / "exp_avg.npy";
  const auto py = test::run_command("/usr/bin/python3 " + std::string(INTERSHAPE_SOURCE_DIR) +
                                    "/tests/train/adam_moments.py " + out + "/snapshot_0.pth.tar " +
                                    moments + " 2>&1");
  INFO(py.output);
  REQUIRE(py.status == 0);
  std::vector<float> flat = test::load_npy(moments).as_float();
  // Adam keeps a state exactly for the parameters with a gradient.
  const std::vector<float> ids = test::load_npy(tmp / "exp_avg_ids.npy").as_float();
  std::vector<float> want_ids;
  for (size_t i = 0; i < ref.grad_mean.size(); ++i)
    if (ref.grad_mean[i].defined()) want_ids.push_back(static_cast<float>(i));
  CHECK(ids == want_ids);
  MESSAGE(want_ids.size() << " of " << ref.grad_mean.size() << " parameters have a gradient");
  std::vector<torch::Tensor> exp_avg, want_mean, want_rank0, want_sum;
  int64_t offset = 0;
  for (size_t i = 0; i < ref.grad_mean.size(); ++i) {
    if (!ref.grad_mean[i].defined()) continue;
    const int64_t n = ref.grad_mean[i].numel();
    REQUIRE(offset + n <= static_cast<int64_t>(flat.size()));
    exp_avg.push_back(torch::from_blob(flat.data() + offset, ref.grad_mean[i].sizes()).clone());
    offset += n;
    want_mean.push_back(ref.grad_mean[i] * 0.1f);
    want_rank0.push_back(ref.grad_rank0[i] * 0.1f);
    want_sum.push_back(ref.grad_mean[i] * 0.2f);
  }
  CHECK(offset == static_cast<int64_t>(flat.size()));
  const double err = worst_relative(exp_avg, want_mean);
  const double err_local = worst_relative(exp_avg, want_rank0);
  const double err_sum = worst_relative(exp_avg, want_sum);
  MESSAGE("gradient vs the single-process mean: " << err << " of max-abs; vs a rank-local step: "
                                                  << err_local << "; vs a sum: " << err_sum);
  CHECK(err <= 1e-5);
  CHECK(err_local > 1e-2);  // the comparison can fail: a missing all-reduce is seen
  CHECK(err_sum > 1e-2);    // and so is a sum instead of a mean

  // Parameters after the step. Adam's first step moves each element by about
  // lr*sign(g): where the mean gradient is ~0, float noise may flip the sign
  // (the parity test's rule); elsewhere they must agree to float precision.
  int64_t strong = 0;
  for (size_t i = 0; i < ref.param_keys.size(); ++i) {
    const std::string& key = ref.param_keys[i];
    const torch::Tensor got = read_tensor(*ck, key), want = ref.params_after.at(key);
    if (!ref.grad_mean[i].defined()) {  // no gradient: Adam leaves it alone on every rank
      CHECK_MESSAGE(torch::equal(got, want), key);
      continue;
    }
    const torch::Tensor g = ref.grad_mean[i].abs();
    const torch::Tensor firm = g >= 1e-2 * g.max();
    const torch::Tensor diff = (got - want).abs();
    strong += firm.sum().item<int64_t>();
    CHECK_MESSAGE(diff.masked_select(firm).max().item<double>() <= 1e-6, key);
    CHECK_MESSAGE(diff.max().item<double>() <= 2 * kLr + 1e-6, key);
  }
  CHECK(strong > 1000);

  // BatchNorm statistics: rank 0's own sub-batch, not both.
  double bn_err = 0, bn_both_err = 0;
  for (const auto& [key, want] : ref.bn_rank0) {
    const torch::Tensor got = read_tensor(*ck, key);
    if (key.find("num_batches_tracked") != std::string::npos) {
      CHECK(got.item<int64_t>() == 1);
      continue;
    }
    const double scale = std::max(want.abs().max().item<double>(), 1e-12);
    bn_err = std::max(bn_err, (got - want).abs().max().item<double>() / scale);
    bn_both_err =
        std::max(bn_both_err, (got - ref.bn_both.at(key)).abs().max().item<double>() / scale);
  }
  MESSAGE("BatchNorm statistics vs rank 0's sub-batch: " << bn_err << "; vs both: " << bn_both_err);
  CHECK(bn_err <= 1e-5);
  CHECK(bn_both_err > 1e-3);

  // The logged loss is the job's (the mean of the two ranks'), over 4 samples.
  std::ifstream log_in(out + "/train_log.jsonl");
  std::string line;
  REQUIRE(std::getline(log_in, line));
  const nlohmann::json j = nlohmann::json::parse(line);
  CHECK(j["batch"] == 4);
  CHECK(std::fabs(j["total"].get<double>() - ref.loss_mean) <= 1e-5 * ref.loss_mean);
  CHECK(!std::getline(log_in, line));  // one line: rank 1 wrote nothing
}

TEST_CASE("a rank that dies or stops answering fails the job with a message, not a hang") {
  if (tr::distributed_backends().empty()) {
    MESSAGE("built without c10d Gloo: skipped");
    return;
  }
  test::TempDir tmp("train_ddp_fault");
  fs::copy(kData + "/interhand/InterHand2.6M_5fps_batch1", tmp / "dataset",
           fs::copy_options::recursive);

  SUBCASE("rank 1 killed before its first gradient exchange") {
    const int port = test::free_loopback_port();
    auto env0 = rank_env(0, 2, port), env1 = rank_env(1, 2, port);
    env0.push_back("INTERSHAPE_TEST_FAULT=kill:1:0");
    env1.push_back("INTERSHAPE_TEST_FAULT=kill:1:0");
    test::RankProcess r0(train_argv(tmp / "dataset", tmp / "out", 1, 60), env0, tmp / "r0.log");
    test::RankProcess r1(train_argv(tmp / "dataset", tmp / "out", 1, 60), env1, tmp / "r1.log");
    const std::optional<int> s1 = r1.wait(300);
    const auto died = std::chrono::steady_clock::now();
    const std::optional<int> s0 = r0.wait(120);
    const double after =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - died).count();
    INFO("rank 0:\n" << r0.log() << "\nrank 1:\n" << r1.log());
    CHECK(s1 == std::optional<int>(128 + SIGKILL));
    REQUIRE(s0.has_value());  // not hanging
    CHECK(*s0 == 1);
    CHECK(r0.log().find("rank 0 of 2: lost contact with the job") != std::string::npos);
    CHECK(after < 60);  // within --dist-timeout of the death (it sees the closed connection)
    CHECK(!fs::exists(tmp / "out/snapshot_0.pth.tar"));
  }
  SUBCASE("rank 1 stops answering: the timeout") {
    const int port = test::free_loopback_port();
    auto env0 = rank_env(0, 2, port), env1 = rank_env(1, 2, port);
    env0.push_back("INTERSHAPE_TEST_FAULT=stall:1:-1");
    env1.push_back("INTERSHAPE_TEST_FAULT=stall:1:-1");
    test::RankProcess r0(train_argv(tmp / "dataset", tmp / "out", 1, 5), env0, tmp / "r0.log");
    test::RankProcess r1(train_argv(tmp / "dataset", tmp / "out", 1, 5), env1, tmp / "r1.log");
    const std::optional<int> s0 = r0.wait(120);
    INFO("rank 0:\n" << r0.log() << "\nrank 1:\n" << r1.log());
    REQUIRE(s0.has_value());
    CHECK(*s0 == 1);
    CHECK(r0.log().find("rank 0 of 2: lost contact with the job") != std::string::npos);
    CHECK(!r1.wait(0).has_value());  // rank 1 was still stalled: rank 0 gave up on its own
  }
}

TEST_CASE("a wrong launch environment is a usage error") {
  test::TempDir tmp("train_ddp_env");
  auto argv = train_argv(kData + "/interhand/InterHand2.6M_5fps_batch1", tmp / "out", 1, 5);
  test::RankProcess p(argv, {"RANK=2", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=1"},
                      tmp / "p.log");
  CHECK(p.wait(60) == std::optional<int>(2));
  CHECK(p.log().find("RANK='2'") != std::string::npos);
  test::RankProcess q(argv, {"RANK=0", "WORLD_SIZE=2"}, tmp / "q.log");
  CHECK(q.wait(60) == std::optional<int>(2));
  CHECK(q.log().find("MASTER_ADDR is not set") != std::string::npos);
}
