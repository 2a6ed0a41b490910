#pragma once
// Per-sample results of an evaluation run as they are written to disk: the
// partial results that make a run resumable and shards mergeable.
//
// An output folder holds run.json (what is evaluated: split, list size and
// fingerprint, shard, limit, model) and partial/chunk_<first index>.bin, each
// written atomically (core/formats/atomic_file.h) every few hundred samples.
// A killed run leaves complete chunks only; `--resume` reads them and
// continues; `--merge` unions the chunks of shard folders. Metrics are always
// computed from the chunks read back, so a fresh, a resumed and a merged run
// give the same figures.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/eval/protocol.h"

namespace intershape::core::eval {

struct SampleRecord {
  int64_t index = 0;  // position in the full evaluation list (before --limit / --shard)
  int32_t capture = 0, camera = 0, frame = 0;
  std::string seq_name;
  std::array<float, kJoints * 3> joints{};     // network output, [42, 3] mm (MANO frame)
  std::vector<float> vertices;                 // [1556, 3] mm
  std::array<float, 4> trans{};                // [log scale, tx, ty, tz]
  std::array<float, kJoints * 3> gt_joints{};  // camera mm
  std::array<float, kJoints> joint_valid{};    // the reference's mask
  std::array<float, 2> mano_valid{};
  SampleScore score;
};

// What a run evaluates; a resumed run or a merged shard must agree with it.
struct RunInfo {
  std::string split;
  int64_t list_size = 0;     // samples in the full evaluation list
  std::string fingerprint;   // hash of the list's (capture, camera, frame) keys
  int64_t limit = 0;         // 0: all
  int shard_index = 0, shard_count = 1;
  std::string model;         // the network's description (informative)

  // The indices this run evaluates: i < limit (if set) and i % count == index.
  bool selects(int64_t i) const {
    return (limit <= 0 || i < limit) && i % shard_count == shard_index;
  }
  int64_t selected_count() const;
};

std::string run_info_json(const RunInfo& info);
// Reads DIR/run.json; throws std::runtime_error naming the file.
RunInfo read_run_info(const std::string& dir);
void write_run_info(const std::string& dir, const RunInfo& info);

// Writes DIR/partial/chunk_<first index>.bin atomically.
void write_chunk(const std::string& dir, const std::vector<SampleRecord>& records);
// The chunk files of DIR/partial in name order (= ascending first index).
std::vector<std::string> chunk_files(const std::string& dir);
// One chunk's records; without vertices when `with_vertices` is false (the
// metrics need none: memory stays ~2 KB per sample). Throws
// std::runtime_error naming a damaged chunk.
std::vector<SampleRecord> read_chunk(const std::string& path, bool with_vertices = true);
// All records of DIR/partial (chunk order).
std::vector<SampleRecord> read_chunks(const std::string& dir, bool with_vertices = true);

}  // namespace intershape::core::eval
