#pragma once
// The byte layout of the sequence spool (sequence_spool.h): its header body
// (SpoolConfig) and the parts of a frame record. Values are the host's own
// (little-endian on every machine we build for): a spool is read back by the
// program that wrote it, on the same machine (`infer --resume`), and its
// version is checked. Reading is bounds-checked: a value past the end of its
// record throws formats::ExportError naming the spool.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/exporters/sequence_spool.h"
#include "core/formats/atomic_file.h"

namespace intershape::core::exporters {

uint32_t fnv1a(const uint8_t* p, size_t n);

struct SpoolWriter {
  std::vector<uint8_t> bytes;
  void raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes.insert(bytes.end(), b, b + n);
  }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  template <typename T>
  void vec(const std::vector<T>& v) {
    u64(v.size());
    raw(v.data(), v.size() * sizeof(T));
  }
};

struct SpoolReader {
  const uint8_t* p;
  const uint8_t* end;
  const std::string& path;
  void raw(void* out, size_t n) {
    if (n > static_cast<size_t>(end - p))
      throw formats::ExportError(path + ": a spool record is shorter than its contents");
    if (n > 0) std::memcpy(out, p, n);
    p += n;
  }
  uint32_t u32() {
    uint32_t v;
    raw(&v, 4);
    return v;
  }
  uint64_t u64() {
    uint64_t v;
    raw(&v, 8);
    return v;
  }
  template <typename T>
  std::vector<T> vec() {
    const uint64_t n = u64();
    if (n > static_cast<uint64_t>(end - p) / sizeof(T))
      throw formats::ExportError(path + ": a spool array is longer than its record");
    std::vector<T> v(n);
    raw(v.data(), n * sizeof(T));
    return v;
  }
  void expect_end() const {
    if (p != end) throw formats::ExportError(path + ": a spool record has bytes left over");
  }
};

// Throws formats::ExportError naming `path` when the triangles (glb_frames)
// or the MANO models (rig) are missing or not MANO's sizes.
void check_spool_config(const SpoolConfig& config, const std::string& path);
void encode_spool_config(const SpoolConfig& config, SpoolWriter& w);
SpoolConfig decode_spool_config(SpoolReader& r);

// The network's output of one frame: per hand verts [778*3], joints [21*3],
// pose, shape, presence; trans [4]; keypoints_frame and xyc [42*3].
// Throws formats::ExportError naming `path` for other sizes.
void encode_network(const FrameResult& r, SpoolWriter& w, const std::string& path);
void decode_network(SpoolReader& r, FrameResult& out);
void encode_detections(const detect::DetectionRow& row, SpoolWriter& w);
detect::DetectionRow decode_detections(SpoolReader& r);
void encode_camera(const CameraIntrinsics& c, SpoolWriter& w);
CameraIntrinsics decode_camera(SpoolReader& r);

// The body of one frame record (after its magic, length and checksum) into
// `out`, whose result's frame becomes `frame` (reused between records: a
// field a record does not carry is cleared). Throws formats::ExportError
// naming the spool for a record that does not hold what its flags say.
void decode_frame_record(SpoolReader& r, const std::shared_ptr<Frame>& frame, SpoolFrame& out);

}  // namespace intershape::core::exporters
