#include "mano/mano_layer.h"

#include <stdexcept>
#include <string>

namespace intershape::mano {

namespace {

torch::Tensor host_tensor(const std::vector<float>& v, std::vector<int64_t> shape,
                          torch::Device device) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  if (static_cast<int64_t>(v.size()) != n) {
    throw std::invalid_argument("ManoLayer: model array of " + std::to_string(v.size()) +
                                " values for " + std::to_string(n) + " expected");
  }
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone().to(device);
}

// smplx lbs.batch_rodrigues: [N, 3] axis-angle -> [N, 3, 3].
torch::Tensor batch_rodrigues(const torch::Tensor& rot_vecs) {
  const int64_t n = rot_vecs.size(0);
  const auto opts = rot_vecs.options();
  torch::Tensor angle = torch::norm(rot_vecs + 1e-8, 2, {1}, /*keepdim=*/true);
  torch::Tensor rot_dir = rot_vecs / angle;
  torch::Tensor cos = torch::unsqueeze(torch::cos(angle), 1);
  torch::Tensor sin = torch::unsqueeze(torch::sin(angle), 1);
  std::vector<torch::Tensor> r = torch::split(rot_dir, 1, 1);
  const torch::Tensor& rx = r[0];
  const torch::Tensor& ry = r[1];
  const torch::Tensor& rz = r[2];
  torch::Tensor zeros = torch::zeros({n, 1}, opts);
  torch::Tensor k = torch::cat({zeros, -rz, ry, rz, zeros, -rx, -ry, rx, zeros}, 1).view({n, 3, 3});
  torch::Tensor ident = torch::eye(3, opts).unsqueeze(0);
  return ident + sin * k + (1 - cos) * torch::bmm(k, k);
}

// smplx lbs.transform_mat: [N,3,3], [N,3,1] -> [N,4,4].
torch::Tensor transform_mat(const torch::Tensor& r, const torch::Tensor& t) {
  namespace F = torch::nn::functional;
  return torch::cat({F::pad(r, F::PadFuncOptions({0, 0, 0, 1})),
                     F::pad(t, F::PadFuncOptions({0, 0, 0, 1}).value(1))},
                    2);
}

}  // namespace

ManoLayer::ManoLayer(const ManoModel& model, torch::Device device)
    : model_(model), device_(device) {
  v_template_ = host_tensor(model.v_template, {kVertices, 3}, device);
  shapedirs_ = host_tensor(model.shapedirs, {kVertices, 3, kShapeComponents}, device);
  posedirs_ = host_tensor(model.posedirs, {kPoseFeatures, kVertices * 3}, device);
  j_regressor_ = host_tensor(model.j_regressor, {kSkeletonJoints, kVertices}, device);
  lbs_weights_ = host_tensor(model.lbs_weights, {kVertices, kSkeletonJoints}, device);
  hand_mean_ = host_tensor(model.hand_mean, {45}, device);
  transl_ =
      host_tensor(std::vector<float>(model.transl.begin(), model.transl.end()), {1, 3}, device);
  if (model.parents.size() != static_cast<size_t>(kSkeletonJoints) || model.parents[0] != -1) {
    throw std::invalid_argument("ManoLayer: bad parents in " + model.source);
  }
  for (int i = 1; i < kSkeletonJoints; ++i) {
    if (model.parents[i] < 0 || model.parents[i] >= i)
      throw std::invalid_argument("ManoLayer: bad parents in " + model.source);
  }
  parents_.assign(model.parents.begin(), model.parents.end());
  pose_mean_ = torch::cat({torch::zeros({3}, hand_mean_.options()), hand_mean_});
  parent_index_ =
      torch::tensor(std::vector<int64_t>(parents_.begin() + 1, parents_.end()), torch::kInt64)
          .to(device);
  tip_index_ =
      torch::tensor(std::vector<int64_t>(kFingertipVertices.begin(), kFingertipVertices.end()),
                    torch::kInt64)
          .to(device);
}

ManoLayer::Output ManoLayer::forward(const torch::Tensor& pose, const torch::Tensor& betas) const {
  return forward(pose, betas, transl_);
}

ManoLayer::Output ManoLayer::forward(const torch::Tensor& pose, const torch::Tensor& betas,
                                     const torch::Tensor& transl) const {
  if (transl.dim() != 2 || transl.size(1) != 3 ||
      (transl.size(0) != 1 && transl.size(0) != pose.size(0))) {
    throw std::invalid_argument("ManoLayer::forward: expected transl [1, 3] or [B, 3]");
  }
  if (pose.dim() != 2 || pose.size(1) != 48 || betas.dim() != 2 ||
      betas.size(1) != kShapeComponents || pose.size(0) != betas.size(0)) {
    throw std::invalid_argument("ManoLayer::forward: expected pose [B, 48] and betas [B, 10]");
  }
  if (pose.scalar_type() != torch::kFloat32 || betas.scalar_type() != torch::kFloat32) {
    throw std::invalid_argument("ManoLayer::forward: pose and betas must be float32");
  }
  // "cuda" (no index) matches any CUDA tensor's "cuda:N".
  auto on_device = [&](const torch::Tensor& t) {
    return t.device().type() == device_.type() &&
           (!device_.has_index() || t.device().index() == device_.index());
  };
  if (!on_device(pose) || !on_device(betas)) {
    throw std::invalid_argument(
        "ManoLayer::forward: pose and betas must be on the layer's device " + device_.str());
  }
  const int64_t b = pose.size(0);
  const auto opts = pose.options();

  // full pose = [global orient, finger pose + hand_mean]
  torch::Tensor full_pose = pose + pose_mean_;

  // smplx lbs.lbs, step by step, same operations.
  torch::Tensor v_shaped = v_template_ + torch::einsum("bl,mkl->bmk", {betas, shapedirs_});
  torch::Tensor j = torch::einsum("bik,ji->bjk", {v_shaped, j_regressor_});

  torch::Tensor ident = torch::eye(3, opts);
  torch::Tensor rot_mats = batch_rodrigues(full_pose.reshape({-1, 3})).view({b, -1, 3, 3});
  torch::Tensor pose_feature = (rot_mats.slice(1, 1) - ident).view({b, -1});
  torch::Tensor pose_offsets = torch::matmul(pose_feature, posedirs_).view({b, -1, 3});
  torch::Tensor v_posed = pose_offsets + v_shaped;

  // batch_rigid_transform
  torch::Tensor joints = torch::unsqueeze(j, -1);  // [B,16,3,1]
  torch::Tensor rel_joints = joints.clone();
  rel_joints.slice(1, 1) -= joints.index_select(1, parent_index_);
  torch::Tensor transforms_mat =
      transform_mat(rot_mats.reshape({-1, 3, 3}), rel_joints.reshape({-1, 3, 1}))
          .reshape({-1, kSkeletonJoints, 4, 4});
  std::vector<torch::Tensor> chain;
  chain.reserve(kSkeletonJoints);
  chain.push_back(transforms_mat.select(1, 0));
  for (int i = 1; i < kSkeletonJoints; ++i) {
    chain.push_back(torch::matmul(chain[static_cast<size_t>(parents_[static_cast<size_t>(i)])],
                                  transforms_mat.select(1, i)));
  }
  torch::Tensor transforms = torch::stack(chain, 1);                    // [B,16,4,4]
  torch::Tensor posed_joints = transforms.slice(2, 0, 3).select(3, 3);  // [B,16,3]
  namespace F = torch::nn::functional;
  torch::Tensor joints_homogen = F::pad(joints, F::PadFuncOptions({0, 0, 0, 1}));
  torch::Tensor rel_transforms = transforms - F::pad(torch::matmul(transforms, joints_homogen),
                                                     F::PadFuncOptions({3, 0, 0, 0, 0, 0, 0, 0}));

  // Skinning.
  torch::Tensor w = lbs_weights_.unsqueeze(0).expand({b, -1, -1});
  torch::Tensor t =
      torch::matmul(w, rel_transforms.view({b, kSkeletonJoints, 16})).view({b, -1, 4, 4});
  torch::Tensor homogen = torch::ones({b, v_posed.size(1), 1}, opts);
  torch::Tensor v_posed_homo = torch::cat({v_posed, homogen}, 2);
  torch::Tensor v_homo = torch::matmul(t, torch::unsqueeze(v_posed_homo, -1));
  torch::Tensor verts = v_homo.slice(2, 0, 3).select(3, 0);  // [B,778,3]

  torch::Tensor all_joints = torch::cat({posed_joints, verts.index_select(1, tip_index_)}, 1);
  Output out;
  out.vertices = (verts + transl.unsqueeze(1)) * 1000.0;
  out.joints = (all_joints + transl.unsqueeze(1)) * 1000.0;
  return out;
}

}  // namespace intershape::mano
