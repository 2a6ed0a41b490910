#pragma once
// The InterHand2.6M v1.0 annotations (the `InterHand2.6M_5fps_batch1` release
// layout), read into plain structs: images + annotations (COCO style), cameras
// and the MANO fits (NeuralAnnot). Shared by evaluation and training; nothing
// here knows the evaluation protocol (see core/eval/protocol.h).
//
// Layout: DIR/images/<split>/<file_name>,
//         DIR/annotations/<split>/InterHand2.6M_<split>_{data,camera,MANO_NeuralAnnot}.json
//
// The files are large (hundreds of MB each for the real release), so they are
// parsed with simdjson's DOM parser one at a time and converted to compact
// structs; only one file's DOM is alive at a time (peak memory: README
// "Evaluate"). Any thread; no shared state.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace intershape::core::eval {

// A malformed, truncated or missing annotation file, or an entry that refers to
// something absent (image id, camera). what() names the file and the entry.
class DatasetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One camera of one capture. World frame in millimetres:
// X_cam = camrot (X_world - campos); u = X/Z fx + cx, v = Y/Z fy + cy.
struct Camera {
  std::array<float, 3> campos{};
  std::array<float, 9> camrot{};  // row-major 3x3
  std::array<float, 2> focal{};
  std::array<float, 2> princpt{};
};

// One hand's NeuralAnnot MANO fit: axis-angle pose WITHOUT the mean hand pose,
// betas, translation in metres (world frame).
struct ManoFit {
  std::array<float, 48> pose{};
  std::array<float, 10> shape{};
  std::array<float, 3> trans{};
};

// The fits of one frame; index 0 right, 1 left; nullopt where the file has null.
struct FrameFits {
  std::array<std::optional<ManoFit>, 2> hands;
};

// One annotation joined with its image, in file order.
struct Sample {
  int64_t ann_id = 0;
  int64_t image_id = 0;
  std::string file_name;  // relative to images/<split>/
  int width = 0, height = 0;
  int capture = 0;
  int subject = 0;
  std::string seq_name;
  std::string camera;  // e.g. "410089"
  int frame = 0;
  std::array<float, 4> bbox{};         // x, y, w, h, pixels
  std::array<float, 42> joint_valid{};  // InterHand joint order, as in the file
  std::string hand_type;                // "right", "left", "interacting"
  int hand_type_valid = 0;
};

inline uint64_t frame_key(int capture, int frame) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(capture)) << 32) |
         static_cast<uint32_t>(frame);
}

struct Annotations {
  std::string annotation_dir;   // DIR/annotations/<split>
  std::string image_dir;        // DIR/images/<split>
  std::string split;
  std::vector<Sample> samples;  // annotation file order
  // capture (as in the file, e.g. "4") -> camera id -> camera
  std::map<std::string, std::map<std::string, Camera>> cameras;
  // frame_key(capture, frame) -> fits
  std::unordered_map<uint64_t, FrameFits> fits;
  // The MANO file's captures in file order (the joints cache keeps it).
  std::vector<std::string> fit_captures;

  std::string data_path() const;
  std::string camera_path() const;
  std::string mano_path() const;
  // The camera of a sample; throws DatasetError naming the camera file and the entry.
  const Camera& camera_of(const Sample& s) const;
  // The fits of a sample's frame, or null when the MANO file has no entry.
  const FrameFits* fits_of(const Sample& s) const;
};

std::string annotation_file(const std::string& dataset_dir, const std::string& split,
                            const std::string& kind);  // kind: "data", "camera", "MANO_NeuralAnnot", "MANO_joints"

// Reads the three files of `split` ("test", "val", "train"). Throws DatasetError.
Annotations load_annotations(const std::string& dataset_dir, const std::string& split);

// The single parsers, for tests and tools (the path is used in messages).
void parse_data_json(const std::string& path, Annotations& out);
void parse_camera_json(const std::string& path, Annotations& out);
void parse_mano_json(const std::string& path, Annotations& out);
// The same parsers on text in memory (`name` is used in messages): the fuzz
// target (tests/fuzz/fuzz_interhand.cpp) and tests.
void parse_data_text(const std::string& name, std::string_view json, Annotations& out);
void parse_camera_text(const std::string& name, std::string_view json, Annotations& out);
void parse_mano_text(const std::string& name, std::string_view json, Annotations& out);

}  // namespace intershape::core::eval
