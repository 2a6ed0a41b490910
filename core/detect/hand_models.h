#pragma once
// Where MediaPipe's hand models live, and the check that they are the files we
// expect. LibTorch-free.
//
// The models come from the npm package @mediapipe/hands@0.4.1675469240
// (Apache-2.0), fetched and sha256-checked by scripts/fetch_hand_models.sh into
// assets/models/. Nothing is downloaded at run time.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace intershape::core::detect {

// A missing or altered model file; the message names the file and the command
// that fetches it.
class HandModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HandModelFile {
  const char* name;    // file name inside the models folder
  uint64_t size;       // bytes
  const char* sha256;  // lower-case hex
};

inline constexpr HandModelFile kPalmDetectionFull{
    "palm_detection_full.tflite", 2341280,
    "2f25e740121983f68ffc05f99991d524dc0ea812134f6316a26125816941ee85"};
inline constexpr HandModelFile kHandLandmarkFull{
    "hand_landmark_full.tflite", 5478688,
    "8c026882c9ec059ce0f8e75266bee5a9a23c341a40e0000df755374d3d1b9b68"};

// The command that fetches the models, for error messages.
inline constexpr const char* kFetchHandModelsCommand = "scripts/fetch_hand_models.sh";

// The folder holding both models, each checked (size and sha256):
//  - `option_dir` when not empty (the `--hand-models DIR` option), and only it;
//  - else the first of these that holds both files: `assets/models` relative
//    to the current directory, then relative to the executable's folder and its
//    parents (build/release/app/intershape finds ../../../assets/models, etc.).
// Throws HandModelError naming the missing or altered file, where it looked,
// and scripts/fetch_hand_models.sh.
std::string find_hand_models(const std::string& option_dir);

// `dir`/`file.name`, checked: exists, has file.size bytes and file.sha256.
// Throws HandModelError otherwise.
std::string verified_hand_model_path(const std::string& dir, const HandModelFile& file);

// sha256 of a whole file, lower-case hex. Throws HandModelError if unreadable.
std::string sha256_file(const std::string& path);

}  // namespace intershape::core::detect
