// `intershape mano`: poses MANO hands from parameters given in JSON and writes
// the meshes (OBJ) and vertices + joints (JSON), in metres. A check of the
// MANO files and of the layer without the network.

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "app/commands.h"
#include "core/formats/atomic_file.h"
#include "mano/mano_layer.h"
#include "mano/mano_model.h"
#include "mano/mano_params.h"

namespace intershape::app {

namespace {

struct ManoOptions {
  std::string mano_dir;
  std::string params;
  std::string output;
  std::string device = "auto";
};

torch::Device pick_device(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda") {
    if (!torch::cuda::is_available()) throw std::runtime_error("--device cuda: no CUDA device is available");
    return torch::Device(torch::kCUDA);
  }
  return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

// Through the atomic writer, as every export: a full disk leaves the previous
// file or none, never a truncated one, and the message says why.
void write_text(const std::filesystem::path& path, const std::string& text) {
  core::formats::write_file_atomic(path.string(), text);
}

std::string fmt(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  return buf;
}

int run_mano(const ManoOptions& o) {
  const mano::ManoParams hands = mano::read_mano_params(o.params);
  const torch::Device device = pick_device(o.device);
  const mano::ManoPair models = mano::load_mano_dir(o.mano_dir);
  std::error_code ec;
  std::filesystem::create_directories(o.output, ec);
  if (ec) throw std::runtime_error("cannot create output folder " + o.output + ": " + ec.message());

  nlohmann::json result;
  result["units"] = "m";
  for (size_t side = 0; side < 2; ++side) {
    if (!hands[side]) continue;
    const char* name = side == 0 ? "right" : "left";
    const mano::ManoModel& model = side == 0 ? models.right : models.left;
    mano::ManoLayer layer(model, device);
    auto pose = torch::from_blob(const_cast<float*>(hands[side]->pose.data()), {1, 48}, torch::kFloat32).to(device);
    auto betas = torch::from_blob(const_cast<float*>(hands[side]->shape.data()), {1, mano::kShapeComponents},
                                  torch::kFloat32)
                     .to(device);
    torch::NoGradGuard no_grad;
    const mano::ManoLayer::Output out = layer.forward(pose, betas);
    // The layer speaks mm; files are in metres.
    const torch::Tensor verts = (out.vertices[0] / 1000.0).to(torch::kCPU).contiguous();
    const torch::Tensor joints = (out.joints[0] / 1000.0).to(torch::kCPU).contiguous();
    const float* v = verts.data_ptr<float>();
    const float* jp = joints.data_ptr<float>();

    std::string obj = std::string("# MANO ") + name + " hand, metres\n";
    nlohmann::json jv = nlohmann::json::array();
    for (int i = 0; i < mano::kVertices; ++i) {
      obj += "v " + fmt(v[3 * i]) + " " + fmt(v[3 * i + 1]) + " " + fmt(v[3 * i + 2]) + "\n";
      jv.push_back({v[3 * i], v[3 * i + 1], v[3 * i + 2]});
    }
    for (int f = 0; f < mano::kFaces; ++f) {
      obj += "f " + std::to_string(model.faces[3 * f] + 1) + " " + std::to_string(model.faces[3 * f + 1] + 1) + " " +
             std::to_string(model.faces[3 * f + 2] + 1) + "\n";
    }
    nlohmann::json jj = nlohmann::json::array();
    for (int i = 0; i < 21; ++i) jj.push_back({jp[3 * i], jp[3 * i + 1], jp[3 * i + 2]});
    write_text(std::filesystem::path(o.output) / (std::string(name) + ".obj"), obj);
    result[name] = {{"vertices", jv}, {"joints", jj}};
  }
  write_text(std::filesystem::path(o.output) / "mano.json", result.dump() + "\n");
  std::printf("wrote %s (device %s)\n", o.output.c_str(), device.str().c_str());
  return 0;
}

}  // namespace

void add_mano_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ManoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "mano", "Pose MANO hands from parameters (JSON) and write right.obj, left.obj and mano.json (metres)");
  cmd->add_option("--mano", options->mano_dir, "Folder with MANO_RIGHT.pkl and MANO_LEFT.pkl")->required();
  cmd->add_option("--params", options->params,
                  "JSON: {\"right\": {\"pose\": [48], \"shape\": [10]}, \"left\": {...}}; either side may be absent; "
                  "|pose| <= 100 (radians), |shape| <= 100")
      ->required();
  cmd->add_option("--output", options->output, "Output folder (created if missing)")->required();
  cmd->add_option("--device", options->device, "cpu, cuda or auto")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  cmd->callback([options, &exit_code] { exit_code = run_mano(*options); });
}

}  // namespace intershape::app
