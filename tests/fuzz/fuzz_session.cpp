// libFuzzer target: bytes -> a recorded session's text files -> SessionReader
// (manifest.json, frames.csv) and the frame JSON parser (frame_from_json).
// The input is three parts separated by "\n--8<--\n": manifest, frames.csv,
// one frame JSON (see the seeds in tests/data/fuzz/session/). The first two
// are written into a private folder each run, because the reader takes a
// folder; the video the manifest names is never there, so a session with rows
// ends in an ExportError, which is an allowed outcome.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/exporters/frame_json.h"
#include "core/formats/atomic_file.h"
#include "core/session/session_reader.h"
#include "tests/fuzz/fuzz_parts.h"

using namespace intershape::core;

namespace {

const std::string& folder() {
  static const std::string dir = [] {
    const std::string d = (std::filesystem::temp_directory_path() /
                           ("intershape_fuzz_session_" + std::to_string(::getpid())))
                              .string();
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

void put(const std::string& path, std::string_view bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return;
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = intershape::fuzz::split_parts<3>(data, size);
  put(folder() + "/manifest.json", parts[0]);
  put(folder() + "/frames.csv", parts[1]);
  try {
    session::SessionReader reader(folder());
    volatile int64_t n = reader.frame_count() + reader.manifest().frame_count;
    (void)n;
  } catch (const formats::ExportError&) {
  }
  try {
    const FrameResult r = exporters::frame_from_json(parts[2], "frame_000000.json");
    volatile int64_t f = r.frame->index;
    (void)f;
  } catch (const formats::ExportError&) {
  }
  return 0;
}
