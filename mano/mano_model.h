#pragma once
// One MANO hand model as plain float32 host arrays, from the official pkl files
// or from a checkpoint's `mesh_reg.mano_layer.{r,l}.*` buffers. No LibTorch.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/formats/array.h"

namespace intershape::mano {

inline constexpr int kVertices = 778;
inline constexpr int kSkeletonJoints = 16;
inline constexpr int kFaces = 1540;
inline constexpr int kShapeComponents = 10;
inline constexpr int kPoseFeatures = 135;  // 15 joints x 9 (R - I)
// Fingertip vertices appended to the 16 skeleton joints: thumb, index, middle, ring, pinky.
inline constexpr std::array<int, 5> kFingertipVertices = {745, 317, 444, 556, 673};

// A file that is not a usable MANO model; what() names the file and the problem.
class ManoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Units: metres (the layer multiplies by 1000 at its output).
struct ManoModel {
  bool is_left = false;
  std::vector<float> v_template;   // [778, 3]
  std::vector<float> shapedirs;    // [778, 3, 10]
  std::vector<float> posedirs;     // [135, 778*3]: smplx's layout (the pkl holds [778, 3, 135])
  std::vector<float> j_regressor;  // [16, 778], dense
  std::vector<float> lbs_weights;  // [778, 16]
  std::vector<int32_t> parents;    // [16]; parents[0] == -1
  std::vector<int32_t> faces;      // [1540, 3], 0-based (left: mirrored winding, as in the file)
  std::vector<float> hand_mean;    // [45], added to the 45 finger pose parameters
  std::array<float, 3> transl{};   // the layer's own translation (checkpoint); zero from pkl
  std::string source;              // where it came from, for messages
};

struct ManoPair {
  ManoModel right, left;
};

// One pkl file, as released (Python 2 pickle with numpy, scipy.sparse and chumpy
// objects), read without running anything from it. No left-hand fix here.
ManoModel load_mano_pkl(const std::string& path, bool is_left);
// The same from the bytes of such a file; `source` names it in messages.
ManoModel load_mano_pkl_bytes(const uint8_t* data, size_t size, const std::string& source,
                              bool is_left);
// The classes and functions a MANO pkl may name (all others are rejected):
// numpy's _reconstruct / ndarray / dtype, scipy's csc_matrix, chumpy's Ch and
// Select, the builtin set.
const std::vector<std::string>& mano_pickle_globals();

// DIR/MANO_RIGHT.pkl and DIR/MANO_LEFT.pkl, with the reference's left-hand fix:
// if sum |left.shapedirs[:,0,:] - right.shapedirs[:,0,:]| < 1, negate the left's.
ManoPair load_mano_dir(const std::string& dir);

// Looks up a state-dict entry by its key (without the `module.` prefix).
using ArrayLookup = std::function<std::optional<core::formats::Array>(const std::string& key)>;

// From checkpoint buffers under `prefix` ("mesh_reg.mano_layer.r." or ".l.").
// Buffers there already carry the left-hand fix; it is not applied again.
ManoModel mano_from_state_dict(const ArrayLookup& lookup, const std::string& prefix, bool is_left,
                               const std::string& source);

}  // namespace intershape::mano
