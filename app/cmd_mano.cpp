// `intershape mano`: poses MANO hands from parameters given in JSON and writes
// the meshes (OBJ) and vertices + joints (JSON), in metres. A check of the
// MANO files and of the layer without the network.

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/model_options.h"
#include "core/formats/atomic_file.h"
#include "core/formats/file_io.h"
#include "core/mesh/mesh.h"
#include "core/mesh/mesh_text.h"
#include "core/net/device.h"
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

int run_mano(const ManoOptions& o) {
  const mano::ManoParams hands = mano::read_mano_params(o.params);
  const core::net::DeviceChoice choice = core::net::resolve_device(o.device);
  const torch::Device device =
      choice.cuda ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(choice.index))
                  : torch::Device(torch::kCPU);
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
    auto pose =
        torch::from_blob(const_cast<float*>(hands[side]->pose.data()), {1, 48}, torch::kFloat32)
            .to(device);
    auto betas = torch::from_blob(const_cast<float*>(hands[side]->shape.data()),
                                  {1, mano::kShapeComponents}, torch::kFloat32)
                     .to(device);
    torch::NoGradGuard no_grad;
    const mano::ManoLayer::Output out = layer.forward(pose, betas);
    // The layer speaks mm; files are in metres.
    const torch::Tensor verts = (out.vertices[0] / 1000.0).to(torch::kCPU).contiguous();
    const torch::Tensor joints = (out.joints[0] / 1000.0).to(torch::kCPU).contiguous();
    const float* v = verts.data_ptr<float>();
    const float* jp = joints.data_ptr<float>();

    core::mesh::Mesh mesh;
    mesh.positions.assign(v, v + 3 * mano::kVertices);
    mesh.triangles.assign(model.faces.begin(), model.faces.end());
    nlohmann::json jv = nlohmann::json::array();
    for (int i = 0; i < mano::kVertices; ++i) jv.push_back({v[3 * i], v[3 * i + 1], v[3 * i + 2]});
    nlohmann::json jj = nlohmann::json::array();
    for (int i = 0; i < 21; ++i) jj.push_back({jp[3 * i], jp[3 * i + 1], jp[3 * i + 2]});
    core::formats::write_file_atomic(
        (std::filesystem::path(o.output) / (std::string(name) + ".obj")).string(),
        core::mesh::obj_text(mesh, core::mesh::vertex_normals(mesh),
                             std::string("MANO ") + name + " hand, metres"));
    result[name] = {{"vertices", jv}, {"joints", jj}};
  }
  core::formats::write_file_atomic((std::filesystem::path(o.output) / "mano.json").string(),
                                   result.dump() + "\n");
  std::printf("wrote %s (device %s)\n", o.output.c_str(), choice.name.c_str());
  return 0;
}

}  // namespace

void add_mano_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ManoOptions>();
  CLI::App* cmd = app.add_subcommand("mano",
                                     "Pose MANO hands from parameters (JSON) and write right.obj, "
                                     "left.obj and mano.json (metres)");
  cmd->add_option("--mano", options->mano_dir, "Folder with MANO_RIGHT.pkl and MANO_LEFT.pkl")
      ->required();
  cmd->add_option("--params", options->params,
                  "JSON: {\"right\": {\"pose\": [48], \"shape\": [10]}, \"left\": {...}}; either side may be absent; "
                  "|pose| <= 100 (radians), |shape| <= 100")
      ->required();
  cmd->add_option("--output", options->output, "Output folder (created if missing)")->required();
  add_device_option(*cmd, options->device);
  cmd->callback([options, &exit_code] { exit_code = run_mano(*options); });
}

}  // namespace intershape::app
