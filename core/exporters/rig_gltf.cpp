#include "core/exporters/rig_gltf.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include "core/exporters/gltf_buffer.h"
#include "core/exporters/tinygltf_config.h"
#include "core/formats/atomic_file.h"
#include "core/postprocess.h"

namespace intershape::core::exporters {
namespace {

struct Builder {
  tinygltf::Model m;
  Builder() {
    m.asset.version = "2.0";
    m.asset.generator = "Intershape Live";
    m.buffers.resize(1);
  }
  int view(const void* data, size_t size, int target) {
    return add_buffer_view(m, data, size, target);
  }
  template <typename T>
  int accessor(const std::vector<T>& v, int component, int type, int ncomp, int target,
               bool bounds = false, bool normalized = false) {
    tinygltf::Accessor a;
    a.bufferView = view(v.data(), v.size() * sizeof(T), target);
    a.componentType = component;
    a.count = v.size() / ncomp;
    a.type = type;
    a.normalized = normalized;
    if (bounds) {
      a.minValues.assign(ncomp, INFINITY);
      a.maxValues.assign(ncomp, -INFINITY);
      for (size_t i = 0; i < v.size(); ++i) {
        a.minValues[i % ncomp] = std::min(a.minValues[i % ncomp], double(v[i]));
        a.maxValues[i % ncomp] = std::max(a.maxValues[i % ncomp], double(v[i]));
      }
    }
    m.accessors.push_back(a);
    return static_cast<int>(m.accessors.size() - 1);
  }
  int node(tinygltf::Node n) {
    m.nodes.push_back(std::move(n));
    return static_cast<int>(m.nodes.size() - 1);
  }
};

tinygltf::Value timing_extras(const RigTiming& timing, size_t frames) {
  tinygltf::Value::Object o;
  o["fps"] = tinygltf::Value(timing.fps());
  o["frame_time"] = tinygltf::Value(timing.frame_time);
  o["frames"] = tinygltf::Value(static_cast<int>(frames));
  tinygltf::Value::Object outer;
  outer["intershape"] = tinygltf::Value(o);
  return tinygltf::Value(outer);
}

}  // namespace

std::string rig_glb_bytes(const mano::ManoPair& models, const std::vector<RigFrame>& frames,
                          const CameraIntrinsics& camera, const RigGltfOptions& options) {
  if (frames.empty()) throw formats::ExportError("glb: no frames to write");
  if (options.max_influences != 4 && options.max_influences != 8)
    throw formats::ExportError("glb: max_influences must be 4 or 8");
  if (!(camera.fy > 0) || camera.width <= 0 || camera.height <= 0)
    throw formats::ExportError("glb: no camera (image size or focal length unknown)");
  const size_t T = frames.size();
  const RigTiming timing = rig_timing(frames);
  Builder b;
  tinygltf::Model& m = b.m;
  std::vector<int> roots;

  // The camera: glTF cameras look down -Z with +Y up, which is the rig axes.
  {
    tinygltf::Camera cam;
    cam.name = "source_camera";
    cam.type = "perspective";
    cam.perspective.yfov = 2 * std::atan(0.5 * camera.height / camera.fy);
    cam.perspective.aspectRatio = double(camera.width) / camera.height;
    cam.perspective.znear = 0.01;
    cam.perspective.zfar = 100;
    m.cameras.push_back(cam);
    tinygltf::Node n;
    n.name = "camera";
    n.camera = 0;
    roots.push_back(b.node(n));
  }

  const int time_acc =
      b.accessor(timing.keys, TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_SCALAR, 1, 0, true);
  tinygltf::Animation anim;
  anim.name = "hands";
  anim.extras = timing_extras(timing, T);
  m.asset.extras = timing_extras(timing, T);
  auto channel = [&](int input, int output, const char* interp, int node, const char* path) {
    tinygltf::AnimationSampler s;
    s.input = input;
    s.output = output;
    s.interpolation = interp;
    anim.samplers.push_back(s);
    tinygltf::AnimationChannel c;
    c.sampler = static_cast<int>(anim.samplers.size() - 1);
    c.target_node = node;
    c.target_path = path;
    anim.channels.push_back(c);
  };

  for (int h = 0; h < 2; ++h) {
    const mano::ManoModel& model = h == 0 ? models.right : models.left;
    if (model.faces.size() != size_t(mano::kFaces) * 3 || model.lbs_weights.size() != 778 * 16)
      throw formats::ExportError("glb: MANO model " + model.source + " has unexpected sizes");
    const RigHand rig = build_rig_hand(model, frames, h);
    if (!rig.any_present) continue;
    const std::string side = h == 0 ? "right" : "left";

    // Joint nodes, parents before children (MANO's order already is).
    std::vector<int> joint_nodes(21);
    for (int j = 0; j < 21; ++j) {
      tinygltf::Node n;
      n.name = side + "_" + mano::joint_names()[j];
      const auto& p = rig.rest_joints[j];
      if (j == 0) {
        n.translation = {p[0], p[1], p[2]};
      } else {
        const auto& q = rig.rest_joints[rig.parents[j]];
        n.translation = {p[0] - q[0], p[1] - q[1], p[2] - q[2]};
      }
      joint_nodes[j] = b.node(n);
      if (j > 0) m.nodes[joint_nodes[rig.parents[j]]].children.push_back(joint_nodes[j]);
    }
    // Mesh in the bind pose: rest vertices, rig axes.
    std::vector<float> pos(778 * 3);
    for (int i = 0; i < 778; ++i) {
      pos[i * 3] = float(rig.rest.verts[i * 3]);
      pos[i * 3 + 1] = float(-rig.rest.verts[i * 3 + 1]);
      pos[i * 3 + 2] = float(-rig.rest.verts[i * 3 + 2]);
    }
    Mesh rest{pos, model.faces};
    std::vector<float> normals = vertex_normals(rest);
    for (size_t v = 0; v < normals.size(); v += 3)
      if (normals[v] == 0 && normals[v + 1] == 0 && normals[v + 2] == 0) normals[v + 2] = 1;
    // Skin weights: the largest max_influences, renormalised to sum 1.
    const int sets = options.max_influences / 4;
    std::vector<std::vector<uint8_t>> jidx(sets, std::vector<uint8_t>(778 * 4, 0));
    std::vector<std::vector<float>> wts(sets, std::vector<float>(778 * 4, 0.f));
    for (int i = 0; i < 778; ++i) {
      std::array<int, 16> order{};
      for (int j = 0; j < 16; ++j) order[j] = j;
      const float* w = &model.lbs_weights[size_t(i) * 16];
      std::stable_sort(order.begin(), order.end(), [&](int a, int c) { return w[a] > w[c]; });
      double sum = 0;
      for (int k = 0; k < options.max_influences; ++k) sum += std::max(0.f, w[order[k]]);
      if (!(sum > 0))
        throw formats::ExportError("glb: vertex without skin weight in " + model.source);
      for (int k = 0; k < options.max_influences; ++k) {
        const float v = static_cast<float>(std::max(0.f, w[order[k]]) / sum);
        jidx[k / 4][i * 4 + k % 4] = v > 0 ? static_cast<uint8_t>(order[k]) : 0;
        wts[k / 4][i * 4 + k % 4] = v;
      }
    }
    std::vector<uint16_t> idx(model.faces.begin(), model.faces.end());
    tinygltf::Primitive prim;
    prim.attributes["POSITION"] = b.accessor(pos, TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_VEC3,
                                             3, TINYGLTF_TARGET_ARRAY_BUFFER, true);
    prim.attributes["NORMAL"] = b.accessor(normals, TINYGLTF_COMPONENT_TYPE_FLOAT,
                                           TINYGLTF_TYPE_VEC3, 3, TINYGLTF_TARGET_ARRAY_BUFFER);
    for (int s = 0; s < sets; ++s) {
      prim.attributes["JOINTS_" + std::to_string(s)] =
          b.accessor(jidx[s], TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE, TINYGLTF_TYPE_VEC4, 4,
                     TINYGLTF_TARGET_ARRAY_BUFFER);
      prim.attributes["WEIGHTS_" + std::to_string(s)] =
          b.accessor(wts[s], TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_VEC4, 4,
                     TINYGLTF_TARGET_ARRAY_BUFFER);
    }
    prim.indices = b.accessor(idx, TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT, TINYGLTF_TYPE_SCALAR, 1,
                              TINYGLTF_TARGET_ELEMENT_ARRAY_BUFFER);
    prim.mode = TINYGLTF_MODE_TRIANGLES;
    tinygltf::Value::Array target_names;
    if (options.pose_correctives) {
      if (model.posedirs.size() != size_t(mano::kPoseFeatures) * 778 * 3)
        throw formats::ExportError("glb: MANO model " + model.source + " has no posedirs");
      for (int f = 0; f < mano::kPoseFeatures; ++f) {
        const float* row = &model.posedirs[size_t(f) * 778 * 3];
        std::vector<float> d(778 * 3);
        for (int i = 0; i < 778; ++i) {  // rig axes
          d[i * 3] = row[i * 3];
          d[i * 3 + 1] = -row[i * 3 + 1];
          d[i * 3 + 2] = -row[i * 3 + 2];
        }
        prim.targets.push_back(
            {{"POSITION", b.accessor(d, TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_VEC3, 3,
                                     TINYGLTF_TARGET_ARRAY_BUFFER, true)}});
        // Named as Blender shows shape keys: joint, then the element of R - I.
        target_names.push_back(tinygltf::Value(std::string(mano::joint_names()[1 + f / 9]) + "_r" +
                                               std::to_string(f % 9 / 3) + std::to_string(f % 3)));
      }
    }
    tinygltf::Material mat;
    mat.name = side + "_hand";
    mat.pbrMetallicRoughness.baseColorFactor = h == 0 ? std::vector<double>{0.85, 0.55, 0.45, 1.0}
                                                      : std::vector<double>{0.45, 0.6, 0.85, 1.0};
    mat.pbrMetallicRoughness.metallicFactor = 0.0;
    mat.pbrMetallicRoughness.roughnessFactor = 0.8;
    m.materials.push_back(mat);
    prim.material = static_cast<int>(m.materials.size() - 1);
    tinygltf::Mesh mesh;
    mesh.name = side + "_hand";
    mesh.primitives.push_back(prim);
    if (options.pose_correctives) {
      mesh.weights.assign(mano::kPoseFeatures, 0.0);
      tinygltf::Value::Object extras;
      extras["targetNames"] = tinygltf::Value(target_names);
      mesh.extras = tinygltf::Value(extras);
    }
    m.meshes.push_back(mesh);

    // Skin: inverse bind matrices are pure translations (rest joints, column-major).
    std::vector<float> ibm;
    for (int j = 0; j < 21; ++j) {
      const auto& p = rig.rest_joints[j];
      const float mat4[16] = {
          1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, float(-p[0]), float(-p[1]), float(-p[2]), 1};
      ibm.insert(ibm.end(), mat4, mat4 + 16);
    }
    tinygltf::Skin skin;
    skin.name = side + "_skeleton";
    skin.joints = joint_nodes;
    skin.skeleton = joint_nodes[0];
    skin.inverseBindMatrices =
        b.accessor(ibm, TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_MAT4, 16, 0);
    m.skins.push_back(skin);
    tinygltf::Node mesh_node;
    mesh_node.name = side + "_hand";
    mesh_node.mesh = static_cast<int>(m.meshes.size() - 1);
    mesh_node.skin = static_cast<int>(m.skins.size() - 1);
    const int mesh_node_index = b.node(mesh_node);
    roots.push_back(mesh_node_index);
    roots.push_back(joint_nodes[0]);

    // Animation: values for the T frames plus the end key (a copy of the last).
    for (int j = 0; j < 16; ++j) {
      std::vector<float> q;
      q.reserve((T + 1) * 4);
      for (size_t k = 0; k <= T; ++k) {
        const auto& r = rig.rotations[std::min(k, T - 1)][j];
        q.insert(q.end(), {float(r[0]), float(r[1]), float(r[2]), float(r[3])});
      }
      const int out = b.accessor(q, TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_VEC4, 4, 0);
      channel(time_acc, out, "LINEAR", joint_nodes[j], "rotation");
    }
    std::vector<float> tr;
    tr.reserve((T + 1) * 3);
    for (size_t k = 0; k <= T; ++k) {
      const auto& p = rig.root[std::min(k, T - 1)];
      tr.insert(tr.end(), {float(p[0]), float(p[1]), float(p[2])});
    }
    channel(time_acc, b.accessor(tr, TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_VEC3, 3, 0),
            "LINEAR", joint_nodes[0], "translation");
    if (options.pose_correctives) {
      // MANO's pose features R_j - I (MANO space) from the rig-axes rotations:
      // R = C R_rig C with C = diag(1, -1, -1), i.e. element (r, c) times s_r s_c.
      constexpr double s[3] = {1, -1, -1};
      std::vector<float> w;
      w.reserve((T + 1) * mano::kPoseFeatures);
      for (size_t k = 0; k <= T; ++k)
        for (int j = 1; j < 16; ++j) {
          const mano::Mat3 r = mano::mat_from_quat(rig.rotations[std::min(k, T - 1)][j]);
          for (int e = 0; e < 9; ++e)
            w.push_back(float(r[e] * s[e / 3] * s[e % 3] - (e % 4 == 0 ? 1.0 : 0.0)));
        }
      channel(time_acc, b.accessor(w, TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_SCALAR, 1, 0),
              "LINEAR", mesh_node_index, "weights");
    }
    // Presence: STEP scale keys where it changes, and at the end key.
    std::vector<float> st, sv;
    for (size_t k = 0; k < T; ++k)
      if (k == 0 || rig.present[k] != rig.present[k - 1]) {
        st.push_back(timing.keys[k]);
        const float s = rig.present[k] ? 1.f : 0.f;
        sv.insert(sv.end(), {s, s, s});
      }
    st.push_back(timing.keys[T]);
    const float last = rig.present[T - 1] ? 1.f : 0.f;
    sv.insert(sv.end(), {last, last, last});
    channel(b.accessor(st, TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_SCALAR, 1, 0, true),
            b.accessor(sv, TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_VEC3, 3, 0), "STEP",
            joint_nodes[0], "scale");
  }
  if (roots.size() == 1)
    throw formats::ExportError("glb: no hand is present in any frame; nothing to rig");
  m.animations.push_back(anim);
  m.buffers[0].data.resize((m.buffers[0].data.size() + 3) / 4 * 4, 0);
  tinygltf::Scene scene;
  scene.name = "intershape";
  scene.nodes = roots;
  m.scenes.push_back(scene);
  m.defaultScene = 0;

  tinygltf::TinyGLTF gltf;
  std::ostringstream os;
  if (!gltf.WriteGltfSceneToStream(&m, os, /*prettyPrint=*/false, /*writeBinary=*/true))
    throw formats::ExportError("glb: tinygltf could not serialise the rig");
  return os.str();
}

void write_rig_glb(const std::string& path, const mano::ManoPair& models,
                   const std::vector<RigFrame>& frames, const CameraIntrinsics& camera,
                   const RigGltfOptions& options) {
  std::string bytes;
  try {
    bytes = rig_glb_bytes(models, frames, camera, options);
  } catch (const formats::ExportError& e) {
    throw formats::ExportError("cannot write " + path + ": " + e.what());
  }
  formats::write_file_atomic(path, bytes);
}

}  // namespace intershape::core::exporters
