// Training checkpoints: written in torch.save's zip format with the reference's
// structure, read back by our own reader (core/formats/checkpoint.h) and by
// PyTorch's torch.load (Debian's python3-torch, tests/train/torch_load_summary.py),
// whose Adam.load_state_dict must take the optimizer state; --resume's record and
// restore; a failed write (file-size limit) leaves the previous file whole.
#include "tests/torch_doctest.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/formats/atomic_file.h"
#include "core/formats/checkpoint.h"
#include "core/net/architecture.h"
#include "core/train/checkpoint_io.h"
#include "core/train/model.h"
#include "core/train/trainer.h"
#include "mano/mano_model.h"

using namespace intershape;
namespace train = intershape::core::train;
namespace fs = std::filesystem;

namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = pclose(p);
  INFO(command << " -> " << out.substr(0, 2000));
  REQUIRE(rc == 0);
  return out;
}

}  // namespace

TEST_CASE("a training checkpoint loads in our reader and in torch.load, optimizer included") {
  mano::ManoPair pair = mano::load_mano_dir(std::string(INTERSHAPE_TEST_DATA) + "/mano");
  train::TwoHandNet net(pair);
  train::load_rule_weights(*net, "ckpt");
  train::Trainer trainer(net, 1e-4);
  // An optimiser state as after a few steps, without paying for them: moments
  // for some parameters, none (no gradient yet) for the others.
  train::Adam& adam = trainer.optimizer();
  adam.lr = 1e-5;
  for (size_t i = 0; i < adam.slots().size(); i += 3) {
    torch::NoGradGuard ng;
    adam.slots()[i].step = 7;
    adam.slots()[i].exp_avg = adam.params()[i].detach() * 0.5;
    adam.slots()[i].exp_avg_sq = adam.params()[i].detach().square();
  }
  // num_batches_tracked must survive as int64.
  net->find_state("mesh_reg.base_net.bn1.num_batches_tracked").fill_(5);

  const fs::path dir = fs::temp_directory_path() / ("intershape_ckpt_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "snapshot_3.pth.tar").string();
  train::RunRecord record;  // what `intershape train` adds for --resume
  record.epoch = 4;
  record.step_in_epoch = 0;
  record.step = 1234;
  record.seed = 18446744073709551615ull;  // uint64's largest: kept exactly (as text)
  record.batch = 32;
  record.shuffle = true;
  record.dataset_size = 366358;
  record.lr = 1e-4;
  record.lr_steps = {45, 47};
  train::save_checkpoint(path, *net, adam, 3, &record);
  REQUIRE(fs::exists(path));
  for (const auto& e : fs::directory_iterator(dir))  // atomic: no temporary left
    CHECK(e.path().filename().string() == "snapshot_3.pth.tar");

  const auto entries = net->state_dict_entries();

  {  // A write that fails (file-size limit, as a full disk): ExportError naming
     // the file, and the previous checkpoint still whole (atomic replace).
    rlimit old{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    rlimit small = old;
    small.rlim_cur = 10 << 20;
    auto previous = std::signal(SIGXFSZ, SIG_IGN);
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    std::string error;
    try {
      train::save_checkpoint(path, *net, adam, 4, &record);
    } catch (const core::formats::ExportError& e) {
      error = e.what();
    }
    REQUIRE(setrlimit(RLIMIT_FSIZE, &old) == 0);
    std::signal(SIGXFSZ, previous);
    CHECK(error.find("cannot write " + path) != std::string::npos);
    auto ck = core::formats::Checkpoint::open(path);
    CHECK(ck->find_extra_value("epoch")->integer == 3);
    for (const auto& e : fs::directory_iterator(dir))  // the temporary is gone
      CHECK(e.path().filename().string() == "snapshot_3.pth.tar");
  }

  {  // our reader: 602 entries, the released order, exact values
    auto ck = core::formats::Checkpoint::open(path);
    REQUIRE(ck->tensors().size() == 602);
    const auto& spec = core::net::expected_state_dict();
    for (size_t i = 0; i < spec.size(); ++i) CHECK(ck->tensors()[i].key == spec[i].key);
    std::vector<core::net::FoundTensor> found;
    for (const auto& t : ck->tensors()) found.push_back({t.key, t.shape, t.dtype});
    CHECK(core::net::check_state_dict(found, true).empty());
    for (const auto& [key, t] : entries) {
      const core::formats::TensorInfo* info = ck->find(key);
      REQUIRE(info);
      core::formats::Array a = ck->read(*info);
      torch::Tensor c = t.detach().contiguous();
      REQUIRE(a.bytes.size() == c.nbytes());
      CHECK_MESSAGE(std::memcmp(a.bytes.data(), c.data_ptr(), c.nbytes()) == 0, key);
    }

    // --resume's side: the record, the weights and Adam's state come back exactly.
    train::RunRecord back;
    REQUIRE(train::read_run_record(*ck, back));
    CHECK(back.epoch == 4);
    CHECK(back.step == 1234);
    CHECK(back.seed == record.seed);
    CHECK(back.batch == 32);
    CHECK(back.dataset_size == 366358);
    CHECK(back.lr_steps == std::vector<int>{45, 47});
    CHECK(train::resume_mismatch(back, record).empty());
    train::RunRecord other = record;
    other.batch = 16;
    other.seed = 1;
    const std::string mismatch = train::resume_mismatch(back, other);
    CHECK(mismatch.find("--batch") != std::string::npos);
    CHECK(mismatch.find("--seed") != std::string::npos);
    CHECK(mismatch.find("--lr") == std::string::npos);  // allowed to change

    train::TwoHandNet net2(pair);
    train::load_rule_weights(*net2, "other");
    train::load_checkpoint_weights(*net2, *ck);
    const auto entries2 = net2->state_dict_entries();
    for (size_t i = 0; i < entries.size(); ++i)
      CHECK_MESSAGE(torch::equal(entries[i].second, entries2[i].second), entries[i].first);
    train::Trainer trainer2(net2, 1e-4);
    train::load_optimizer_state(*ck, trainer2.optimizer());
    const auto& slots2 = trainer2.optimizer().slots();
    REQUIRE(slots2.size() == adam.slots().size());
    for (size_t i = 0; i < slots2.size(); ++i) {
      CAPTURE(i);
      REQUIRE(slots2[i].exp_avg.defined() == adam.slots()[i].exp_avg.defined());
      if (!slots2[i].exp_avg.defined()) continue;
      CHECK(slots2[i].step == 7);
      CHECK(torch::equal(slots2[i].exp_avg, adam.slots()[i].exp_avg));
      CHECK(torch::equal(slots2[i].exp_avg_sq, adam.slots()[i].exp_avg_sq));
    }
  }

  {  // torch.load: structure, keys, values, Adam.load_state_dict
    const std::string script =
        std::string(INTERSHAPE_SOURCE_DIR) + "/tests/train/torch_load_summary.py";
    const nlohmann::json s = nlohmann::json::parse(run("/usr/bin/python3 " + script + " " + path));
    // The reference's three keys, and ours, which its train.py ignores.
    CHECK(s["top_keys"] == nlohmann::json({"epoch", "intershape", "network", "optimizer"}));
    CHECK(s["intershape"]["step"] == 1234);
    CHECK(s["intershape"]["seed"] == "18446744073709551615");
    CHECK(s["epoch"] == 3);
    CHECK(s["network_is_ordered_dict"] == true);
    REQUIRE(s["network_keys"].size() == 602);
    for (size_t i = 0; i < entries.size(); ++i) {
      const std::string key = "module." + entries[i].first;
      CHECK(s["network_keys"][i] == key);
      const double want = entries[i].second.to(torch::kDouble).sum().item<double>();
      const double got = s["network_sums"][key].get<double>();
      CHECK_MESSAGE(std::fabs(got - want) <= 1e-9 * (1 + std::fabs(want)), key);
    }
    CHECK(s["network_dtypes"]["module.mesh_reg.base_net.bn1.num_batches_tracked"] == "torch.int64");
    CHECK(s["network_sums"]["module.mesh_reg.base_net.bn1.num_batches_tracked"] == 5.0);
    CHECK(s["network_dtypes"]["module.mesh_reg.mano_layer.r.faces_tensor"] == "torch.int64");
    CHECK(s["adam_load_state_dict"] == "ok");
    const auto& group = s["param_groups"][0];
    CHECK(group["lr"].get<double>() == 1e-5);
    CHECK(group["betas"] == nlohmann::json({0.9, 0.999}));
    CHECK(group["eps"].get<double>() == 1e-8);
    CHECK(group["params"].size() == 197);
    size_t with_state = 0;
    for (size_t i = 0; i < adam.slots().size(); ++i) {
      if (!adam.slots()[i].exp_avg.defined()) continue;
      ++with_state;
      const auto& st = s["state"][std::to_string(i)];
      CHECK(st["step"] == 7.0);
      CHECK(st["step_is_tensor"] == true);
      const double want = adam.slots()[i].exp_avg.to(torch::kDouble).sum().item<double>();
      CHECK(std::fabs(st["exp_avg_sum"].get<double>() - want) <= 1e-9 * (1 + std::fabs(want)));
    }
    CHECK(s["state_ids"].size() == with_state);
  }
  fs::remove_all(dir);
}
