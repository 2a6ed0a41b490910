#include "core/net/weight_rule.h"

#include <cmath>
#include <stdexcept>

namespace intershape::core::net {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;
constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string last_component(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

// The gain table of WEIGHTS.md, first match wins.
double gain_for(const std::string& key) {
  struct Row {
    const char* suffix;
    double gain;
  };
  static const Row kGains[] = {
      {"pose_net.joint_conv_1.0.weight", 1.0},   {"pose_net.joint_conv_2.0.weight", 1.0},
      {"mano_branch.pose_reg.weight", 0.05},     {"branch_list.0.pose_reg.weight", 0.2},
      {"branch_list.1.pose_reg.weight", 1.0},    {"branch_list.2.pose_reg.weight", 2.5},
      {"mano_branch.shape_reg.0.weight", 0.15},  {"branch_list.0.shape_reg.0.weight", 0.5},
      {"branch_list.1.shape_reg.0.weight", 2.0}, {"branch_list.2.shape_reg.0.weight", 8.0},
      {"trans_branch.final_layer.weight", 0.1},  {"conv3.weight", 0.5},
  };
  for (const Row& row : kGains)
    if (ends_with(key, row.suffix)) return row.gain;
  return 1.4142135623730951;  // sqrt(2) as the double the rule names
}

}  // namespace

uint64_t fnv1a64(const std::string& text) {
  uint64_t h = kFnvOffset;
  for (unsigned char c : text) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

uint64_t splitmix64(uint64_t x) {
  x += kGolden;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

const char* rule_kind_name(RuleKind kind) {
  switch (kind) {
    case RuleKind::kManoParam:
      return "mano_param";
    case RuleKind::kBnRunningVar:
      return "bn_running_var";
    case RuleKind::kBnRunningMean:
      return "bn_running_mean";
    case RuleKind::kBias:
      return "bias";
    case RuleKind::kBnWeight:
      return "bn_weight";
    case RuleKind::kWeight:
      return "weight";
  }
  return "?";
}

RuleParams rule_params(const std::string& key, const std::vector<int64_t>& shape) {
  const std::string last = last_component(key);
  if (key.find(".mano_layer.") != std::string::npos) {
    if (last == "transl") return {RuleKind::kManoParam, 0.0, static_cast<double>(0.01f)};
    if (last == "betas" || last == "global_orient" || last == "body_pose" || last == "hand_pose")
      return {RuleKind::kManoParam, 0.0, static_cast<double>(0.1f)};
  }
  if (ends_with(key, ".running_var")) return {RuleKind::kBnRunningVar, 1.0, 0.25};
  if (ends_with(key, ".running_mean"))
    return {RuleKind::kBnRunningMean, 0.0, static_cast<double>(0.1f)};
  if (ends_with(key, ".bias")) return {RuleKind::kBias, 0.0, static_cast<double>(0.05f)};
  if (ends_with(key, ".weight") && key.find(".mano_layer.") == std::string::npos) {
    if (shape.size() == 1) return {RuleKind::kBnWeight, 1.0, static_cast<double>(0.1f)};
    if (shape.size() >= 2) {
      double fan = 1.0;
      for (size_t d = 1; d < shape.size(); ++d) fan *= static_cast<double>(shape[d]);
      const double b = gain_for(key) * std::sqrt(3.0 / fan);
      return {RuleKind::kWeight, 0.0, static_cast<double>(static_cast<float>(b))};
    }
  }
  throw std::invalid_argument("weight rule: no rule for key " + key);
}

uint64_t rule_seed(const std::string& salt, const std::string& key) { return fnv1a64(salt + key); }

float rule_value(uint64_t seed, const RuleParams& params, uint64_t i) {
  const uint64_t z = splitmix64(seed ^ (i * kGolden));
  const double u = static_cast<double>(z >> 40) / 16777216.0;
  const double v = 2.0 * u - 1.0;
  return static_cast<float>(params.a + params.b * v);
}

void fill_rule_range(uint64_t seed, const RuleParams& params, uint64_t first, uint64_t count,
                     float* dst) {
  for (uint64_t k = 0; k < count; ++k) dst[k] = rule_value(seed, params, first + k);
}

std::vector<float> rule_tensor(const std::string& salt, const std::string& key,
                               const std::vector<int64_t>& shape) {
  uint64_t numel = 1;
  for (int64_t d : shape) numel *= static_cast<uint64_t>(d);
  std::vector<float> out(numel);
  fill_rule_range(rule_seed(salt, key), rule_params(key, shape), 0, numel, out.data());
  return out;
}

}  // namespace intershape::core::net
