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
#include "tests/fuzz/fuzz_parts.h"

using namespace intershape::core::eval;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = intershape::fuzz::split_parts<3>(data, size);

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
