// libFuzzer target: bytes -> the InterHand2.6M annotation parsers
// (core/eval/interhand.h) and the joins the evaluator and trainer make on
// their result. The input is three parts separated by "\n--8<--\n": the data
// file (COCO-style images + annotations, simdjson On-Demand), the camera file
// and the MANO fits file (simdjson DOM) (see tests/data/fuzz/interhand/).
// Parsed in memory: no file is written, so the target runs fast enough for
// long runs. A DatasetError is the allowed outcome for a bad input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/eval/interhand.h"

using namespace intershape::core::eval;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kCut = "\n--8<--\n";
  std::string_view parts[3];
  std::string_view rest = all;
  for (int i = 0; i < 2; ++i) {
    const size_t p = rest.find(kCut);
    parts[i] = rest.substr(0, p);
    rest = p == std::string_view::npos ? std::string_view() : rest.substr(p + kCut.size());
  }
  parts[2] = rest;

  Annotations a;
  try {
    parse_data_text("data.json", parts[0], a);
  } catch (const DatasetError&) {
  }
  try {
    parse_camera_text("camera.json", parts[1], a);
  } catch (const DatasetError&) {
  }
  try {
    parse_mano_text("MANO_NeuralAnnot.json", parts[2], a);
  } catch (const DatasetError&) {
  }
  // What the evaluator and the trainer do with every sample.
  volatile float sink = 0;
  for (const Sample& s : a.samples) {
    try {
      const Camera& c = a.camera_of(s);
      sink = sink + c.focal[0];
    } catch (const DatasetError&) {
    }
    if (const FrameFits* f = a.fits_of(s))
      for (const auto& h : f->hands)
        if (h) sink = sink + h->shape[0];
  }
  return 0;
}
