// The launcher's variables (core/train/launch_env.h): torchrun's, Slurm's as a
// fallback, and the usage errors a wrong launch must give (each names the
// variable and its value). No LibTorch.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "core/train/launch_env.h"

namespace tr = intershape::core::train;

namespace {

tr::LaunchEnv parse(const std::map<std::string, std::string>& vars) {
  return tr::parse_launch_env([&vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

std::string error_of(const std::map<std::string, std::string>& vars) {
  try {
    parse(vars);
  } catch (const tr::LaunchEnvError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("no launcher variables: one process") {
  const tr::LaunchEnv e = parse({{"MASTER_ADDR", "10.0.0.1"}});
  CHECK(!e.distributed());
  CHECK(e.rank == 0);
  CHECK(e.world == 1);
  CHECK(e.source.empty());
  CHECK(tr::device_for_rank("cuda", e) == "cuda");
}

TEST_CASE("torchrun's variables") {
  const tr::LaunchEnv e = parse({{"RANK", "5"},
                                 {"WORLD_SIZE", "8"},
                                 {"LOCAL_RANK", "1"},
                                 {"MASTER_ADDR", "node-a"},
                                 {"MASTER_PORT", "29500"},
                                 // Ignored when the torch variables are there.
                                 {"SLURM_PROCID", "0"},
                                 {"SLURM_NTASKS", "2"}});
  CHECK(e.distributed());
  CHECK(e.rank == 5);
  CHECK(e.world == 8);
  CHECK(e.local_rank == 1);
  CHECK(e.master_addr == "node-a");
  CHECK(e.master_port == 29500);
  CHECK(e.source == "torch");
  CHECK(tr::device_for_rank("cuda", e) == "cuda:1");
  CHECK(tr::device_for_rank("cuda:3", e) == "cuda:3");  // explicit wins
  CHECK(tr::device_for_rank("cpu", e) == "cpu");
}

TEST_CASE("LOCAL_RANK defaults to 0; WORLD_SIZE 1 needs no rendezvous") {
  tr::LaunchEnv e =
      parse({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}});
  CHECK(e.local_rank == 0);
  e = parse({{"RANK", "0"}, {"WORLD_SIZE", "1"}});
  CHECK(!e.distributed());
  CHECK(e.source == "torch");
}

TEST_CASE("Slurm's variables stand in for torchrun's") {
  const tr::LaunchEnv e = parse({{"SLURM_PROCID", "3"},
                                 {"SLURM_NTASKS", "4"},
                                 {"SLURM_LOCALID", "1"},
                                 {"MASTER_ADDR", "node-b"},
                                 {"MASTER_PORT", "12345"}});
  CHECK(e.source == "slurm");
  CHECK(e.rank == 3);
  CHECK(e.world == 4);
  CHECK(e.local_rank == 1);
  CHECK(e.master_port == 12345);
  CHECK(!parse({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}}).distributed());
}

TEST_CASE("a wrong launch is a usage error naming the variable") {
  const std::map<std::string, std::string> ok = {
      {"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "29500"}};
  auto with = [&ok](const std::string& k, const std::string& v) {
    auto m = ok;
    m[k] = v;
    return m;
  };
  auto without = [&ok](const std::string& k) {
    auto m = ok;
    m.erase(k);
    return m;
  };
  CHECK(error_of(ok).empty());
  CHECK(error_of(without("RANK")).find("RANK is not set") != std::string::npos);
  CHECK(error_of(without("WORLD_SIZE")).find("WORLD_SIZE is not set") != std::string::npos);
  CHECK(error_of(with("RANK", "2")).find("RANK='2'") != std::string::npos);  // rank >= world
  CHECK(error_of(with("RANK", "-1")).find("RANK='-1'") != std::string::npos);
  CHECK(error_of(with("WORLD_SIZE", "two")).find("WORLD_SIZE='two'") != std::string::npos);
  CHECK(error_of(with("WORLD_SIZE", "0")).find("WORLD_SIZE='0'") != std::string::npos);
  CHECK(error_of(with("WORLD_SIZE", "2 ")).find("WORLD_SIZE='2 '") != std::string::npos);
  CHECK(error_of(with("LOCAL_RANK", "x")).find("LOCAL_RANK='x'") != std::string::npos);
  CHECK(error_of(without("MASTER_ADDR")).find("MASTER_ADDR is not set") != std::string::npos);
  CHECK(error_of(with("MASTER_ADDR", "")).find("MASTER_ADDR is not set") != std::string::npos);
  CHECK(error_of(without("MASTER_PORT")).find("MASTER_PORT is not set") != std::string::npos);
  CHECK(error_of(with("MASTER_PORT", "70000")).find("MASTER_PORT='70000'") != std::string::npos);
  CHECK(error_of(with("MASTER_PORT", "99999999999999999999")).find("MASTER_PORT=") !=
        std::string::npos);
  CHECK(error_of({{"SLURM_NTASKS", "2"}}).find("SLURM_PROCID is not set") != std::string::npos);
}
