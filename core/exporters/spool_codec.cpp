#include "core/exporters/spool_codec.h"

namespace intershape::core::exporters {
namespace {

constexpr uint32_t kNpz = 1, kGlbFrames = 2, kRigGlb = 4, kBvh = 8, kPoseCorrectives = 16;

void encode_model(const mano::ManoModel& m, SpoolWriter& w) {
  w.u32(m.is_left ? 1 : 0);
  w.vec(m.v_template);
  w.vec(m.shapedirs);
  w.vec(m.posedirs);
  w.vec(m.j_regressor);
  w.vec(m.lbs_weights);
  w.vec(m.parents);
  w.vec(m.faces);
  w.vec(m.hand_mean);
  w.raw(m.transl.data(), sizeof m.transl);
  w.vec(std::vector<char>(m.source.begin(), m.source.end()));
}

mano::ManoModel decode_model(SpoolReader& r) {
  mano::ManoModel m;
  m.is_left = r.u32() != 0;
  m.v_template = r.vec<float>();
  m.shapedirs = r.vec<float>();
  m.posedirs = r.vec<float>();
  m.j_regressor = r.vec<float>();
  m.lbs_weights = r.vec<float>();
  m.parents = r.vec<int32_t>();
  m.faces = r.vec<int32_t>();
  m.hand_mean = r.vec<float>();
  r.raw(m.transl.data(), sizeof m.transl);
  const std::vector<char> source = r.vec<char>();
  m.source.assign(source.begin(), source.end());
  return m;
}

bool faces_ok(const std::vector<int32_t>& faces) {
  if (faces.size() != size_t{mano::kFaces} * 3) return false;
  for (const int32_t v : faces)
    if (v < 0 || v >= mano::kVertices) return false;
  return true;
}

// The sizes every MANO model of this program has (mano_model.h).
std::string model_problem(const mano::ManoModel& m) {
  const size_t V = mano::kVertices, J = mano::kSkeletonJoints;
  if (m.v_template.size() != V * 3 || m.shapedirs.size() != V * 3 * mano::kShapeComponents ||
      m.posedirs.size() != V * 3 * mano::kPoseFeatures || m.j_regressor.size() != J * V ||
      m.lbs_weights.size() != V * J || m.parents.size() != J || m.hand_mean.size() != 45)
    return "not MANO's array sizes";
  if (!faces_ok(m.faces)) return "bad triangles";
  for (size_t j = 0; j < J; ++j)
    if (m.parents[j] >= static_cast<int32_t>(j) || (j > 0 && m.parents[j] < 0))
      return "a bad kinematic tree";
  return {};
}

}  // namespace

uint32_t fnv1a(const uint8_t* p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

void check_spool_config(const SpoolConfig& c, const std::string& path) {
  if (c.glb_frames && !(faces_ok(c.faces[0]) && faces_ok(c.faces[1])))
    throw formats::ExportError("cannot write " + path + ": expected 1540x3 faces per hand");
  if (!c.rig()) return;
  if (!c.models) throw formats::ExportError("cannot write " + path + ": glb/bvh need the MANO models");
  for (const mano::ManoModel* m : {&c.models->right, &c.models->left}) {
    const std::string problem = model_problem(*m);
    if (!problem.empty())
      throw formats::ExportError(path + ": the " + (m->is_left ? "left" : "right") +
                                 " MANO model has " + problem);
  }
}

void encode_spool_config(const SpoolConfig& c, SpoolWriter& w) {
  w.u32((c.npz ? kNpz : 0) | (c.glb_frames ? kGlbFrames : 0) | (c.rig_glb ? kRigGlb : 0) |
        (c.bvh ? kBvh : 0) | (c.pose_correctives ? kPoseCorrectives : 0));
  if (c.glb_frames)
    for (const auto& f : c.faces) w.vec(f);
  if (c.rig()) {
    encode_model(c.models->right, w);
    encode_model(c.models->left, w);
  }
}

SpoolConfig decode_spool_config(SpoolReader& r) {
  SpoolConfig c;
  const uint32_t flags = r.u32();
  c.npz = flags & kNpz;
  c.glb_frames = flags & kGlbFrames;
  c.rig_glb = flags & kRigGlb;
  c.bvh = flags & kBvh;
  c.pose_correctives = flags & kPoseCorrectives;
  if (c.glb_frames)
    for (auto& f : c.faces) f = r.vec<int32_t>();
  if (c.rig()) {
    auto pair = std::make_shared<mano::ManoPair>();
    pair->right = decode_model(r);
    pair->left = decode_model(r);
    c.models = std::move(pair);
  }
  r.expect_end();
  return c;
}

void encode_network(const FrameResult& r, SpoolWriter& w, const std::string& path) {
  for (int h = 0; h < 2; ++h) {
    const HandOutput& hand = r.output.hands[h];
    if (hand.verts3d.size() != size_t{kVertsPerHand} * 3 ||
        hand.joints3d.size() != size_t{kJointsPerHand} * 3)
      throw formats::ExportError("cannot write " + path + ": frame " + std::to_string(r.frame->index) +
                                 " has " + std::to_string(hand.verts3d.size()) + " vertex and " +
                                 std::to_string(hand.joints3d.size()) + " joint values for the " +
                                 hand_name(static_cast<Hand>(h)) + " hand, expected 778x3 and 21x3");
    w.raw(hand.verts3d.data(), hand.verts3d.size() * 4);
    w.raw(hand.joints3d.data(), hand.joints3d.size() * 4);
    w.raw(hand.params.pose.data(), hand.params.pose.size() * 4);
    w.raw(hand.params.shape.data(), hand.params.shape.size() * 4);
    w.raw(&hand.presence, 4);
  }
  w.raw(r.output.trans.data(), sizeof r.output.trans);
  w.raw(r.keypoints_frame.data(), sizeof r.keypoints_frame);
  w.raw(r.output.xyc.data(), sizeof r.output.xyc);
}

void decode_network(SpoolReader& r, FrameResult& out) {
  for (int h = 0; h < 2; ++h) {
    HandOutput& hand = out.output.hands[h];
    hand.verts3d.resize(size_t{kVertsPerHand} * 3);
    hand.joints3d.resize(size_t{kJointsPerHand} * 3);
    r.raw(hand.verts3d.data(), hand.verts3d.size() * 4);
    r.raw(hand.joints3d.data(), hand.joints3d.size() * 4);
    r.raw(hand.params.pose.data(), hand.params.pose.size() * 4);
    r.raw(hand.params.shape.data(), hand.params.shape.size() * 4);
    r.raw(&hand.presence, 4);
  }
  r.raw(out.output.trans.data(), sizeof out.output.trans);
  r.raw(out.keypoints_frame.data(), sizeof out.keypoints_frame);
  r.raw(out.output.xyc.data(), sizeof out.output.xyc);
}

void encode_detections(const detect::DetectionRow& d, SpoolWriter& w) {
  w.raw(&d.count, 4);
  w.raw(d.handedness.data(), sizeof d.handedness);
  w.raw(d.handedness_score.data(), sizeof d.handedness_score);
  w.raw(d.presence.data(), sizeof d.presence);
  w.raw(d.palm_score.data(), sizeof d.palm_score);
  w.raw(d.landmarks.data(), sizeof d.landmarks);
  w.raw(d.world.data(), sizeof d.world);
  w.raw(d.palm_box.data(), sizeof d.palm_box);
}

detect::DetectionRow decode_detections(SpoolReader& r) {
  detect::DetectionRow d;
  r.raw(&d.count, 4);
  r.raw(d.handedness.data(), sizeof d.handedness);
  r.raw(d.handedness_score.data(), sizeof d.handedness_score);
  r.raw(d.presence.data(), sizeof d.presence);
  r.raw(d.palm_score.data(), sizeof d.palm_score);
  r.raw(d.landmarks.data(), sizeof d.landmarks);
  r.raw(d.world.data(), sizeof d.world);
  r.raw(d.palm_box.data(), sizeof d.palm_box);
  return d;
}

void encode_camera(const CameraIntrinsics& c, SpoolWriter& w) {
  for (const double v : {c.fx, c.fy, c.cx, c.cy}) w.raw(&v, 8);
  w.raw(&c.width, 4);
  w.raw(&c.height, 4);
}

CameraIntrinsics decode_camera(SpoolReader& r) {
  CameraIntrinsics c;
  for (double* v : {&c.fx, &c.fy, &c.cx, &c.cy}) r.raw(v, 8);
  r.raw(&c.width, 4);
  r.raw(&c.height, 4);
  return c;
}

}  // namespace intershape::core::exporters
