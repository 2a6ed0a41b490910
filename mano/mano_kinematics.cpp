#include "mano/mano_kinematics.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace intershape::mano {

const std::array<const char*, 21>& joint_names() {
  static const std::array<const char*, 21> names = {
      "wrist",  "index1", "index2",    "index3",    "middle1",    "middle2",  "middle3",
      "pinky1", "pinky2", "pinky3",    "ring1",     "ring2",      "ring3",    "thumb1",
      "thumb2", "thumb3", "thumb_tip", "index_tip", "middle_tip", "ring_tip", "pinky_tip"};
  return names;
}

Mat3 rodrigues(const double* aa) {
  // smplx: angle = |r + 1e-8|, direction = r / angle.
  const double ax = aa[0] + 1e-8, ay = aa[1] + 1e-8, az = aa[2] + 1e-8;
  const double angle = std::sqrt(ax * ax + ay * ay + az * az);
  const double x = aa[0] / angle, y = aa[1] / angle, z = aa[2] / angle;
  const double s = std::sin(angle), c1 = 1 - std::cos(angle);
  // I + s K + (1 - c) K^2, K the cross-product matrix of (x, y, z).
  const Mat3 k = {0, -z, y, z, 0, -x, -y, x, 0};
  const Mat3 k2 = mat_mul(k, k);
  Mat3 r{};
  for (int i = 0; i < 9; ++i) r[i] = (i % 4 == 0 ? 1.0 : 0.0) + s * k[i] + c1 * k2[i];
  return r;
}

Mat3 mat_mul(const Mat3& a, const Mat3& b) {
  Mat3 c{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      c[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
  return c;
}

Quat quat_from_mat(const Mat3& m) {
  // Shepperd's method: the largest of w, x, y, z first, for accuracy near pi.
  const double tr = m[0] + m[4] + m[8];
  Quat q{};
  if (tr > 0) {
    const double s = std::sqrt(tr + 1.0) * 2;
    q = {(m[7] - m[5]) / s, (m[2] - m[6]) / s, (m[3] - m[1]) / s, 0.25 * s};
  } else if (m[0] > m[4] && m[0] > m[8]) {
    const double s = std::sqrt(1.0 + m[0] - m[4] - m[8]) * 2;
    q = {0.25 * s, (m[1] + m[3]) / s, (m[2] + m[6]) / s, (m[7] - m[5]) / s};
  } else if (m[4] > m[8]) {
    const double s = std::sqrt(1.0 + m[4] - m[0] - m[8]) * 2;
    q = {(m[1] + m[3]) / s, 0.25 * s, (m[5] + m[7]) / s, (m[2] - m[6]) / s};
  } else {
    const double s = std::sqrt(1.0 + m[8] - m[0] - m[4]) * 2;
    q = {(m[2] + m[6]) / s, (m[5] + m[7]) / s, 0.25 * s, (m[3] - m[1]) / s};
  }
  const double n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  for (double& v : q) v /= n;
  if (q[3] < 0)
    for (double& v : q) v = -v;
  return q;
}

Mat3 mat_from_quat(const Quat& q) {
  const double x = q[0], y = q[1], z = q[2], w = q[3];
  return {1 - 2 * (y * y + z * z), 2 * (x * y - z * w),     2 * (x * z + y * w),
          2 * (x * y + z * w),     1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
          2 * (x * z - y * w),     2 * (y * z + x * w),     1 - 2 * (x * x + y * y)};
}

std::array<double, 3> axis_angle_from_mat(const Mat3& r) {
  const Quat q = quat_from_mat(r);  // w >= 0: angle in [0, pi]
  const double sn = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]);
  if (sn < 1e-12) return {0, 0, 0};
  const double angle = 2 * std::atan2(sn, q[3]);
  return {q[0] / sn * angle, q[1] / sn * angle, q[2] / sn * angle};
}

std::array<Mat3, 16> local_rotations(const ManoModel& model, const float* pose48) {
  if (model.hand_mean.size() != 45) throw std::invalid_argument("MANO: hand_mean is not [45]");
  std::array<Mat3, 16> r{};
  for (int j = 0; j < 16; ++j) {
    double aa[3];
    for (int c = 0; c < 3; ++c)
      aa[c] = double(pose48[j * 3 + c]) + (j > 0 ? double(model.hand_mean[(j - 1) * 3 + c]) : 0.0);
    r[j] = rodrigues(aa);
  }
  return r;
}

ShapedHand shape_hand(const ManoModel& model, const float* betas) {
  ShapedHand s;
  s.verts.resize(kVertices * 3);
  for (int i = 0; i < kVertices * 3; ++i) {
    double v = model.v_template[i];
    for (int b = 0; b < kShapeComponents; ++b)
      v += double(model.shapedirs[size_t(i) * kShapeComponents + b]) * betas[b];
    s.verts[i] = v;
  }
  s.joints.assign(16 * 3, 0.0);
  for (int j = 0; j < 16; ++j)
    for (int v = 0; v < kVertices; ++v) {
      const double w = model.j_regressor[size_t(j) * kVertices + v];
      if (w == 0) continue;
      for (int c = 0; c < 3; ++c) s.joints[j * 3 + c] += w * s.verts[v * 3 + c];
    }
  return s;
}

PosedHand pose_hand(const ManoModel& model, const ShapedHand& shaped, const float* pose48,
                    bool pose_correctives) {
  const std::array<Mat3, 16> rot = local_rotations(model, pose48);
  std::vector<double> v = shaped.verts;
  if (pose_correctives) {
    // posedirs [135, 778*3] against the features (R_j - I), j = 1..15, row-major.
    for (int f = 0; f < kPoseFeatures; ++f) {
      const int j = 1 + f / 9, e = f % 9;
      const double feat = rot[j][e] - (e % 4 == 0 ? 1.0 : 0.0);
      if (feat == 0) continue;
      const float* row = &model.posedirs[size_t(f) * kVertices * 3];
      for (int i = 0; i < kVertices * 3; ++i) v[i] += feat * row[i];
    }
  }
  // World transforms G_j = G_parent * [R_j | J_j - J_parent]; skinning uses
  // G_j with the rest joint removed: A_j = [R | t - R J_j].
  std::array<Mat3, 16> gr{};
  std::array<std::array<double, 3>, 16> gt{};
  const auto& J = shaped.joints;
  for (int j = 0; j < 16; ++j) {
    const int p = model.parents[j];
    if (p < 0) {
      gr[j] = rot[j];
      gt[j] = {J[0], J[1], J[2]};
    } else {
      gr[j] = mat_mul(gr[p], rot[j]);
      const double d[3] = {J[j * 3] - J[p * 3], J[j * 3 + 1] - J[p * 3 + 1],
                           J[j * 3 + 2] - J[p * 3 + 2]};
      for (int c = 0; c < 3; ++c)
        gt[j][c] =
            gt[p][c] + gr[p][c * 3] * d[0] + gr[p][c * 3 + 1] * d[1] + gr[p][c * 3 + 2] * d[2];
    }
  }
  std::array<std::array<double, 12>, 16> a{};
  for (int j = 0; j < 16; ++j)
    for (int c = 0; c < 3; ++c) {
      for (int k = 0; k < 3; ++k) a[j][c * 4 + k] = gr[j][c * 3 + k];
      a[j][c * 4 + 3] = gt[j][c] - (gr[j][c * 3] * J[j * 3] + gr[j][c * 3 + 1] * J[j * 3 + 1] +
                                    gr[j][c * 3 + 2] * J[j * 3 + 2]);
    }
  PosedHand out;
  out.verts.resize(kVertices * 3);
  const double* tr = nullptr;
  const double t[3] = {model.transl[0], model.transl[1], model.transl[2]};
  tr = t;
  for (int i = 0; i < kVertices; ++i) {
    double m[12] = {};
    for (int j = 0; j < 16; ++j) {
      const double w = model.lbs_weights[size_t(i) * 16 + j];
      if (w == 0) continue;
      for (int e = 0; e < 12; ++e) m[e] += w * a[j][e];
    }
    for (int c = 0; c < 3; ++c)
      out.verts[i * 3 + c] = m[c * 4] * v[i * 3] + m[c * 4 + 1] * v[i * 3 + 1] +
                             m[c * 4 + 2] * v[i * 3 + 2] + m[c * 4 + 3] + tr[c];
  }
  out.joints.resize(21 * 3);
  for (int j = 0; j < 16; ++j)
    for (int c = 0; c < 3; ++c) out.joints[j * 3 + c] = gt[j][c] + tr[c];
  for (int k = 0; k < 5; ++k)
    for (int c = 0; c < 3; ++c)
      out.joints[(16 + k) * 3 + c] = out.verts[kFingertipVertices[k] * 3 + c];
  return out;
}

}  // namespace intershape::mano
