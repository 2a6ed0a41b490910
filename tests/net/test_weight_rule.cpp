// The weight rule against WEIGHTS.md's check values and state_dict.json's
// (kind, a, b), and the generated architecture against state_dict.json.
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/net/architecture.h"
#include "core/net/weight_rule.h"

using namespace intershape::core::net;

namespace {

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

nlohmann::json state_dict_json() {
  std::ifstream in(std::string(INTERSHAPE_TEST_DATA) + "/parity/state_dict.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

std::string strip_module(const std::string& key) {
  return key.rfind("module.", 0) == 0 ? key.substr(7) : key;
}

}  // namespace

TEST_CASE("FNV-1a seeds and splitmix64 match WEIGHTS.md's check values") {
  CHECK(rule_seed("", "mesh_reg.base_net.conv1.weight") == 0x105c0cf47a94eb33ull);
  CHECK(rule_seed("", "heatmap_predictor.backbone_net.resnet.bn1.running_var") ==
        0xebfe0f6fdd449dd0ull);
  CHECK(rule_seed("example-salt", "mesh_reg.base_net.conv1.weight") == 0xa7c35e82f9b035baull);
  const uint64_t golden = 0x9E3779B97F4A7C15ull;
  CHECK(splitmix64(0x105c0cf47a94eb33ull ^ (0 * golden)) == 0x2db6f733dc6dd930ull);
  CHECK(splitmix64(0x105c0cf47a94eb33ull ^ (1 * golden)) == 0xcb4083686ac6a982ull);
  CHECK(splitmix64(0x105c0cf47a94eb33ull ^ (9407 * golden)) == 0x20a11e0153ca29dbull);
  CHECK(splitmix64(0xebfe0f6fdd449dd0ull ^ (63 * golden)) == 0xe0b1cc46dc82d6f5ull);
}

TEST_CASE("rule values match WEIGHTS.md's check values bit for bit") {
  struct Check {
    const char* key;
    const char* salt;
    std::vector<int64_t> shape;
    uint64_t index;
    uint32_t bits;
  };
  const Check checks[] = {
      {"mesh_reg.base_net.conv1.weight", "", {64, 3, 7, 7}, 0, 0xbe04fe3d},
      {"mesh_reg.base_net.conv1.weight", "", {64, 3, 7, 7}, 1, 0x3df3404e},
      {"mesh_reg.base_net.conv1.weight", "", {64, 3, 7, 7}, 9407, 0xbe1a2469},
      {"heatmap_predictor.backbone_net.resnet.bn1.running_var", "", {64}, 0, 0x3f4910f6},
      {"heatmap_predictor.backbone_net.resnet.bn1.running_var", "", {64}, 1, 0x3f924476},
      {"heatmap_predictor.backbone_net.resnet.bn1.running_var", "", {64}, 63, 0x3f982c73},
      {"mesh_reg.base_net.conv1.weight", "example-salt", {64, 3, 7, 7}, 0, 0x3dc79013},
  };
  for (const Check& c : checks) {
    CAPTURE(c.key);
    CAPTURE(c.index);
    const RuleParams p = rule_params(c.key, c.shape);
    CHECK(bits(rule_value(rule_seed(c.salt, c.key), p, c.index)) == c.bits);
    // The whole-tensor fill and a partial range agree with the single value.
    const std::vector<float> all = rule_tensor(c.salt, c.key, c.shape);
    CHECK(bits(all[c.index]) == c.bits);
    float one = 0.f;
    fill_rule_range(rule_seed(c.salt, c.key), p, c.index, 1, &one);
    CHECK(bits(one) == c.bits);
  }
  const RuleParams conv1 = rule_params("mesh_reg.base_net.conv1.weight", {64, 3, 7, 7});
  CHECK(conv1.kind == RuleKind::kWeight);
  CHECK(bits(static_cast<float>(conv1.b)) == 0x3e4ee116u);
}

TEST_CASE("rule (kind, a, b) agrees with state_dict.json for every rule tensor") {
  const nlohmann::json sd = state_dict_json();
  int rule_entries = 0;
  for (const auto& e : sd["entries"]) {
    if (e["source"] != "rule") continue;
    const std::string key = strip_module(e["key"].get<std::string>());
    CAPTURE(key);
    const RuleParams p = rule_params(key, e["shape"].get<std::vector<int64_t>>());
    CHECK(std::string(rule_kind_name(p.kind)) == e["kind"].get<std::string>());
    CHECK(p.a == e["a"].get<double>());
    CHECK(p.b == e["b"].get<double>());
    ++rule_entries;
  }
  CHECK(rule_entries > 500);
  CHECK_THROWS_AS(rule_params("mesh_reg.mano_layer.r.v_template", {778, 3}), std::invalid_argument);
}

TEST_CASE(
    "the generated architecture lists state_dict.json's 602 keys, in order, with shapes and "
    "dtypes") {
  const nlohmann::json sd = state_dict_json();
  const auto& entries = sd["entries"];
  const std::vector<ParamSpec>& specs = expected_state_dict();
  REQUIRE(entries.size() == 602);
  REQUIRE(specs.size() == 602);
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string key = strip_module(entries[i]["key"].get<std::string>());
    CAPTURE(i);
    CHECK(specs[i].key == key);
    CHECK(specs[i].shape == entries[i]["shape"].get<std::vector<int64_t>>());
    const std::string dtype = entries[i]["dtype"].get<std::string>();
    CHECK((specs[i].dtype == intershape::core::formats::DType::kInt64) == (dtype == "int64"));
    // Every rule tensor the network uses is a kWeight; MANO buffers are not.
    const std::string source = entries[i]["source"].get<std::string>();
    if (source == "mano") CHECK(specs[i].role == ParamRole::kManoBuffer);
    if (source == "zero") CHECK(specs[i].role == ParamRole::kCounter);
  }
}

namespace {
std::vector<FoundTensor> all_expected() {
  std::vector<FoundTensor> found;
  for (const ParamSpec& s : expected_state_dict()) found.push_back({s.key, s.shape, s.dtype});
  return found;
}
}  // namespace

TEST_CASE("the complete state dict passes the strict check") {
  CHECK(check_state_dict(all_expected(), true).empty());
  // Without the optional entries (counters, unused MANO params) it still passes.
  std::vector<FoundTensor> lean;
  for (const ParamSpec& s : expected_state_dict())
    if (s.role == ParamRole::kWeight || s.role == ParamRole::kManoBuffer)
      lean.push_back({s.key, s.shape, s.dtype});
  CHECK(check_state_dict(lean, true).empty());
}

TEST_CASE("a missing key, a wrong shape and an extra key are listed together") {
  std::vector<FoundTensor> found = all_expected();
  found.erase(found.begin() + 2);  // mesh_reg.base_net.bn1.bias
  for (FoundTensor& f : found)
    if (f.key == "heatmap_predictor.pose_net.hand_fc.2.weight") f.shape = {3, 512};
  found.push_back({"mesh_reg.extra_head.weight", {7, 7}, intershape::core::formats::DType::kFloat32});
  const std::string message = check_state_dict(found, true);
  CHECK(message.find("1 missing, 1 unexpected, 1 wrongly shaped") != std::string::npos);
  CHECK(message.find("mesh_reg.base_net.bn1.bias [64]") != std::string::npos);
  CHECK(message.find("mesh_reg.extra_head.weight [7, 7]") != std::string::npos);
  CHECK(message.find("heatmap_predictor.pose_net.hand_fc.2.weight: [3, 512], expected [2, 512]") !=
        std::string::npos);
}

TEST_CASE("MANO buffers are required only when they are used") {
  std::vector<FoundTensor> found;
  for (const ParamSpec& s : expected_state_dict())
    if (s.role != ParamRole::kManoBuffer) found.push_back({s.key, s.shape, s.dtype});
  CHECK(check_state_dict(found, false).empty());
  const std::string message = check_state_dict(found, true);
  CHECK(message.find("24 missing") != std::string::npos);  // 12 per hand
  CHECK(message.find("mesh_reg.mano_layer.l.v_template [778, 3]") != std::string::npos);
}

TEST_CASE("a weight stored as an integer tensor is rejected") {
  std::vector<FoundTensor> found = all_expected();
  found[0].dtype = intershape::core::formats::DType::kInt64;
  const std::string message = check_state_dict(found, true);
  CHECK(message.find("mesh_reg.base_net.conv1.weight: dtype int64") != std::string::npos);
}

TEST_CASE("another architecture's long key lists are cut with a count") {
  std::vector<FoundTensor> found;
  for (int i = 0; i < 100; ++i)
    found.push_back({"other.layer" + std::to_string(i) + ".weight", {4}, {}});
  const std::string message = check_state_dict(found, false);
  CHECK(message.find("100 unexpected") != std::string::npos);
  CHECK(message.find("... and 36 more") != std::string::npos);
  CHECK(message.find("mesh_reg.base_net.conv1.weight [64, 3, 7, 7]") != std::string::npos);
}
