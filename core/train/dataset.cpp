#include "core/train/dataset.h"

#include <opencv2/imgcodecs.hpp>

#include "core/eval/ground_truth.h"
#include "core/eval/protocol.h"

namespace intershape::core::train {

namespace ev = core::eval;

TrainDataset::TrainDataset(const std::string& dataset_dir, const mano::ManoPair& mano,
                           const std::string& fallback_dir, std::ostream& log,
                           const std::string& split) {
  ev::GroundTruthMano gt(mano);
  data_ = ev::prepare_dataset(dataset_dir, split, gt, fallback_dir, log);
}

TrainExample TrainDataset::get(size_t i, const AugmentParams& aug) const {
  const ev::EvalSample& entry = data_.list.at(i);
  const ev::Sample& s = data_.annotations.samples.at(entry.ann);
  TrainExample ex;
  const std::string path = data_.annotations.image_dir + "/" + s.file_name;
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  if (bgr.empty()) throw ev::DatasetError(path + ": missing or unreadable image");
  ex.img.resize(3 * 256 * 256);
  augmented_crop(bgr, entry.bbox_processed, aug, ex.img.data());

  ev::world_to_camera(data_.annotations.camera_of(s), data_.world_joints.at(i).data(),
                      ex.joint_coord.data(), 42);
  ex.hand_type = {s.hand_type == "right" || s.hand_type == "interacting" ? 1.f : 0.f,
                  s.hand_type == "left" || s.hand_type == "interacting" ? 1.f : 0.f};
  if (const ev::FrameFits* fits = data_.annotations.fits_of(s)) {
    for (int h = 0; h < 2; ++h)
      if (fits->hands[h])
        for (int k = 0; k < 10; ++k) ex.shape_param[10 * h + k] = fits->hands[h]->shape[k];
  }
  ex.joint_valid = entry.joint_valid;
  ex.mano_valid = entry.mano_valid;
  augment_targets(aug, ex);
  return ex;
}

}  // namespace intershape::core::train
