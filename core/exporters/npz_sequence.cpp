#include "core/exporters/npz_sequence.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/formats/atomic_file.h"
#include "core/formats/npz_writer.h"

namespace intershape::core::exporters {

FloatColumn::~FloatColumn() {
  if (fd_ >= 0) ::close(fd_);
}

void FloatColumn::spill_to(const std::string& dir) {
  dir_ = dir;
#ifdef O_TMPFILE
  fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
  if (fd_ < 0) {  // a file system without O_TMPFILE: a named one, unlinked at once
    std::string name = dir + "/.npz_column.XXXXXX";
    fd_ = ::mkstemp(name.data());
    if (fd_ >= 0) ::unlink(name.c_str());
  }
  if (fd_ < 0)
    throw formats::ExportError("cannot write a temporary file in " + dir + ": " + std::strerror(errno));
}

void FloatColumn::append(const float* p, size_t n) {
  if (fd_ < 0) {
    memory_.insert(memory_.end(), p, p + n);
    return;
  }
  const auto* b = reinterpret_cast<const char*>(p);
  size_t left = n * sizeof(float);
  while (left > 0) {
    const ssize_t k = ::write(fd_, b, left);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0)
      throw formats::ExportError("cannot write a temporary file in " + dir_ + ": " +
                                 std::strerror(k < 0 ? errno : ENOSPC));
    b += k;
    left -= static_cast<size_t>(k);
  }
  bytes_ += n * sizeof(float);
}

void FloatColumn::add_to(formats::NpzBuilder& npz, const std::string& name,
                         const std::vector<int64_t>& shape) const {
  if (fd_ >= 0)
    npz.add_from_fd(name, "<f4", shape, fd_, bytes_);
  else
    npz.add(name, shape, memory_);
}

NpzSequence::NpzSequence(const std::string& spill_dir) {
  for (HandArrays& a : hands_)
    for (FloatColumn* c : {&a.verts, &a.joints, &a.pose, &a.shape, &a.presence}) c->spill_to(spill_dir);
  for (FloatColumn* c : {&trans_, &keypoints2d_, &heatmap_xyc_}) c->spill_to(spill_dir);
}

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
    a.verts.append(hand.verts3d.data(), hand.verts3d.size());
    a.joints.append(hand.joints3d.data(), hand.joints3d.size());
    a.pose.append(hand.params.pose.data(), hand.params.pose.size());
    a.shape.append(hand.params.shape.data(), hand.params.shape.size());
    a.presence.append(&hand.presence, 1);
  }
  trans_.append(r.output.trans.data(), r.output.trans.size());
  keypoints2d_.append(r.keypoints_frame[0].data(), size_t{kJoints} * 3);
  heatmap_xyc_.append(r.output.xyc[0].data(), size_t{kJoints} * 3);
}

void NpzSequence::write(const std::string& path) const {
  const int64_t T = static_cast<int64_t>(frame_index_.size());
  if (T == 0) throw formats::ExportError("cannot write " + path + ": no frames");
  formats::NpzBuilder npz;
  for (int h = 0; h < 2 && network_frames_ > 0; ++h) {
    const std::string p = hand_name(static_cast<Hand>(h));
    const HandArrays& a = hands_[h];
    a.verts.add_to(npz, p + "_verts", {T, kVertsPerHand, 3});
    a.joints.add_to(npz, p + "_joints", {T, kJointsPerHand, 3});
    a.pose.add_to(npz, p + "_pose", {T, kPoseDim});
    a.shape.add_to(npz, p + "_shape", {T, kShapeDim});
    // The schema: `_present` is the hand-type probability itself, so a
    // user picks their own threshold.
    a.presence.add_to(npz, p + "_present", {T});
  }
  if (network_frames_ > 0) {
    trans_.add_to(npz, "trans", {T, 4});
    keypoints2d_.add_to(npz, "keypoints2d", {T, kJoints, 3});
    heatmap_xyc_.add_to(npz, "heatmap_xyc", {T, kJoints, 3});
  }
  if (any_detections_)
    for (const detect::NamedArray& a : detections_.arrays())
      npz.add(a.name, a.descr, a.shape, a.bytes.data(), a.bytes.size());
  npz.add("frame_index", "<i8", {T}, frame_index_.data(), frame_index_.size() * 8);
  npz.add("timestamp", "<f8", {T}, timestamp_.data(), timestamp_.size() * 8);
  npz.write(path);
}

}  // namespace intershape::core::exporters
