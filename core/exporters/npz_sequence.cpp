#include "core/exporters/npz_sequence.h"

#include "core/formats/atomic_file.h"
#include "core/formats/npz_writer.h"

namespace intershape::core::exporters {

void NpzSequence::add(const FrameResult& r) {
  if (!r.detections) return add(r, nullptr);
  const detect::DetectionRow row = detect::detection_row(*r.detections);
  add(r, &row);
}

void NpzSequence::add(const FrameResult& r, const detect::DetectionRow* detections) {
  if (!frame_index_.empty() && r.has_network != (network_frames_ > 0))
    throw formats::ExportError("npz: frame " + std::to_string(r.frame->index) +
                               (r.has_network ? " has" : " lacks") +
                               " the network's output, unlike the frames before it");
  for (int h = 0; h < 2 && r.has_network; ++h) {
    const HandOutput& hand = r.output.hands[h];
    if (hand.verts3d.size() != size_t(kVertsPerHand) * 3 ||
        hand.joints3d.size() != size_t(kJointsPerHand) * 3)
      throw formats::ExportError("npz: frame " + std::to_string(r.frame->index) + " has " +
                        std::to_string(hand.verts3d.size()) + " vertex and " +
                        std::to_string(hand.joints3d.size()) + " joint values for the " +
                        hand_name(static_cast<Hand>(h)) + " hand, expected 778x3 and 21x3");
  }
  detections_.add(detections ? *detections : detect::detection_row(detect::HandDetections{}));
  any_detections_ = any_detections_ || detections != nullptr;
  frame_index_.push_back(r.frame->index);
  timestamp_.push_back(r.frame->timestamp_s);
  if (!r.has_network) return;
  ++network_frames_;
  for (int h = 0; h < 2; ++h) {
    const HandOutput& hand = r.output.hands[h];
    HandArrays& a = hands_[h];
    a.verts.insert(a.verts.end(), hand.verts3d.begin(), hand.verts3d.end());
    a.joints.insert(a.joints.end(), hand.joints3d.begin(), hand.joints3d.end());
    a.pose.insert(a.pose.end(), hand.params.pose.begin(), hand.params.pose.end());
    a.shape.insert(a.shape.end(), hand.params.shape.begin(), hand.params.shape.end());
    a.presence.push_back(hand.presence);
  }
  trans_.insert(trans_.end(), r.output.trans.begin(), r.output.trans.end());
  for (int k = 0; k < kJoints; ++k)
    for (int c = 0; c < 3; ++c) {
      keypoints2d_.push_back(r.keypoints_frame[k][c]);
      heatmap_xyc_.push_back(r.output.xyc[k][c]);
    }
}

void NpzSequence::write(const std::string& path) const {
  const int64_t T = static_cast<int64_t>(frame_index_.size());
  if (T == 0) throw formats::ExportError("cannot write " + path + ": no frames");
  formats::NpzBuilder npz;
  for (int h = 0; h < 2 && network_frames_ > 0; ++h) {
    const std::string p = hand_name(static_cast<Hand>(h));
    const HandArrays& a = hands_[h];
    npz.add(p + "_verts", {T, kVertsPerHand, 3}, a.verts);
    npz.add(p + "_joints", {T, kJointsPerHand, 3}, a.joints);
    npz.add(p + "_pose", {T, kPoseDim}, a.pose);
    npz.add(p + "_shape", {T, kShapeDim}, a.shape);
    // The schema: `_present` is the hand-type probability itself, so a
    // user picks their own threshold.
    npz.add(p + "_present", {T}, a.presence);
  }
  if (network_frames_ > 0) {
    npz.add("trans", {T, 4}, trans_);
    npz.add("keypoints2d", {T, kJoints, 3}, keypoints2d_);
    npz.add("heatmap_xyc", {T, kJoints, 3}, heatmap_xyc_);
  }
  if (any_detections_)
    for (const detect::NamedArray& a : detections_.arrays())
      npz.add(a.name, a.descr, a.shape, a.bytes.data(), a.bytes.size());
  npz.add("frame_index", "<i8", {T}, frame_index_.data(), frame_index_.size() * 8);
  npz.add("timestamp", "<f8", {T}, timestamp_.data(), timestamp_.size() * 8);
  npz.write(path);
}

}  // namespace intershape::core::exporters
