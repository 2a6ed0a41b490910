#include "core/eval/protocol.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>

namespace intershape::core::eval {

const std::array<std::string, kJoints>& joint_names() {
  static const std::array<std::string, kJoints> names = [] {
    // The reference's generate_mano_skeleton(): finger f, level k (1..4) ->
    // joint index; 0 is the wrist.
    const char* fingers[5] = {"thumb", "index", "middle", "ring", "pinky"};
    const int level[4][5] = {
        {13, 1, 4, 10, 7}, {14, 2, 5, 11, 8}, {15, 3, 6, 12, 9}, {16, 17, 18, 19, 20}};
    std::array<std::string, kJoints> n;
    for (int h = 0; h < 2; ++h) {
      const std::string prefix = h == 0 ? "r_" : "l_";
      n[h * kHandJoints] = prefix + "wrist";
      for (int k = 0; k < 4; ++k)
        for (int f = 0; f < 5; ++f)
          n[h * kHandJoints + level[k][f]] = prefix + fingers[f] + std::to_string(k + 1);
    }
    return n;
  }();
  return names;
}

std::vector<EvalSample> build_eval_list(const Annotations& a) {
  std::vector<EvalSample> out;
  for (size_t i = 0; i < a.samples.size(); ++i) {
    const Sample& s = a.samples[i];
    if (s.hand_type == "right" || s.hand_type == "left") continue;  // use_sh = False
    const FrameFits* fits = a.fits_of(s);
    if (!fits) continue;  // frame absent from the MANO file
    EvalSample e;
    e.ann = i;
    e.joint_valid = s.joint_valid;
    // The reference's "root and wrist valid" product, with reference-order
    // indices (4, 0 / 25, 21) applied to the InterHand-order flags.
    const float right = e.joint_valid[4] * e.joint_valid[0];
    const float left = e.joint_valid[25] * e.joint_valid[21];
    for (int j = 0; j < kHandJoints; ++j) e.joint_valid[j] *= right;
    for (int j = kHandJoints; j < kJoints; ++j) e.joint_valid[j] *= left;
    for (int h = 0; h < 2; ++h) {
      e.mano_valid[h] = fits->hands[h] ? 1.f : 0.f;
      if (!fits->hands[h])
        for (int j = 0; j < kHandJoints; ++j) e.joint_valid[h * kHandJoints + j] = 0.f;
    }
    e.bbox_processed = process_bbox(s.bbox);
    out.push_back(e);
  }
  return out;
}

std::array<float, 4> process_bbox(const std::array<float, 4>& bbox) {
  // numpy float32 scalars combined with Python floats give float64; each
  // assignment into the float32 array rounds.
  double w = bbox[2], h = bbox[3];
  const double cx = static_cast<double>(bbox[0]) + w / 2.0;
  const double cy = static_cast<double>(bbox[1]) + h / 2.0;
  const double aspect = 1.0;  // 256 / 256
  if (w > aspect * h)
    h = w / aspect;
  else if (w < aspect * h)
    w = h * aspect;
  std::array<float, 4> out;
  out[2] = static_cast<float>(w * 1.25);
  out[3] = static_cast<float>(h * 1.25);
  out[0] = static_cast<float>(cx - static_cast<double>(out[2]) / 2.0);
  out[1] = static_cast<float>(cy - static_cast<double>(out[3]) / 2.0);
  return out;
}

cv::Mat crop_affine(const std::array<float, 4>& box, bool inverse) {
  // gen_trans_from_patch_cv(scale 1, rotation 0): float32 points.
  const double cx = static_cast<double>(box[0]) + 0.5 * static_cast<double>(box[2]);
  const double cy = static_cast<double>(box[1]) + 0.5 * static_cast<double>(box[3]);
  const float half_w = static_cast<float>(static_cast<double>(box[2]) * 0.5);
  const float half_h = static_cast<float>(static_cast<double>(box[3]) * 0.5);
  const cv::Point2f c(static_cast<float>(cx), static_cast<float>(cy));
  const cv::Point2f src[3] = {c, {c.x + 0.f, c.y + half_h}, {c.x + half_w, c.y + 0.f}};
  const cv::Point2f dst[3] = {{128.f, 128.f}, {128.f, 256.f}, {256.f, 128.f}};
  cv::Mat m = inverse ? cv::getAffineTransform(dst, src) : cv::getAffineTransform(src, dst);
  cv::Mat m32;
  m.convertTo(m32, CV_32F);
  return m32;
}

void crop_input(const cv::Mat& bgr, const std::array<float, 4>& box, float* out) {
  cv::Mat rgb, rgbf, patch;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  rgb.convertTo(rgbf, CV_32FC3);  // float before warping: the output is never rounded
  cv::warpAffine(rgbf, patch, crop_affine(box), cv::Size(kCrop, kCrop), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
  constexpr int kPlane = kCrop * kCrop;
  for (int y = 0; y < kCrop; ++y) {
    const float* row = patch.ptr<float>(y);
    for (int x = 0; x < kCrop; ++x)
      for (int c = 0; c < 3; ++c) {
        const float v = std::min(std::max(row[3 * x + c], 0.f), 255.f);
        out[c * kPlane + y * kCrop + x] = v / 255.f;
      }
  }
}

void world_to_camera(const Camera& cam, const float* world, float* out, int n) {
  for (int i = 0; i < n; ++i) {
    const float d[3] = {world[3 * i] - cam.campos[0], world[3 * i + 1] - cam.campos[1],
                        world[3 * i + 2] - cam.campos[2]};
    for (int r = 0; r < 3; ++r)
      out[3 * i + r] = cam.camrot[3 * r] * d[0] + cam.camrot[3 * r + 1] * d[1] +
                       cam.camrot[3 * r + 2] * d[2];
  }
}

namespace {

float dist3(const float* a, const float* b) {
  const float dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
  return std::sqrt(dx * dx + dy * dy + dz * dz);
}

}  // namespace

SampleScore score_sample(const float* P, const float* V, const float* G,
                         const std::array<float, kJoints>& joint_valid,
                         const std::array<float, 2>& mano_valid,
                         const std::array<const float*, 2>& gt_verts,
                         std::vector<float>* vertex_errors) {
  SampleScore s;
  if (vertex_errors)
    vertex_errors->assign(2 * kHandVerts, std::numeric_limits<float>::quiet_NaN());
  for (int h = 0; h < 2; ++h) {
    const int r = kRoot[h], w = kWrist[h];
    const float gt_len = dist3(G + 3 * r, G + 3 * w);
    const float pred_len = dist3(P + 3 * r, P + 3 * w);
    const float scale = gt_len / pred_len;
    const float* pr = P + 3 * r;
    const float* gr = G + 3 * r;
    if (mano_valid[h] != 0.f && gt_verts[h]) {
      double sum = 0;
      for (int v = 0; v < kHandVerts; ++v) {
        const float* pv = V + 3 * (h * kHandVerts + v);
        float a[3];
        for (int k = 0; k < 3; ++k) a[k] = (pv[k] - pr[k]) * scale + gr[k];
        const float e = dist3(a, gt_verts[h] + 3 * v);
        sum += e;
        if (vertex_errors) (*vertex_errors)[h * kHandVerts + v] = e;
      }
      s.vertex_error_sum[h] = sum;
      s.hand_counted[h] = 1;
    }
    for (int j = h * kHandJoints; j < (h + 1) * kHandJoints; ++j)
      for (int k = 0; k < 3; ++k) s.aligned[3 * j + k] = (P[3 * j + k] - pr[k]) * scale + gr[k];
  }
  for (int j = 0; j < kJoints; ++j)
    s.joint_error[j] = joint_valid[j] != 0.f ? dist3(s.aligned.data() + 3 * j, G + 3 * j)
                                             : std::numeric_limits<float>::quiet_NaN();
  return s;
}

namespace {

std::vector<double> linspace(double lo, double hi, int n) {
  std::vector<double> t(static_cast<size_t>(n));
  const double step = (hi - lo) / (n - 1);
  for (int i = 0; i < n; ++i) t[static_cast<size_t>(i)] = i * step + lo;
  t.back() = hi;
  return t;
}

double trapz(const double* y, const double* x, size_t n) {
  double sum = 0;
  for (size_t i = 0; i + 1 < n; ++i) sum += (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0;
  return sum;
}

double calc_auc(const std::vector<double>& x, const std::vector<double>& y, size_t lo, size_t hi) {
  std::vector<double> ones(hi - lo, 1.0);
  return trapz(y.data() + lo, x.data() + lo, hi - lo) / trapz(ones.data(), x.data() + lo, hi - lo);
}

// EvalUtil.get_measures: per joint with data, PCK curve and its AUC; means over joints.
struct Measures {
  double epe_mean = 0, epe_median = 0, auc = 0;
  std::vector<double> curve, thresholds;
};

Measures get_measures(const std::vector<std::vector<float>>& sorted, double lo, double hi,
                      int steps) {
  Measures m;
  m.thresholds = linspace(lo, hi, steps);
  std::vector<double> ones(m.thresholds.size(), 1.0);
  const double norm = trapz(ones.data(), m.thresholds.data(), ones.size());
  m.curve.assign(m.thresholds.size(), 0.0);
  int used = 0;
  double sum_mean = 0, sum_median = 0, sum_auc = 0;
  for (const std::vector<float>& d : sorted) {
    if (d.empty()) continue;
    ++used;
    double total = 0;
    for (float e : d) total += e;
    sum_mean += total / static_cast<double>(d.size());
    const size_t n = d.size();
    sum_median += n % 2 ? d[n / 2] : (static_cast<double>(d[n / 2 - 1]) + d[n / 2]) / 2.0;
    std::vector<double> pck(m.thresholds.size());
    for (size_t i = 0; i < pck.size(); ++i) {
      // count of errors <= t (float errors compared as doubles, as numpy does)
      const double t = m.thresholds[i];
      const size_t count = static_cast<size_t>(
          std::upper_bound(d.begin(), d.end(), t,
                           [](double tv, float e) { return tv < static_cast<double>(e); }) -
          d.begin());
      pck[i] = static_cast<double>(count) / static_cast<double>(n);
      m.curve[i] += pck[i];
    }
    sum_auc += trapz(pck.data(), m.thresholds.data(), pck.size()) / norm;
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (used == 0) {
    m.epe_mean = m.epe_median = m.auc = nan;
    for (double& c : m.curve) c = nan;
    return m;
  }
  m.epe_mean = sum_mean / used;
  m.epe_median = sum_median / used;
  m.auc = sum_auc / used;
  for (double& c : m.curve) c /= used;
  return m;
}

}  // namespace

Metrics compute_metrics(const std::vector<const SampleScore*>& scores) {
  Metrics m;
  m.samples = static_cast<int64_t>(scores.size());
  std::vector<std::vector<float>> errors(kJoints);
  double vsum = 0;
  for (const SampleScore* s : scores) {
    for (int j = 0; j < kJoints; ++j)
      if (!std::isnan(s->joint_error[j])) errors[j].push_back(s->joint_error[j]);
    for (int h = 0; h < 2; ++h)
      if (s->hand_counted[h]) {
        vsum += s->vertex_error_sum[h];
        ++m.mpvpe_hands_counted;
      }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  double total = 0, instance_sum = 0;
  int64_t instances = 0;
  for (int j = 0; j < kJoints; ++j) {
    m.mpjpe_valid_counts[j] = static_cast<int64_t>(errors[j].size());
    double sum = 0;
    for (float e : errors[j]) sum += e;
    instance_sum += sum;
    instances += static_cast<int64_t>(errors[j].size());
    m.mpjpe_per_joint[j] = errors[j].empty() ? nan : sum / static_cast<double>(errors[j].size());
    total += m.mpjpe_per_joint[j];
    std::sort(errors[j].begin(), errors[j].end());
  }
  m.mpjpe = total / kJoints;
  m.mpjpe_over_valid_instances = instances ? instance_sum / static_cast<double>(instances) : nan;
  m.mpvpe = m.mpvpe_hands_counted ? vsum / (static_cast<double>(m.mpvpe_hands_counted) * kHandVerts)
                                  : nan;
  const Measures m50 = get_measures(errors, 0, 50, 200);
  m.auc_0_50 = m50.auc;
  m.epe_mean = m50.epe_mean;
  m.epe_median = m50.epe_median;
  m.thresholds_0_50 = m50.thresholds;
  m.pck_curve_0_50 = m50.curve;
  m.auc_20_50 = calc_auc(m50.thresholds, m50.curve, 80, 200);
  m.auc_0_30 = calc_auc(m50.thresholds, m50.curve, 0, 120);
  m.auc_0_100 = get_measures(errors, 0, 100, 200).auc;
  return m;
}

}  // namespace intershape::core::eval
