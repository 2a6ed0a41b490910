#pragma once
// The reference's ground-truth joints cache,
// annotations/<split>/InterHand2.6M_<split>_MANO_joints.json:
// {capture: {frame: [[x, y, z] x 42]}}, world millimetres, reference joint
// order (16 MANO joints + 5 fingertip vertices per hand, right first), zeros
// for a hand without a fit. Read when present, extended and written as the
// reference writes it (json.dumps: ", " / ": " separators, Python float repr,
// the MANO file's capture order, frames in first-use order), so either side
// reuses the other's file.

#include <array>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/eval/interhand.h"

namespace intershape::core::eval {

using WorldJoints = std::array<float, 42 * 3>;

class JointsCache {
 public:
  // Empty cache with one (empty) entry per capture, in this order (the
  // reference starts from {c: {} for c in mano_params}).
  explicit JointsCache(const std::vector<std::string>& captures = {});
  // Reads a cache file; throws DatasetError naming the file and the entry.
  static JointsCache read(const std::string& path);

  const WorldJoints* find(int capture, int frame) const;
  // Appends a frame (after the capture's existing frames).
  void add(int capture, int frame, const WorldJoints& joints);
  size_t frame_count() const { return index_.size(); }

  // The JSON text, byte-for-byte as Python's json.dumps writes it.
  std::string to_json() const;

 private:
  struct CaptureEntry {
    std::string capture;
    std::vector<std::pair<std::string, WorldJoints>> frames;
  };
  std::vector<CaptureEntry> captures_;
  std::unordered_map<uint64_t, std::pair<size_t, size_t>> index_;  // frame_key -> (capture, frame)
  size_t capture_slot(const std::string& capture);
};

// Python's repr() of a double (shortest round-trip digits; fixed notation
// for exponents -4..15, else d.ddde+XX), e.g. 1067.159423828125, 0.0, 1e-05.
std::string python_float_repr(double v);

}  // namespace intershape::core::eval
