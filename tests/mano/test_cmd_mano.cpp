// Runs the built `intershape mano` on the synthetic MANO files and checks its
// files against the layer.
#include "tests/torch_doctest.h"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "mano/mano_layer.h"
#include "mano/mano_model.h"
#include "tests/npy.h"

using namespace intershape::mano;
using namespace intershape::core::formats;
namespace fs = std::filesystem;

namespace {

const std::string kData = INTERSHAPE_TEST_DATA;
const fs::path kOut = MANO_TEST_OUT;

int run(const std::string& params, const fs::path& out, const std::string& extra = "") {
  const std::string cmd = std::string("'") + INTERSHAPE_BINARY + "' mano --mano '" + kData +
                          "/mano' --params '" + params + "' --output '" + out.string() + "' " +
                          extra + " > '" + (kOut / "log.txt").string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string log_text() {
  std::ifstream in(kOut / "log.txt");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

std::vector<float> row(const intershape::test::NpyArray& a, int64_t i) {
  const std::vector<float> all = a.as_float();
  const int64_t n = a.size() / a.shape[0];
  return std::vector<float>(all.begin() + i * n, all.begin() + (i + 1) * n);
}

nlohmann::json to_json(const std::vector<float>& v) { return nlohmann::json(v); }

}  // namespace

TEST_CASE("intershape mano writes OBJ and JSON that match the layer (metres)") {
  fs::create_directories(kOut);
  const auto pose = intershape::test::load_npy(kData + "/mano_layer/pose.npy");
  const auto betas = intershape::test::load_npy(kData + "/mano_layer/betas.npy");
  nlohmann::json params;
  params["right"] = {{"pose", to_json(row(pose, 5))}, {"shape", to_json(row(betas, 5))}};
  params["left"] = {{"pose", to_json(row(pose, 3))}, {"shape", to_json(row(betas, 3))}};
  write(kOut / "params.json", params.dump());
  const fs::path out = kOut / "both";
  fs::remove_all(out);
  REQUIRE(run((kOut / "params.json").string(), out, "--device cpu") == 0);

  const ManoPair models = load_mano_dir(kData + "/mano");
  std::ifstream jin(out / "mano.json");
  REQUIRE(jin);
  const nlohmann::json result = nlohmann::json::parse(jin);
  CHECK(result["units"] == "m");
  for (const char* side : {"right", "left"}) {
    const std::string name = side;
    CAPTURE(name);
    const bool left = name == "left";
    ManoLayer layer(left ? models.left : models.right, torch::Device(torch::kCPU));
    const auto p = row(pose, left ? 3 : 5);
    const auto b = row(betas, left ? 3 : 5);
    const auto want = layer.forward(torch::tensor(p).view({1, 48}), torch::tensor(b).view({1, 10}));
    const torch::Tensor wv = want.vertices[0] / 1000.0;
    const torch::Tensor wj = want.joints[0] / 1000.0;
    // JSON
    REQUIRE(result[name]["vertices"].size() == 778);
    REQUIRE(result[name]["joints"].size() == 21);
    double dv = 0, dj = 0;
    for (int i = 0; i < 778; ++i) {
      for (int c = 0; c < 3; ++c) {
        dv = std::max(
            dv, std::abs(result[name]["vertices"][i][c].get<double>() - wv[i][c].item<double>()));
      }
    }
    for (int i = 0; i < 21; ++i) {
      for (int c = 0; c < 3; ++c)
        dj = std::max(
            dj, std::abs(result[name]["joints"][i][c].get<double>() - wj[i][c].item<double>()));
    }
    CHECK(dv < 1e-7);
    CHECK(dj < 1e-7);
    // OBJ: 778 vertices in metres, 1540 faces, 1-based, the model's winding.
    std::ifstream obj(out / (name + ".obj"));
    REQUIRE(obj);
    std::string tag;
    std::vector<float> v;
    std::vector<int> f;
    int normals = 0;
    std::string line;
    while (std::getline(obj, line)) {
      std::istringstream ls(line);
      ls >> tag;
      if (tag == "v") {
        float x, y, z;
        ls >> x >> y >> z;
        v.insert(v.end(), {x, y, z});
      } else if (tag == "vn") {
        ++normals;  // the shared OBJ writer (core/mesh) gives one per vertex
      } else if (tag == "f") {
        // "f a//a b//b c//c" (position//normal, 1-based): the position index.
        for (int k = 0; k < 3; ++k) {
          std::string corner;
          ls >> corner;
          f.push_back(std::stoi(corner.substr(0, corner.find('/'))) - 1);
        }
      }
    }
    REQUIRE(v.size() == 778 * 3);
    REQUIRE(f.size() == 1540 * 3);
    CHECK(normals == 778);
    CHECK(f == std::vector<int>((left ? models.left : models.right).faces.begin(),
                                (left ? models.left : models.right).faces.end()));
    double dobj = 0;
    for (int i = 0; i < 778 * 3; ++i)
      dobj = std::max(dobj, std::abs(v[i] - wv.view({-1})[i].item<double>()));
    CHECK(dobj < 1e-7);
  }
}

TEST_CASE("intershape mano: one hand only; bad parameters exit with 1 and say why") {
  fs::create_directories(kOut);
  nlohmann::json params;
  params["left"] = {{"pose", std::vector<float>(48, 0.f)}, {"shape", std::vector<float>(10, 0.f)}};
  write(kOut / "left_only.json", params.dump());
  const fs::path out = kOut / "left_only";
  fs::remove_all(out);
  REQUIRE(run((kOut / "left_only.json").string(), out) == 0);
  CHECK(fs::exists(out / "left.obj"));
  CHECK(!fs::exists(out / "right.obj"));

  write(kOut / "short.json", R"({"right": {"pose": [0, 1], "shape": [0,0,0,0,0,0,0,0,0,0]}})");
  CHECK(run((kOut / "short.json").string(), kOut / "x") == 1);
  CHECK(log_text().find("right.pose has 2 values, expected 48") != std::string::npos);
  write(kOut / "broken.json", R"({"right": )");
  CHECK(run((kOut / "broken.json").string(), kOut / "x") == 1);
  CHECK(log_text().find("broken.json: not valid JSON") != std::string::npos);
  write(kOut / "typo.json", R"({"rigth": {}})");
  CHECK(run((kOut / "typo.json").string(), kOut / "x") == 1);
  CHECK(log_text().find("unknown key \"rigth\"") != std::string::npos);
  CHECK(run((kOut / "missing.json").string(), kOut / "x") == 1);
  CHECK(log_text().find("missing.json: cannot open file") != std::string::npos);
  // A folder given as the parameter file (was a bare "basic_filebuf::underflow error").
  CHECK(run(kOut.string(), kOut / "x") == 1);
  CHECK(log_text().find(kOut.string() + ": is a folder, not a file") != std::string::npos);
  // An output folder that cannot be created, named as such.
  CHECK(run((kOut / "left_only.json").string(), kOut / "left_only.json" / "out") == 1);
  CHECK(log_text().find("cannot create output folder " +
                        (kOut / "left_only.json" / "out").string() + ": Not a directory") !=
        std::string::npos);
}

TEST_CASE("intershape mano: 1e30 and 1e300 are refused, nothing is written (issue 14, item 4)") {
  fs::create_directories(kOut);
  for (const char* big : {"1e30", "1e300"}) {
    const std::string b = big;
    CAPTURE(b);
    std::string pose = "[" + b;
    for (int i = 1; i < 48; ++i) pose += ",0";
    write(kOut / "big.json", "{\"right\": {\"pose\": " + pose + "], \"shape\": [0,0,0,0,0,0,0,0,0,0]}}");
    const fs::path out = kOut / "big_out";
    fs::remove_all(out);
    // Was: exit 0 and NaN vertices in mano.json.
    CHECK(run((kOut / "big.json").string(), out, "--device cpu") == 1);
    CHECK(log_text().find("right.pose[0] is " + std::string(b == "1e30" ? "1e+30" : "1e+300")) !=
          std::string::npos);
    CHECK(!fs::exists(out / "mano.json"));
  }
}

TEST_CASE("intershape mano on a full disk: the reason is named and no truncated file is left") {
  fs::create_directories(kOut);
  nlohmann::json params;
  params["right"] = {{"pose", std::vector<float>(48, 0.f)}, {"shape", std::vector<float>(10, 0.f)}};
  write(kOut / "one.json", params.dump());
  const fs::path out = kOut / "full";
  fs::remove_all(out);
  fs::create_directories(out);
  // A file size limit of 20 KB (RLIMIT_FSIZE, SIGXFSZ ignored) stands in for a
  // full disk: right.obj (~60 KB) cannot be written. Was: a truncated file
  // and "cannot write file" without a reason.
  const std::string cmd = std::string("bash -c \"ulimit -f 20; trap '' XFSZ; exec '") +
                          INTERSHAPE_BINARY + "' mano --mano '" + kData + "/mano' --params '" +
                          (kOut / "one.json").string() + "' --output '" + out.string() +
                          "' --device cpu\" > '" + (kOut / "log.txt").string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(log_text().find("File too large") != std::string::npos);
  CHECK(!fs::exists(out / "right.obj"));
  CHECK(!fs::exists(out / "mano.json"));
  for (const auto& e : fs::directory_iterator(out)) FAIL("left behind: " << e.path());
}
