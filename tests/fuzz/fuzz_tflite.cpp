// libFuzzer target: bytes -> our TFLite reader (flatbuffers Verifier, then the
// decode into plain structs with every index and size checked). Anything but a
// TfliteError is a bug: an escaping exception aborts, ASan/UBSan catch the rest.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/detect/tflite_model.h"

using namespace intershape::core::detect;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const TfliteModel m = parse_tflite(data, size, "fuzz.tflite");
    // Touch what a consumer reads: indices must be in range, data sized.
    volatile size_t n = m.description.size();
    for (const TfliteOperator& o : m.operators) {
      for (int t : o.inputs)
        if (t >= 0)
          n += m.tensors.at(static_cast<size_t>(t)).data.size() + tflite_op_name(o.op).size();
      for (int t : o.outputs) n += m.tensors.at(static_cast<size_t>(t)).shape.size();
    }
    for (const TfliteTensor& t : m.tensors)
      if (t.is_constant() && t.data.size() != static_cast<size_t>(t.numel()) *
                                                  (t.type == TfliteType::kFloat16 ? 2 : 4))
        __builtin_trap();
    (void)n;
  } catch (const TfliteError&) {
  }
  return 0;
}
