#pragma once
// The training set as the reference's dataset builds it in 'train' mode
// (data/InterHand2.6M/dataset.py): the train split's interacting-hand
// annotations whose frame has a MANO entry (core/eval's list, same quirked
// validity mask), ground-truth joints from the joints cache / MANO fits in
// camera millimetres, the fits' betas, and the image cropped to the processed
// box, optionally augmented as the reference's train mode does
// (core/train/augment.h); without augmentation the fixture's batches.
// No LibTorch.

#include <array>
#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/eval/evaluate.h"
#include "core/train/augment.h"
#include "mano/mano_model.h"

namespace intershape::core::train {

// One sample, host arrays; the layouts of core/train/loss.h's Targets.
struct TrainExample {
  std::vector<float> img;                   // [3, 256, 256] RGB in [0, 1]
  std::array<float, 42 * 3> joint_coord{};  // camera mm, reference order
  std::array<float, 2> hand_type{};         // right, left present
  std::array<float, 20> shape_param{};      // right betas, left betas (0 for a hand without fit)
  std::array<float, 42> joint_valid{};      // the reference's quirked mask
  std::array<float, 2> mano_valid{};
};

class TrainDataset {
 public:
  // Reads DIR's annotations of `split` (default "train"); the joints cache is
  // used or written as `intershape eval` does (`fallback_dir` when the
  // annotation folder is read-only). Throws core::eval::DatasetError.
  TrainDataset(const std::string& dataset_dir, const mano::ManoPair& mano,
               const std::string& fallback_dir, std::ostream& log,
               const std::string& split = "train");

  size_t size() const { return data_.list.size(); }
  // Decodes and crops sample i (file order), augmented by `aug` (default:
  // none, the reference's test branch). Thread-safe (const, no shared
  // state). Throws DatasetError naming a missing or unreadable image.
  TrainExample get(size_t i, const AugmentParams& aug = {}) const;
  const core::eval::PreparedDataset& prepared() const { return data_; }

 private:
  core::eval::PreparedDataset data_;
};

}  // namespace intershape::core::train
