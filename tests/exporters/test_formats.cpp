// Every export format is written from known results and parsed back by an
// independent reader (nlohmann, our own OBJ/PLY/GLB checks, tinygltf, numpy).

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/formats/atomic_file.h"
#include "core/exporters/attention_export.h"
#include "core/exporters/frame_json.h"
#include "core/exporters/glb_writer.h"
#include "core/exporters/mesh_files.h"
#include "core/exporters/npz_sequence.h"
#include "core/formats/npz_writer.h"
#include "core/exporters/sequence_exporter.h"
#include "core/exporters/tinygltf_config.h"
#include "core/postprocess.h"
#include "core/preprocess.h"
#include "tests/exporters/fake_estimator.h"
#include "tests/test_util.h"

using namespace intershape::core;
using namespace intershape::core::exporters;
using namespace intershape::core::formats;
using intershape::test::FakeEstimator;
using intershape::test::load_npz_with_numpy;
using intershape::test::read_file;
using intershape::test::TempDir;

namespace {

cv::Mat test_picture(int k, int w = 320, int h = 240) {
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(30 + 3 * k, 60, 90));
  cv::circle(img, cv::Point(40 + 4 * k, 60 + 2 * k), 25, cv::Scalar(200, 180 - k, 40 + k), -1);
  cv::rectangle(img, cv::Rect(200 - k, 100, 50, 80), cv::Scalar(10, 220, 120 + k), -1);
  return img;
}

struct Made {
  FrameResult record;  // as exported: no attention detail
  NetworkOutput full;  // with attention detail
  cv::Mat input_rgb;
};

Made made_frame(FakeEstimator& est, int k) {
  FramePtr frame = make_frame(test_picture(k), k, k / 25.0, "test.avi", "f" + std::to_string(k));
  FrameResult r;
  r.frame = frame;
  r.crop = CropRect::whole_frame(frame->bgr.cols, frame->bgr.rows);
  Made m;
  m.input_rgb = make_network_input(frame->bgr, r.crop);
  EstimateOptions opt;
  opt.stage_details = true;
  opt.attention_details = true;
  r.output = est.estimate(m.input_rgb, opt);
  r.keypoints_frame = keypoints_in_frame(r.output.xyc, r.crop);
  m.full = r.output;
  m.record = r;
  m.record.output.attention_detail.reset();
  return m;
}

template <typename A, typename B>
void check_same_floats(const A& a, const B& b, const char* what) {
  INFO(what);
  REQUIRE(a.size() == b.size());
  size_t bad = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(static_cast<float>(a[i]) == static_cast<float>(b[i]))) ++bad;
  CHECK(bad == 0);
}

uint32_t u32(const std::string& s, size_t at) {
  uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}

}  // namespace

TEST_CASE("frame JSON: schema fields and an exact round trip") {
  FakeEstimator est;
  const Made m = made_frame(est, 3);
  const std::string text = frame_to_json(m.record);
  const auto j = nlohmann::json::parse(text);
  CHECK(j["frame"] == 3);
  CHECK(j["source"] == "test.avi");
  CHECK(j["crop"]["side"] == 320);
  CHECK(j["right"]["pose"].size() == 48);
  CHECK(j["right"]["shape"].size() == 10);
  CHECK(j["right"]["joints3d"].size() == 21);
  CHECK(j["left"]["verts3d"].size() == 778);
  CHECK(j["left"]["verts3d"][777].size() == 3);
  CHECK(j["trans"].size() == 4);
  CHECK(j["keypoints2d"].size() == 42);
  CHECK(j["heatmap_xyc"].size() == 42);
  CHECK(j["attention"]["shape"] == nlohmann::json::array({2, 64, 64}));
  CHECK(j["attention"]["data"].size() == 8192);
  CHECK(j["stages"].size() == 4);
  CHECK(j["stages"][2]["left"]["joints3d"].size() == 21);
  CHECK(j["right"]["present"].is_boolean());
  // keypoints2d are input-image pixels: 4 * cell * side / 256.
  CHECK(j["keypoints2d"][5][0].get<double>() ==
        doctest::Approx(m.record.output.xyc[5][0] * 4 * 320 / 256.0));

  const FrameResult back = frame_from_json(text, "f.json");
  CHECK(back.frame->index == 3);
  CHECK(back.frame->timestamp_s == m.record.frame->timestamp_s);
  CHECK(back.frame->width == 320);
  for (int h = 0; h < 2; ++h) {
    const auto& a = m.record.output.hands[h];
    const auto& b = back.output.hands[h];
    check_same_floats(a.verts3d, b.verts3d, "verts3d");
    check_same_floats(a.joints3d, b.joints3d, "joints3d");
    check_same_floats(a.params.pose, b.params.pose, "pose");
    check_same_floats(a.params.shape, b.params.shape, "shape");
    CHECK(a.presence == b.presence);
    for (int s = 0; s < 4; ++s) {
      check_same_floats(m.record.output.stages[s].joints3d[h], back.output.stages[s].joints3d[h],
                        "stage joints");
      check_same_floats(m.record.output.stages[s].params[h].pose,
                        back.output.stages[s].params[h].pose, "stage pose");
    }
  }
  check_same_floats(m.record.output.trans, back.output.trans, "trans");
  check_same_floats(m.record.output.attention, back.output.attention, "attention");
  for (int k = 0; k < kJoints; ++k) {
    check_same_floats(m.record.keypoints_frame[k], back.keypoints_frame[k], "keypoints2d");
    check_same_floats(m.record.output.xyc[k], back.output.xyc[k], "xyc");
  }
  // Round trip is a fixed point.
  CHECK(frame_to_json(back) == text);
}

TEST_CASE("frame JSON: bad files give errors naming the file and the problem") {
  FakeEstimator est;
  auto j = nlohmann::json::parse(frame_to_json(made_frame(est, 1).record));
  CHECK_THROWS_WITH_AS(frame_from_json("{not json", "frame_000001.json"),
                       doctest::Contains("frame_000001.json: not valid JSON"), ExportError);
  j["right"]["verts3d"].erase(5);
  CHECK_THROWS_WITH_AS(frame_from_json(j.dump(), "frame_000001.json"),
                       "frame_000001.json: right.verts3d has 777 rows, expected 778", ExportError);
  j.erase("trans");
  CHECK_THROWS_WITH_AS(frame_from_json(j.dump(), "x.json"), doctest::Contains("x.json: "),
                       ExportError);
  CHECK_THROWS_AS(frame_from_json("[1,2]", "y.json"), ExportError);
}

TEST_CASE("OBJ files: the demo's three meshes with normals, values as in memory") {
  FakeEstimator est;
  const Made m = made_frame(est, 2);
  TempDir dir;
  const auto paths = write_demo_meshes(dir.path(), "img", "obj", m.record.output, est.faces());
  REQUIRE(paths.size() == 3);
  CHECK(paths[0] == dir / "img_right.obj");
  CHECK(paths[1] == dir / "img_left.obj");
  CHECK(paths[2] == dir / "img_interacting.obj");
  const Mesh expected = interacting_mesh(m.record.output, est.faces());
  const auto expected_normals = vertex_normals(expected);
  std::istringstream in(read_file(paths[2]));
  std::vector<float> v, vn;
  std::vector<int32_t> f;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string tag;
    ls >> tag;
    if (tag == "v" || tag == "vn") {
      float x, y, z;
      ls >> x >> y >> z;
      auto& dst = tag == "v" ? v : vn;
      dst.insert(dst.end(), {x, y, z});
    } else if (tag == "f") {
      for (int c = 0; c < 3; ++c) {
        std::string t;
        ls >> t;
        const int a = std::stoi(t), b = std::stoi(t.substr(t.find("//") + 2));
        CHECK(a == b);
        f.push_back(a - 1);
      }
    }
  }
  check_same_floats(v, expected.positions, "positions");
  check_same_floats(vn, expected_normals, "normals");
  CHECK(f == expected.triangles);
  CHECK(v.size() == 1556 * 3);
}

TEST_CASE("PLY files: binary little-endian with normals, values as in memory") {
  FakeEstimator est;
  const Made m = made_frame(est, 4);
  TempDir dir;
  const auto paths = write_demo_meshes(dir.path(), "img", "ply", m.record.output, est.faces());
  REQUIRE(paths.size() == 3);
  CHECK(paths[0] == dir / "img_right.ply");
  const std::string bytes = read_file(paths[0]);
  const std::string end = "end_header\n";
  const size_t body = bytes.find(end);
  REQUIRE(body != std::string::npos);
  const std::string header = bytes.substr(0, body);
  CHECK(header.find("format binary_little_endian 1.0") != std::string::npos);
  CHECK(header.find("element vertex 778\n") != std::string::npos);
  CHECK(header.find("element face 1540\n") != std::string::npos);
  CHECK(header.find("property float nz") != std::string::npos);
  size_t at = body + end.size();
  REQUIRE(bytes.size() == at + 778 * 24 + 1540 * 13);
  const Mesh expected = right_mesh(m.record.output, est.faces());
  const auto normals = vertex_normals(expected);
  std::vector<float> v(778 * 3), n(778 * 3);
  for (int i = 0; i < 778; ++i) {
    std::memcpy(&v[3 * i], bytes.data() + at, 12);
    std::memcpy(&n[3 * i], bytes.data() + at + 12, 12);
    at += 24;
  }
  check_same_floats(v, expected.positions, "positions");
  check_same_floats(n, normals, "normals");
  std::vector<int32_t> tri(1540 * 3);
  for (int t = 0; t < 1540; ++t) {
    CHECK(static_cast<unsigned char>(bytes[at]) == 3);
    std::memcpy(&tri[3 * t], bytes.data() + at + 1, 12);
    at += 13;
  }
  CHECK(tri == expected.triangles);
}

TEST_CASE("NPZ written by hand is what numpy reads") {
  TempDir dir;
  NpzBuilder npz;
  const std::vector<float> a = {1.5f, -2.25f, 3.f, 0.1f, 1e-30f, 7.f};
  const int64_t b[] = {-1, 1LL << 40};
  const double c[] = {0.1, 2.5};
  const uint8_t d[] = {1, 0, 1};
  npz.add("a", {2, 3}, a);
  npz.add("b", "<i8", {2}, b, sizeof b);
  npz.add("c", "<f8", {2}, c, sizeof c);
  npz.add("d", "|b1", {3}, d, sizeof d);
  CHECK_THROWS_AS(npz.add("bad", "<f4", {5}, a.data(), 8), ExportError);
  npz.write(dir / "t.npz");
  const auto j = load_npz_with_numpy(dir / "t.npz");
  CHECK(j["a"]["dtype"] == "<f4");
  CHECK(j["a"]["shape"] == nlohmann::json::array({2, 3}));
  for (int i = 0; i < 6; ++i) CHECK(j["a"]["data"][i].get<float>() == a[i]);
  CHECK(j["b"]["data"][1].get<int64_t>() == (1LL << 40));
  CHECK(j["c"]["dtype"] == "<f8");
  CHECK(j["c"]["data"][0].get<double>() == 0.1);
  CHECK(j["d"]["dtype"] == "|b1");
  CHECK(j["d"]["data"] == nlohmann::json::array({true, false, true}));
  CHECK(crc32("123456789", 9) == 0xCBF43926u);  // the standard check value
}

TEST_CASE("sequence NPZ: names, shapes, dtypes and values as numpy sees them") {
  FakeEstimator est;
  NpzSequence seq;
  std::vector<FrameResult> recs;
  for (int k = 0; k < 5; ++k) {
    recs.push_back(made_frame(est, k).record);
    auto renumbered = std::make_shared<Frame>(*recs.back().frame);
    renumbered->index = 10 + k;
    recs.back().frame = renumbered;
    seq.add(recs.back());
  }
  TempDir dir;
  seq.write(dir / "sequence.npz");
  const auto j = load_npz_with_numpy(dir / "sequence.npz");
  CHECK(j["right_verts"]["shape"] == nlohmann::json::array({5, 778, 3}));
  CHECK(j["right_verts"]["dtype"] == "<f4");
  CHECK(j["left_joints"]["shape"] == nlohmann::json::array({5, 21, 3}));
  CHECK(j["right_pose"]["shape"] == nlohmann::json::array({5, 48}));
  CHECK(j["left_shape"]["shape"] == nlohmann::json::array({5, 10}));
  CHECK(j["right_present"]["shape"] == nlohmann::json::array({5}));
  CHECK(j["trans"]["shape"] == nlohmann::json::array({5, 4}));
  CHECK(j["keypoints2d"]["shape"] == nlohmann::json::array({5, 42, 3}));
  CHECK(j["frame_index"]["dtype"] == "<i8");
  CHECK(j["timestamp"]["dtype"] == "<f8");
  for (int k = 0; k < 5; ++k) {
    const auto& o = recs[k].output;
    for (int i = 0; i < 778 * 3; i += 97) {
      CHECK(j["right_verts"]["data"][k * 778 * 3 + i].get<float>() == o.hands[0].verts3d[i]);
      CHECK(j["left_verts"]["data"][k * 778 * 3 + i].get<float>() == o.hands[1].verts3d[i]);
    }
    CHECK(j["left_pose"]["data"][k * 48 + 47].get<float>() == o.hands[1].params.pose[47]);
    CHECK(j["trans"]["data"][k * 4 + 2].get<float>() == o.trans[2]);
    CHECK(j["keypoints2d"]["data"][k * 126 + 40].get<float>() == recs[k].keypoints_frame[13][1]);
    CHECK(j["right_present"]["data"][k].get<float>() == o.hands[0].presence);
    CHECK(j["right_present"]["dtype"] == "<f4");
    CHECK(j["frame_index"]["data"][k] == 10 + k);
    CHECK(j["timestamp"]["data"][k].get<double>() == recs[k].frame->timestamp_s);
  }
}

TEST_CASE("GLB: valid binary glTF, an animation tinygltf reads, frame k as in memory") {
  FakeEstimator est;
  constexpr int T = 6;
  GlbSequence glb(est.faces());
  std::vector<NetworkOutput> outs;
  const double times[T] = {0.5, 0.54, 0.58, 0.58, 0.7, 0.74};  // one repeated time
  for (int k = 0; k < T; ++k) {
    outs.push_back(made_frame(est, k).record.output);
    glb.add(times[k], outs.back());
  }
  TempDir dir;
  glb.write(dir / "sequence.glb");
  const std::string bytes = read_file(dir / "sequence.glb");

  // Container: header, 4-byte aligned JSON then BIN chunk, lengths add up.
  REQUIRE(bytes.size() > 28);
  CHECK(bytes.substr(0, 4) == "glTF");
  CHECK(u32(bytes, 4) == 2);
  CHECK(u32(bytes, 8) == bytes.size());
  const uint32_t json_len = u32(bytes, 12);
  CHECK(u32(bytes, 16) == 0x4E4F534Au);
  CHECK(json_len % 4 == 0);
  const size_t bin_at = 20 + json_len;
  const uint32_t bin_len = u32(bytes, bin_at);
  CHECK(u32(bytes, bin_at + 4) == 0x004E4942u);
  CHECK(bin_len % 4 == 0);
  CHECK(bin_at + 8 + bin_len == bytes.size());

  tinygltf::TinyGLTF loader;
  tinygltf::Model model;
  std::string err, warn;
  REQUIRE(loader.LoadBinaryFromMemory(&model, &err, &warn,
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<unsigned>(bytes.size())));
  CHECK(err.empty());
  REQUIRE(model.buffers.size() == 1);
  const auto& buf = model.buffers[0].data;
  CHECK(buf.size() <= bin_len);
  CHECK(model.asset.version == "2.0");

  for (const auto& v : model.bufferViews) {
    CHECK(v.buffer == 0);
    CHECK(v.byteOffset % 4 == 0);
    CHECK(v.byteOffset + v.byteLength <= buf.size());
  }
  for (const auto& a : model.accessors) {
    REQUIRE(a.bufferView >= 0);
    const auto& v = model.bufferViews[a.bufferView];
    const size_t comp = tinygltf::GetComponentSizeInBytes(a.componentType);
    const size_t n = tinygltf::GetNumComponentsInType(a.type);
    CHECK(a.byteOffset % comp == 0);
    CHECK(a.byteOffset + a.count * comp * n <= v.byteLength);
    CHECK(a.count > 0);
  }
  REQUIRE(model.meshes.size() == T);
  REQUIRE(model.scenes.size() == 1);
  REQUIRE(model.animations.size() == 1);
  const auto& anim = model.animations[0];
  REQUIRE(anim.channels.size() == T);

  auto read_floats = [&](int accessor) {
    const auto& a = model.accessors[accessor];
    const auto& v = model.bufferViews[a.bufferView];
    REQUIRE(a.componentType == TINYGLTF_COMPONENT_TYPE_FLOAT);
    std::vector<float> out(a.count * tinygltf::GetNumComponentsInType(a.type));
    std::memcpy(out.data(), buf.data() + v.byteOffset + a.byteOffset, out.size() * 4);
    return out;
  };
  const std::vector<float> expected_times = glb.animation_times();
  CHECK(expected_times[0] == 0.f);
  for (int k = 1; k < T; ++k) CHECK(expected_times[k] > expected_times[k - 1]);
  CHECK(expected_times[1] == doctest::Approx(0.04));

  for (int k = 0; k < T; ++k) {
    const auto& ch = anim.channels[k];
    CHECK(ch.target_path == "scale");
    const int node = ch.target_node;
    REQUIRE(model.nodes[node].mesh == k);
    const auto& s = anim.samplers[ch.sampler];
    CHECK(s.interpolation == "STEP");
    const auto in = read_floats(s.input), out = read_floats(s.output);
    for (size_t i = 1; i < in.size(); ++i) CHECK(in[i] > in[i - 1]);  // strictly increasing
    const auto& ia = model.accessors[s.input];
    REQUIRE(ia.minValues.size() == 1);
    CHECK(ia.minValues[0] == in.front());
    CHECK(ia.maxValues[0] == in.back());
    // Visible (scale 1) exactly from its own time to the next frame's.
    for (int q = 0; q < T; ++q) {
      const float t = expected_times[q];
      size_t i = 0;
      while (i + 1 < in.size() && in[i + 1] <= t) ++i;
      const float scale = t < in[0] ? out[0] : out[3 * i];
      CHECK(scale == (q == k ? 1.f : 0.f));
    }
    // Geometry: frame k's two primitives equal the in-memory positions.
    const auto expected = glb_positions(outs[k]);
    const auto& mesh = model.meshes[k];
    REQUIRE(mesh.primitives.size() == 2);
    for (int h = 0; h < 2; ++h) {
      const auto& prim = mesh.primitives[h];
      CHECK(prim.mode == TINYGLTF_MODE_TRIANGLES);
      const int pa = prim.attributes.at("POSITION");
      const auto pos = read_floats(pa);
      check_same_floats(pos, expected[h], "glb positions");
      const auto& acc = model.accessors[pa];
      REQUIRE(acc.minValues.size() == 3);
      for (int c = 0; c < 3; ++c) {
        float lo = INFINITY, hi = -INFINITY;
        for (size_t i = c; i < pos.size(); i += 3)
          lo = std::min(lo, pos[i]), hi = std::max(hi, pos[i]);
        CHECK(acc.minValues[c] == lo);
        CHECK(acc.maxValues[c] == hi);
      }
      const auto normals = read_floats(prim.attributes.at("NORMAL"));
      for (size_t i = 0; i < normals.size(); i += 3)
        CHECK(std::fabs(std::hypot(normals[i], normals[i + 1], normals[i + 2]) - 1.f) < 1e-5f);
      const auto& ia2 = model.accessors[prim.indices];
      CHECK(ia2.count == 1540 * 3);
      CHECK(ia2.componentType == TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT);
      std::vector<uint16_t> idx(ia2.count);
      const auto& iv = model.bufferViews[ia2.bufferView];
      std::memcpy(idx.data(), buf.data() + iv.byteOffset + ia2.byteOffset, idx.size() * 2);
      CHECK(std::vector<int32_t>(idx.begin(), idx.end()) == est.faces()[h]);
    }
  }
  // Positions are metres: a hand spans centimetres, not the normalised units
  // (about 2) or millimetres (about 200).
  const auto p0 = glb_positions(outs[0]);
  float lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < p0[0].size(); i += 3)
    lo = std::min(lo, p0[0][i]), hi = std::max(hi, p0[0][i]);
  CHECK(hi - lo > 0.02f);
  CHECK(hi - lo < 0.5f);
  CHECK_THROWS_AS(GlbSequence(est.faces()).write(dir / "empty.glb"), ExportError);
}

TEST_CASE("attention export: npz arrays and PNG overlays") {
  FakeEstimator est;
  const Made m = made_frame(est, 7);
  TempDir dir;
  const auto paths = write_attention(dir.path(), "img", m.full, m.input_rgb);
  REQUIRE(paths.size() == 3);
  CHECK(paths[0] == dir / "img_attention.npz");
  CHECK(paths[1] == dir / "img_attention_right.png");
  CHECK(paths[2] == dir / "img_attention_left.png");
  const auto j = load_npz_with_numpy(paths[0]);
  CHECK(j["attention"]["shape"] == nlohmann::json::array({2, 64, 64}));
  CHECK(j["keypoints"]["shape"] == nlohmann::json::array({42, 3}));
  CHECK(j["stage_map_right_1"]["shape"] == nlohmann::json::array({8, 8}));
  CHECK(j["stage_map_left_2"]["shape"] == nlohmann::json::array({16, 16}));
  CHECK(j["stage_map_left_3"]["shape"] == nlohmann::json::array({32, 32}));
  for (int i = 0; i < 8192; i += 101)
    CHECK(j["attention"]["data"][i].get<float>() == m.full.attention[i]);
  CHECK(j["keypoints"]["data"][3 * 20 + 1].get<float>() == m.full.xyc[20][1]);
  CHECK(j["stage_map_left_3"]["data"][100].get<float>() ==
        m.full.attention_detail->stage_maps[1][2][100]);
  const cv::Mat png = cv::imread(paths[1], cv::IMREAD_COLOR);
  REQUIRE(png.rows == 256);
  REQUIRE(png.cols == 256);
  CHECK(cv::norm(png, attention_overlay(m.input_rgb, m.full.attention.data()), cv::NORM_INF) == 0);
  // Without attention maps: a clear error, no files.
  NetworkOutput none = m.full;
  none.attention.clear();
  CHECK_THROWS_WITH_AS(write_attention(dir.path(), "x", none, m.input_rgb),
                       doctest::Contains("x_attention.npz"), ExportError);
}

TEST_CASE("export format list parsing") {
  const auto f = ExportFormats::parse("obj,ply,glb,json,npz,attention");
  CHECK((f.obj && f.ply && f.glb && f.json && f.npz && f.attention));
  const auto g = ExportFormats::parse("glb");
  CHECK((!g.obj && !g.json && g.glb));
  CHECK(ExportFormats{}.to_string() == "obj,json");
  CHECK_THROWS_WITH_AS(ExportFormats::parse("obj,fbx"), doctest::Contains("'fbx'"),
                       std::invalid_argument);
}

TEST_CASE("the Python snippet in docs/FORMATS.md loads our NPZ") {
  FakeEstimator est;
  NpzSequence seq;
  for (int k = 0; k < 3; ++k) seq.add(made_frame(est, k).record);
  TempDir dir;
  seq.write(dir / "sequence.npz");
  const std::string doc = read_file(std::string(INTERSHAPE_SOURCE_DIR) + "/docs/FORMATS.md");
  const auto begin = doc.find("```python\n");
  REQUIRE(begin != std::string::npos);
  const auto end = doc.find("```", begin + 10);
  std::string snippet = doc.substr(begin + 10, end - begin - 10);
  const auto at = snippet.find("\"out/sequence.npz\"");
  REQUIRE(at != std::string::npos);
  snippet.replace(at, 18, "\"" + (dir / "sequence.npz") + "\"");
  snippet +=
      "assert verts.shape == (3, 778, 3)\nassert abs(np.linalg.norm(v, axis=1)).max() < "
      "10\nprint('ok')\n";
  write_file_atomic(dir / "snippet.py", snippet);
  const std::string out =
      intershape::test::run_capture("/usr/bin/python3 '" + (dir / "snippet.py") + "'");
  CHECK(out.find("ok") != std::string::npos);
}
