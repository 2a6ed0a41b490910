// libFuzzer target: bytes -> the sequence spool's decoders (core/exporters/
// spool_codec.h), what `intershape infer --resume` reads back from
// OUT/.sequence.spool. The input is two parts separated by "\n--8<--\n": a
// header body (SpoolConfig: export flags, triangles, both MANO models) and one
// frame record body (frame fields, network output, detections, camera). The
// file's magic, lengths and checksums are skipped here: they only gate what
// reaches these decoders, which must hold on any bytes behind a matching
// checksum. formats::ExportError is the allowed outcome.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/exporters/spool_codec.h"
#include "tests/fuzz/fuzz_parts.h"

using namespace intershape::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = intershape::fuzz::split_parts<2>(data, size);
  const std::string path = ".sequence.spool";
  try {
    const auto* p = reinterpret_cast<const uint8_t*>(parts[0].data());
    exporters::SpoolReader r{p, p + parts[0].size(), path};
    const exporters::SpoolConfig config = exporters::decode_spool_config(r);
    exporters::check_spool_config(config, path);
  } catch (const formats::ExportError&) {
  }
  try {
    const auto* p = reinterpret_cast<const uint8_t*>(parts[1].data());
    exporters::SpoolReader r{p, p + parts[1].size(), path};
    exporters::SpoolFrame frame;
    exporters::decode_frame_record(r, std::make_shared<Frame>(), frame);
    volatile float sink = frame.result.output.hands[0].presence;
    (void)sink;
  } catch (const formats::ExportError&) {
  }
  return 0;
}
