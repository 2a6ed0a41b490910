#include "core/exporters/glb_writer.h"

#include <cmath>
#include <cstring>
#include <sstream>

#include "core/formats/atomic_file.h"
#include "core/exporters/gltf_buffer.h"
#include "core/exporters/tinygltf_config.h"
#include "core/postprocess.h"

namespace intershape::core::exporters {
namespace {

constexpr int kArrayBuffer = TINYGLTF_TARGET_ARRAY_BUFFER;
constexpr int kElementArrayBuffer = TINYGLTF_TARGET_ELEMENT_ARRAY_BUFFER;

int add_accessor(tinygltf::Model& m, int view, int component, size_t count, int type,
                 std::vector<double> min = {}, std::vector<double> max = {}) {
  tinygltf::Accessor a;
  a.bufferView = view;
  a.byteOffset = 0;
  a.componentType = component;
  a.count = count;
  a.type = type;
  a.minValues = std::move(min);
  a.maxValues = std::move(max);
  m.accessors.push_back(a);
  return static_cast<int>(m.accessors.size() - 1);
}

int add_vec3(tinygltf::Model& m, const std::vector<float>& v, bool with_bounds) {
  std::vector<double> lo, hi;
  if (with_bounds) {
    lo.assign(3, INFINITY);
    hi.assign(3, -INFINITY);
    for (size_t i = 0; i < v.size(); ++i) {
      lo[i % 3] = std::min(lo[i % 3], double(v[i]));
      hi[i % 3] = std::max(hi[i % 3], double(v[i]));
    }
  }
  const int view = add_buffer_view(m, v.data(), v.size() * sizeof(float), kArrayBuffer);
  return add_accessor(m, view, TINYGLTF_COMPONENT_TYPE_FLOAT, v.size() / 3, TINYGLTF_TYPE_VEC3, lo,
                      hi);
}

}  // namespace

std::array<std::vector<float>, 2> glb_positions(const NetworkOutput& out) {
  std::array<std::vector<float>, 2> p = {right_verts_normalized(out), left_verts_transformed(out)};
  const auto& j = out.hands[0].joints3d;
  const double dx = j[12] - double(j[0]), dy = j[13] - double(j[1]), dz = j[14] - double(j[2]);
  const double metres = std::sqrt(dx * dx + dy * dy + dz * dz) / 1000.0;
  for (auto& hand : p)
    for (size_t i = 0; i < hand.size(); i += 3) {
      hand[i] = static_cast<float>(hand[i] * metres);
      hand[i + 1] = static_cast<float>(-hand[i + 1] * metres);
      hand[i + 2] = static_cast<float>(-hand[i + 2] * metres);
    }
  return p;
}

GlbSequence::GlbSequence(std::array<std::vector<int32_t>, 2> faces) : faces_(std::move(faces)) {
  for (const auto& f : faces_)
    if (f.size() != static_cast<size_t>(kFacesPerHand) * 3)
      throw formats::ExportError("glb: expected 1540x3 faces per hand, got " + std::to_string(f.size()) +
                        " values");
}

void GlbSequence::add(double timestamp_s, const NetworkOutput& out) {
  times_.push_back(timestamp_s);
  positions_.push_back(glb_positions(out));
}

std::vector<float> GlbSequence::animation_times() const {
  std::vector<float> t(times_.size());
  double prev = 0;
  for (size_t k = 0; k < times_.size(); ++k) {
    double v = std::isfinite(times_[k]) ? times_[k] - times_[0] : prev + 1.0 / 30;
    if (k > 0 && !(static_cast<float>(v) > t[k - 1])) v = prev + 1.0 / 30;
    if (k == 0) v = 0;
    t[k] = static_cast<float>(v);
    prev = v;
  }
  return t;
}

std::string GlbSequence::glb_bytes() const {
  if (times_.empty()) throw formats::ExportError("glb: no frames to write");
  const size_t T = times_.size();
  const std::vector<float> times = animation_times();
  tinygltf::Model m;
  m.asset.version = "2.0";
  m.asset.generator = "Intershape Live";
  m.buffers.resize(1);

  // Triangles: shared by every frame's primitive of that hand (uint16: 778 < 65536).
  std::array<int, 2> index_accessor{};
  for (int h = 0; h < 2; ++h) {
    std::vector<uint16_t> idx(faces_[h].begin(), faces_[h].end());
    for (int32_t i : faces_[h])
      if (i < 0 || i >= kVertsPerHand)
        throw formats::ExportError("glb: face index " + std::to_string(i) + " out of range");
    const int view = add_buffer_view(m, idx.data(), idx.size() * 2, kElementArrayBuffer);
    index_accessor[h] = add_accessor(m, view, TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT, idx.size(),
                                     TINYGLTF_TYPE_SCALAR);
  }
  for (int h = 0; h < 2; ++h) {
    tinygltf::Material mat;
    mat.name = h == 0 ? "right_hand" : "left_hand";
    mat.pbrMetallicRoughness.baseColorFactor = h == 0 ? std::vector<double>{0.85, 0.55, 0.45, 1.0}
                                                      : std::vector<double>{0.45, 0.6, 0.85, 1.0};
    mat.pbrMetallicRoughness.metallicFactor = 0.0;
    mat.pbrMetallicRoughness.roughnessFactor = 0.8;
    mat.doubleSided = false;
    m.materials.push_back(mat);
  }

  tinygltf::Node root;
  root.name = "intershape_hands";
  m.nodes.push_back(root);
  tinygltf::Animation anim;
  anim.name = "hands";
  for (size_t k = 0; k < T; ++k) {
    tinygltf::Mesh mesh;
    mesh.name = "frame_" + std::to_string(k);
    for (int h = 0; h < 2; ++h) {
      Mesh hand{positions_[k][h], faces_[h]};
      std::vector<float> normals = vertex_normals(hand);
      for (size_t v = 0; v < normals.size(); v += 3)  // glTF wants unit normals
        if (normals[v] == 0 && normals[v + 1] == 0 && normals[v + 2] == 0) normals[v + 2] = 1;
      tinygltf::Primitive prim;
      prim.attributes["POSITION"] = add_vec3(m, hand.positions, true);
      prim.attributes["NORMAL"] = add_vec3(m, normals, false);
      prim.indices = index_accessor[h];
      prim.material = h;
      prim.mode = TINYGLTF_MODE_TRIANGLES;
      mesh.primitives.push_back(prim);
    }
    m.meshes.push_back(mesh);

    tinygltf::Node node;
    node.name = mesh.name;
    node.mesh = static_cast<int>(m.meshes.size() - 1);
    node.scale = k == 0 ? std::vector<double>{1, 1, 1} : std::vector<double>{0, 0, 0};
    m.nodes.push_back(node);
    const int node_index = static_cast<int>(m.nodes.size() - 1);
    m.nodes[0].children.push_back(node_index);

    // Keys: hidden from the start, shown at its time, hidden at the next frame's.
    std::vector<float> key_t, key_s;
    auto key = [&](float t, float s) {
      key_t.push_back(t);
      key_s.insert(key_s.end(), {s, s, s});
    };
    if (k > 0) key(times[0], 0.f);
    key(times[k], 1.f);
    if (k + 1 < T) key(times[k + 1], 0.f);
    const int tv = add_buffer_view(m, key_t.data(), key_t.size() * 4, 0);
    const int in =
        add_accessor(m, tv, TINYGLTF_COMPONENT_TYPE_FLOAT, key_t.size(), TINYGLTF_TYPE_SCALAR,
                     {double(key_t.front())}, {double(key_t.back())});
    const int sv = add_buffer_view(m, key_s.data(), key_s.size() * 4, 0);
    const int outp =
        add_accessor(m, sv, TINYGLTF_COMPONENT_TYPE_FLOAT, key_t.size(), TINYGLTF_TYPE_VEC3);
    tinygltf::AnimationSampler sampler;
    sampler.input = in;
    sampler.output = outp;
    sampler.interpolation = "STEP";
    anim.samplers.push_back(sampler);
    tinygltf::AnimationChannel channel;
    channel.sampler = static_cast<int>(anim.samplers.size() - 1);
    channel.target_node = node_index;
    channel.target_path = "scale";
    anim.channels.push_back(channel);
  }
  m.animations.push_back(anim);
  m.buffers[0].data.resize((m.buffers[0].data.size() + 3) / 4 * 4, 0);

  tinygltf::Scene scene;
  scene.name = "intershape";
  scene.nodes.push_back(0);
  m.scenes.push_back(scene);
  m.defaultScene = 0;

  tinygltf::TinyGLTF gltf;
  std::ostringstream out;
  if (!gltf.WriteGltfSceneToStream(&m, out, false, true))
    throw formats::ExportError("glb: tinygltf could not serialise");
  return out.str();
}

void GlbSequence::write(const std::string& path) const {
  std::string bytes;
  try {
    bytes = glb_bytes();
  } catch (const formats::ExportError& e) {
    throw formats::ExportError("cannot write " + path + ": " + e.what());
  }
  formats::write_file_atomic(path, bytes);
}

}  // namespace intershape::core::exporters
