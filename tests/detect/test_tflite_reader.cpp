// The LibTorch-free reader (also run under ASan/UBSan): the op models parse,
// the unsupported ones are refused by name, and every truncation and every
// single-bit flip of a small model is either read or refused with a
// TfliteError, never a crash.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/detect/tflite_model.h"

using namespace intershape::core::detect;

namespace {

const std::string kDir = INTERSHAPE_DETECT_OP_MODELS;

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(),
                  "missing " << path << " (run through ctest: fixture detect_op_models)");
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("op models are read; unsupported ones refused naming file and problem") {
  std::ifstream in(kDir + "/manifest.json");
  REQUIRE(in.good());
  int read = 0;
  for (const auto& c : nlohmann::json::parse(in)) {
    const std::string path = kDir + "/" + c["model"].get<std::string>();
    CAPTURE(path);
    if (c.contains("error") && c["stage"] == "reader") {
      try {
        read_tflite_file(path);
        FAIL("read a model that must be refused");
      } catch (const TfliteError& e) {
        const std::string msg = e.what();
        CHECK_MESSAGE(msg.find(path) != std::string::npos, msg);
        CHECK_MESSAGE(msg.find(c["error"].get<std::string>()) != std::string::npos, msg);
      }
    } else {
      const TfliteModel m = read_tflite_file(path);
      CHECK(!m.operators.empty());
      CHECK(!m.inputs.empty());
      ++read;
    }
  }
  CHECK(read >= 25);
}

TEST_CASE("fields decode with TFLite's ids") {
  const TfliteModel m = read_tflite_file(kDir + "/conv_same_s2_odd.tflite");
  CHECK(m.description == "intershape op test");
  REQUIRE(m.operators.size() == 2);
  CHECK(m.operators[0].op == TfliteOp::kDequantize);
  const TfliteOperator& conv = m.operators[1];
  CHECK(conv.op == TfliteOp::kConv2d);
  CHECK(conv.padding == TflitePadding::kSame);
  CHECK(conv.stride_h == 2);
  CHECK(conv.stride_w == 2);
  CHECK(conv.activation == TfliteActivation::kRelu6);
  REQUIRE(conv.inputs.size() == 3);
  const TfliteTensor& w = m.tensors[m.operators[0].inputs[0]];
  CHECK(w.type == TfliteType::kFloat16);
  CHECK(w.shape == std::vector<int64_t>{4, 3, 3, 3});
  CHECK(w.data.size() == 4 * 3 * 3 * 3 * 2);
  CHECK(m.tensors[m.inputs[0]].name == "x");
  CHECK(m.tensors[m.inputs[0]].shape == std::vector<int64_t>{1, 7, 9, 3});

  const TfliteModel r = read_tflite_file(kDir + "/resize_align_corners.tflite");
  CHECK(r.operators[0].align_corners);
  CHECK_FALSE(r.operators[0].half_pixel_centers);
  const TfliteModel dw = read_tflite_file(kDir + "/depthwise_multiplier.tflite");
  CHECK(dw.operators[0].depth_multiplier == 3);
  CHECK(dw.operators[0].padding == TflitePadding::kValid);
  CHECK(dw.operators[0].activation == TfliteActivation::kRelu);
}

TEST_CASE("every truncation is refused with the file named") {
  const std::string path = kDir + "/reshape_concat.tflite";
  const std::vector<uint8_t> bytes = read_all(path);
  REQUIRE(!parse_tflite(bytes.data(), bytes.size(), path).operators.empty());
  for (size_t n = 0; n < bytes.size(); ++n) {
    try {
      parse_tflite(bytes.data(), n, "cut.tflite");
      FAIL("a truncated model was read, size " << n);
    } catch (const TfliteError& e) {
      CHECK(std::string(e.what()).rfind("cut.tflite: ", 0) == 0);
    }
  }
}

TEST_CASE("every single-bit flip is read or refused, never a crash") {
  const std::vector<uint8_t> original = read_all(kDir + "/fully_connected_logistic.tflite");
  int refused = 0;
  std::vector<uint8_t> bytes = original;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      bytes[i] ^= static_cast<uint8_t>(1u << bit);
      try {
        parse_tflite(bytes.data(), bytes.size(), "flip.tflite");
      } catch (const TfliteError&) {
        ++refused;
      }
      bytes[i] = original[i];
    }
  }
  // Flips in the identifier, offsets and vtables are refused; flips in weights
  // and names are not detectable here (the sha256 of the hand models is).
  CHECK(refused > 100);
}
