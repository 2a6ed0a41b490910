// Every supported op against numpy: tiny models written at test time by
// make_op_models.py (the CTest fixture detect_op_models), run on the CPU and,
// when there is one, on CUDA.
#include <ATen/ATen.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/detect/tflite_graph.h"

using namespace intershape::core::detect;

namespace {

const std::string kDir = INTERSHAPE_DETECT_OP_MODELS;

nlohmann::json manifest() {
  std::ifstream in(kDir + "/manifest.json");
  REQUIRE_MESSAGE(in.good(), "missing "
                                 << kDir
                                 << "/manifest.json (run through ctest: fixture detect_op_models)");
  return nlohmann::json::parse(in);
}

at::Tensor read_bin(const nlohmann::json& entry) {
  const std::vector<int64_t> shape = entry["shape"].get<std::vector<int64_t>>();
  at::Tensor t = at::empty(shape, at::kFloat);
  std::ifstream in(kDir + "/" + entry["file"].get<std::string>(), std::ios::binary);
  in.read(reinterpret_cast<char*>(t.data_ptr<float>()),
          static_cast<std::streamsize>(t.numel() * 4));
  REQUIRE(in.good());
  return t;
}

void check_cases(const std::string& device) {
  int ran = 0;
  for (const auto& c : manifest()) {
    const std::string name = c["name"];
    const std::string path = kDir + "/" + c["model"].get<std::string>();
    CAPTURE(name);
    if (c.contains("error")) {
      try {
        TfliteGraph::load(path, device);
        FAIL("loaded a model that must be refused: " << name);
      } catch (const TfliteError& e) {
        const std::string msg = e.what();
        CHECK_MESSAGE(msg.find(path) != std::string::npos, msg);
        CHECK_MESSAGE(msg.find(c["error"].get<std::string>()) != std::string::npos, msg);
      }
      continue;
    }
    auto graph = TfliteGraph::load(path, device);
    std::vector<at::Tensor> inputs;
    for (const auto& i : c["inputs"]) inputs.push_back(read_bin(i));
    const std::vector<at::Tensor> out = graph->run(inputs);
    REQUIRE(out.size() == c["outputs"].size());
    const double tol = c["tolerance"];
    for (size_t k = 0; k < out.size(); ++k) {
      const at::Tensor want = read_bin(c["outputs"][k]);
      const at::Tensor got = out[k].cpu();
      REQUIRE(got.sizes() == want.sizes());
      CHECK(got.is_contiguous());
      const double err = (got - want).abs().max().item<double>();
      const double scale = 1.0 + want.abs().max().item<double>();
      CHECK_MESSAGE(err <= tol * scale, name << " output " << k << ": max error " << err);
    }
    ++ran;
  }
  CHECK(ran >= 25);
}

}  // namespace

TEST_CASE("every op matches numpy on the CPU") { check_cases("cpu"); }

TEST_CASE("every op matches numpy on CUDA") {
  if (!at::hasCUDA()) {
    MESSAGE("no CUDA device here: skipped");
    return;
  }
  check_cases("cuda");
}

TEST_CASE("run() refuses inputs of the wrong shape, dtype or count, naming the file") {
  const std::string path = kDir + "/add_relu.tflite";
  auto graph = TfliteGraph::load(path, "cpu");
  REQUIRE(graph->inputs().size() == 2);
  CHECK(graph->inputs()[0].name == "a");
  CHECK(graph->inputs()[0].shape == std::vector<int64_t>{1, 3, 4, 5});
  CHECK(graph->outputs()[0].name == "y");
  const at::Tensor ok = at::zeros({1, 3, 4, 5});
  CHECK_THROWS_AS(graph->run({ok}), TfliteError);
  CHECK_THROWS_AS(graph->run({ok, at::zeros({1, 3, 5, 4})}), TfliteError);
  CHECK_THROWS_AS(graph->run({ok, at::zeros({1, 3, 4, 5}, at::kDouble)}), TfliteError);
  try {
    graph->run({ok, at::zeros({2})});
  } catch (const TfliteError& e) {
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
  CHECK(graph->run({ok, ok})[0].sum().item<double>() == 0.0);
}

TEST_CASE("unknown devices are refused") {
  CHECK_THROWS_AS(TfliteGraph::load(kDir + "/add_relu.tflite", "tpu"), TfliteError);
  CHECK_THROWS_AS(TfliteGraph::load(kDir + "/add_relu.tflite", "cuda:x"), TfliteError);
}

// Files the reader accepts can still be nonsense for the graph (zero sizes,
// mismatched weights, odd options after a bit flip): load() must refuse them
// with a TfliteError, or load them and run, never crash.
TEST_CASE("bit-flipped op models are loaded and run, or refused; never a crash") {
  int refused = 0, loaded = 0;
  for (const char* name :
       {"conv_same_s2_odd", "depthwise_multiplier", "reshape_concat", "resize_half_pixel", "pad",
        "mean_h", "fully_connected_logistic", "maxpool_same_s2", "prelu_channel", "add_relu"}) {
    const std::string path = kDir + "/" + name + ".tflite";
    std::ifstream in(path, std::ios::binary);
    const std::vector<char> original(std::istreambuf_iterator<char>(in), {});
    REQUIRE(!original.empty());
    const std::string flipped_path = kDir + "/flipped_" + name + ".tflite";
    for (size_t i = 0; i < original.size(); ++i) {
      std::vector<char> bytes = original;
      bytes[i] = static_cast<char>(bytes[i] ^ (1 << (i % 8)));
      {
        std::ofstream out(flipped_path, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      }
      try {
        auto graph = TfliteGraph::load(flipped_path, "cpu");
        std::vector<at::Tensor> inputs;
        for (const auto& info : graph->inputs()) inputs.push_back(at::ones(info.shape));
        graph->run(inputs);
        ++loaded;
      } catch (const TfliteError& e) {
        CHECK(std::string(e.what()).rfind(flipped_path + ": ", 0) == 0);
        ++refused;
      }
    }
    std::remove(flipped_path.c_str());
  }
  MESSAGE("loaded " << loaded << ", refused " << refused);
  CHECK(refused > 100);
  CHECK(loaded > 100);
}
