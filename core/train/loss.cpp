#include "core/train/loss.h"

namespace intershape::core::train {
namespace {

using torch::indexing::None;
using torch::indexing::Slice;

// Bone table (loss.py JOINT_LEVEL_IDX): rows = levels 0..3 (wrist, then
// three joints up each finger), columns = thumb, index, middle, ring, pinky.
// A bone goes from level k to level k + 1.
const int64_t kLevels[4][5] = {
    {0, 0, 0, 0, 0}, {13, 1, 4, 10, 7}, {14, 2, 5, 11, 8}, {15, 3, 6, 12, 9}};

torch::Tensor level_index(int from, int to, int64_t offset, const torch::Device& device) {
  std::vector<int64_t> idx;
  for (int l = from; l < to; ++l)
    for (int f = 0; f < 5; ++f) idx.push_back(kLevels[l][f] + offset);
  return torch::tensor(idx, torch::kInt64).to(device);
}

// x[..., idx, :] along `dim` for a [3 x 5] index table, reshaped to [..., 3, 5, ...].
torch::Tensor gather_levels(const torch::Tensor& x, int64_t dim, const torch::Tensor& idx) {
  torch::Tensor g = x.index_select(dim, idx);
  std::vector<int64_t> shape(g.sizes().begin(), g.sizes().end());
  shape[dim] = 3;
  shape.insert(shape.begin() + dim + 1, 5);
  return g.reshape(shape);
}

torch::Tensor masked(const torch::Tensor& valid, const torch::Tensor& value) {
  return torch::where(valid, value, torch::zeros_like(value));
}

}  // namespace

torch::Tensor LossTerms::total() const {
  torch::Tensor t = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) t = t + terms[i];
  return t;
}

LossTerms compute_loss(const TrainOutputs& out, const Targets& tg) {
  const torch::Device device = out.joints3d.device();
  const torch::Tensor& j = tg.joint_coord;
  const int64_t batch = j.size(0);
  const torch::Tensor ht = tg.hand_type.to(torch::kBool);
  const torch::Tensor child = level_index(1, 4, 0, device), parent = level_index(0, 3, 0, device);
  const torch::Tensor child_l = level_index(1, 4, 21, device),
                      parent_l = level_index(0, 3, 21, device);

  // Ground truth in each hand's normalised frame (no gradient).
  torch::Tensor gr, gl, gt_off_r, gt_off_l, gt_bone_r, gt_bone_l;
  {
    torch::NoGradGuard no_grad;
    torch::Tensor len_r = torch::norm(j.select(1, 4) - j.select(1, 0), 2, {-1});
    torch::Tensor len_l = torch::norm(j.select(1, 25) - j.select(1, 21), 2, {-1});
    gr = (j - j.narrow(1, 4, 1)) / len_r.view({-1, 1, 1});
    gl = (j - j.narrow(1, 25, 1)) / len_l.view({-1, 1, 1});
    gt_off_r = gr.narrow(1, 21, 21) - gr.narrow(1, 0, 21);
    gt_off_l = gl.narrow(1, 21, 21) - gl.narrow(1, 0, 21);
    gt_bone_r = torch::norm(gather_levels(gr, 1, child) - gather_levels(gr, 1, parent), 2, {-1});
    gt_bone_l =
        torch::norm(gather_levels(gl, 1, child_l) - gather_levels(gl, 1, parent_l), 2, {-1});
  }

  const torch::Tensor& p = out.joints3d;   // [B,S,42,3]
  const torch::Tensor& t = out.t_pose;     // [B,S,32,3]
  const torch::Tensor& shape = out.shape;  // [B,S,20]
  const torch::Tensor& tr = out.trans;     // [B,4]
  torch::Tensor len_r =
      torch::norm(t.select(2, 4) - t.select(2, 0), 2, {-1}).clamp_min(1e-8);  // [B,S]
  torch::Tensor len_l = torch::norm(t.select(2, 20) - t.select(2, 16), 2, {-1}).clamp_min(1e-8);
  torch::Tensor lr4 = len_r.unsqueeze(2).unsqueeze(3), ll4 = len_l.unsqueeze(2).unsqueeze(3);
  torch::Tensor nt_r = t.narrow(2, 0, 16) / lr4;
  torch::Tensor nt_l = t.narrow(2, 16, 16) / ll4;
  torch::Tensor nj_r = (p.narrow(2, 0, 21) - p.narrow(2, 4, 1)) / lr4;
  torch::Tensor nj_l = (p.narrow(2, 21, 21) - p.narrow(2, 25, 1)) / ll4;

  torch::Tensor t_xyz = tr.narrow(1, 1, 3).view({batch, 1, 1, 3});
  torch::Tensor t_s = tr.narrow(1, 0, 1).view({batch, 1, 1, 1});
  torch::Tensor right_frame = torch::cat({nj_r, (nj_l + t_xyz) * torch::exp(t_s)}, 2);
  torch::Tensor left_frame = torch::cat({nj_r * torch::exp(-t_s) - t_xyz, nj_l}, 2);
  torch::Tensor off_r = right_frame.narrow(2, 21, 21) - right_frame.narrow(2, 0, 21);
  torch::Tensor off_l = left_frame.narrow(2, 21, 21) - left_frame.narrow(2, 0, 21);

  torch::Tensor bone_r =
      torch::norm(gather_levels(nt_r, 2, child) - gather_levels(nt_r, 2, parent), 2, {-1});
  torch::Tensor bone_l =
      torch::norm(gather_levels(nt_l, 2, child) - gather_levels(nt_l, 2, parent), 2, {-1});

  const torch::Tensor jv = tg.joint_valid.to(torch::kBool).unsqueeze(-1);  // [B,42,1]
  const torch::Tensor mv = tg.mano_valid.to(torch::kBool);                 // [B,2]

  torch::Tensor offset_valid = (jv.narrow(1, 0, 21) & jv.narrow(1, 21, 21)).unsqueeze(1);
  torch::Tensor loss_off_r = masked(offset_valid, off_r - gt_off_r.unsqueeze(1));
  torch::Tensor loss_off_l = masked(offset_valid, off_l - gt_off_l.unsqueeze(1));

  torch::Tensor shape_r = shape.narrow(2, 0, 10), shape_l = shape.narrow(2, 10, 10);
  torch::Tensor both = (ht.select(1, 0) & ht.select(1, 1)).view({batch, 1, 1});
  torch::Tensor loss_consis = masked(both, shape_r - shape_l);

  torch::Tensor loss_joint_r =
      masked(jv.narrow(1, 0, 21).unsqueeze(1), nj_r - gr.narrow(1, 0, 21).unsqueeze(1));
  torch::Tensor loss_joint_l =
      masked(jv.narrow(1, 21, 21).unsqueeze(1), nj_l - gl.narrow(1, 21, 21).unsqueeze(1));

  torch::Tensor jv_flat = jv.squeeze(-1);  // [B,42]
  torch::Tensor bone_valid_r =
      (gather_levels(jv_flat, 1, child) & gather_levels(jv_flat, 1, parent)).unsqueeze(1);
  torch::Tensor bone_valid_l =
      (gather_levels(jv_flat, 1, child_l) & gather_levels(jv_flat, 1, parent_l)).unsqueeze(1);
  torch::Tensor loss_bone_r = masked(bone_valid_r, bone_r - gt_bone_r.unsqueeze(1));
  torch::Tensor loss_bone_l = masked(bone_valid_l, bone_l - gt_bone_l.unsqueeze(1));

  torch::Tensor beta_gt = tg.shape_param;
  torch::Tensor valid_sr = (ht.narrow(1, 0, 1) & mv.narrow(1, 0, 1)).unsqueeze(1);  // [B,1,1]
  torch::Tensor valid_sl = (ht.narrow(1, 1, 1) & mv.narrow(1, 1, 1)).unsqueeze(1);
  torch::Tensor loss_shape_r = masked(valid_sr, shape_r - beta_gt.narrow(1, 0, 10).unsqueeze(1));
  torch::Tensor loss_shape_l = masked(valid_sl, shape_l - beta_gt.narrow(1, 10, 10).unsqueeze(1));

  // The slice runs over the concatenated 96-vector: only the right hand's
  // global orientation is exempt (the reference's behaviour, kept).
  torch::Tensor reg = torch::sum(shape.pow(2)) + 0.1 * torch::sum(out.pose.narrow(2, 3, 93).pow(2));

  const double b = static_cast<double>(batch);
  LossTerms l;
  l.terms[0] = (loss_off_r.square().sum() + loss_off_l.square().sum()) / b * 1;
  l.terms[1] = loss_consis.square().sum() / b * 1e-2;
  l.terms[2] = (loss_joint_r.abs().sum() + loss_joint_l.abs().sum()) / b * 1e1;
  l.terms[3] = (loss_bone_r.square().sum() + loss_bone_l.square().sum()) / b * 1e2;
  l.terms[4] = (loss_shape_r.square().sum() + loss_shape_l.square().sum()) / b * 1e-1;
  l.terms[5] = reg / b * 1e-1;
  return l;
}

}  // namespace intershape::core::train
