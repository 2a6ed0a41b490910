#pragma once
// The acceptance check shared by the fake-estimator test and the real-network
// test: a 60-frame generated video exported in every format; every file is
// parsed back (nlohmann, our OBJ/PLY readers, tinygltf, numpy) and compared
// with the results run_infer had in memory.

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "app/infer_run.h"
#include "core/exporters/glb_writer.h"
#include "core/exporters/tinygltf_config.h"
#include "core/postprocess.h"
#include "tests/test_util.h"

namespace intershape::test {

// 60 frames, 320x240, 25 fps: two skin-coloured blobs moving over a textured
// background, written losslessly (FFV1).
inline void write_test_video(const std::string& path, int frames = 60) {
  cv::VideoWriter w(path, cv::VideoWriter::fourcc('F', 'F', 'V', '1'), 25, cv::Size(320, 240),
                    true);
  REQUIRE(w.isOpened());
  for (int k = 0; k < frames; ++k) {
    cv::Mat img(240, 320, CV_8UC3);
    for (int y = 0; y < 240; ++y)
      for (int x = 0; x < 320; ++x)
        img.at<cv::Vec3b>(y, x) =
            cv::Vec3b(static_cast<uchar>((x * 3 + k) % 256), static_cast<uchar>((y * 2) % 256),
                      static_cast<uchar>((x + y + 5 * k) % 256));
    cv::ellipse(img, cv::Point(100 + k, 120), cv::Size(40, 60), k * 3.0, 0, 360,
                cv::Scalar(120, 160, 220), -1);
    cv::ellipse(img, cv::Point(220 - k, 110 + k / 2), cv::Size(38, 58), -k * 2.0, 0, 360,
                cv::Scalar(110, 150, 210), -1);
    w.write(img);
  }
}

inline void check_close(const float* a, const float* b, size_t n, float tol, const char* what) {
  INFO(what);
  size_t bad = 0;
  float worst = 0;
  for (size_t i = 0; i < n; ++i) {
    const float d = std::fabs(a[i] - b[i]);
    if (!(d <= tol)) ++bad;
    worst = std::max(worst, d);
  }
  CHECK_MESSAGE(bad == 0, "worst difference " << worst);
}

inline std::vector<float> read_obj_positions(const std::string& path) {
  std::istringstream in(read_file(path));
  std::vector<float> v;
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("v ", 0) == 0) {
      std::istringstream ls(line.substr(2));
      float x, y, z;
      ls >> x >> y >> z;
      v.insert(v.end(), {x, y, z});
    }
  return v;
}

inline std::vector<float> read_ply_positions(const std::string& path) {
  const std::string bytes = read_file(path);
  const size_t body = bytes.find("end_header\n");
  REQUIRE(body != std::string::npos);
  const size_t at = body + 11;
  const size_t n = bytes.find("element vertex 1556") != std::string::npos ? 1556 : 778;
  std::vector<float> v(n * 3);
  for (size_t i = 0; i < n; ++i) std::memcpy(&v[3 * i], bytes.data() + at + 24 * i, 12);
  return v;
}

// Runs `estimator` through run_infer on a generated video with every format
// and checks each file against the in-memory results.
inline void check_every_format(core::HandEstimator& estimator, const std::string& dir) {
  using namespace core;
  using namespace core::exporters;
  using namespace app;
  const std::string video = dir + "/clip.avi";
  write_test_video(video);
  struct Kept {
    std::string name;
    FrameResult record;  // as exported: no attention detail
    NetworkOutput full;
  };
  std::vector<Kept> kept;
  InferOptions opt;
  opt.input = video;
  opt.output = dir + "/out";
  opt.formats = ExportFormats::parse("obj,ply,glb,json,npz,attention");
  opt.on_result = [&](const FrameResult& r) {
    kept.push_back({r.frame->name, r, r.output});
    kept.back().record.output.attention_detail.reset();
  };
  const InferSummary s = run_infer(estimator, opt, nullptr);
  REQUIRE(s.ok());
  REQUIRE(s.processed == 60);
  REQUIRE(kept.size() == 60);
  CHECK(kept[0].name == "clip_000000");
  CHECK(kept[59].name == "clip_000059");
  const std::string out = opt.output + "/";

  // Per-frame files: JSON (exact), OBJ/PLY (demo meshes), attention npz.
  for (size_t k = 0; k < kept.size(); k += (k < 3 ? 1 : 7)) {
    const Kept& e = kept[k];
    const NetworkOutput& o = e.record.output;
    INFO("frame " << k);
    const FrameResult j = frame_from_json(read_file(out + e.name + ".json"), e.name + ".json");
    CHECK(j.frame->index == static_cast<int64_t>(k));
    CHECK(j.frame->timestamp_s == doctest::Approx(k / 25.0));
    for (int h = 0; h < 2; ++h) {
      CHECK(j.output.hands[h].verts3d == o.hands[h].verts3d);
      CHECK(j.output.hands[h].joints3d == o.hands[h].joints3d);
      CHECK(j.output.hands[h].params.pose == o.hands[h].params.pose);
    }
    CHECK(j.output.trans == o.trans);
    CHECK(j.output.xyc == o.xyc);
    CHECK(j.keypoints_frame == e.record.keypoints_frame);
    CHECK(j.output.stages.size() == o.stages.size());
    const auto rm = right_mesh(o, estimator.faces()), lm = left_mesh(o, estimator.faces());
    const auto im = interacting_mesh(o, estimator.faces());
    for (const auto& [suffix, mesh] : {std::pair<std::string, const Mesh*>{"_right", &rm},
                                       {"_left", &lm},
                                       {"_interacting", &im}}) {
      const auto ov = read_obj_positions(out + e.name + suffix + ".obj");
      REQUIRE(ov.size() == mesh->positions.size());
      check_close(ov.data(), mesh->positions.data(), ov.size(), 0.f, "obj");
      const auto pv = read_ply_positions(out + e.name + suffix + ".ply");
      REQUIRE(pv.size() == mesh->positions.size());
      check_close(pv.data(), mesh->positions.data(), pv.size(), 0.f, "ply");
    }
    const auto att = load_npz_with_numpy(out + e.name + "_attention.npz");
    REQUIRE(att["attention"]["data"].size() == e.full.attention.size());
    for (size_t i = 0; i < e.full.attention.size(); i += 37)
      CHECK(att["attention"]["data"][i].get<float>() == e.full.attention[i]);
    CHECK(att["keypoints"]["data"][3 * 41 + 2].get<float>() == e.full.xyc[41][2]);
    if (e.full.attention_detail) {
      const auto& sm = e.full.attention_detail->stage_maps[0][2];
      REQUIRE(att["stage_map_right_3"]["data"].size() == sm.size());
      CHECK(att["stage_map_right_3"]["data"][5].get<float>() == sm[5]);
    }
    for (const char* h : {"_attention_right.png", "_attention_left.png"}) {
      const cv::Mat png = cv::imread(out + e.name + h);
      CHECK(png.rows == 256);
      CHECK(png.cols == 256);
    }
  }

  // NPZ: every frame, every array.
  const auto npz = load_npz_with_numpy(out + "sequence.npz");
  CHECK(npz["right_verts"]["shape"] == nlohmann::json::array({60, 778, 3}));
  CHECK(npz["keypoints2d"]["shape"] == nlohmann::json::array({60, 42, 3}));
  for (size_t k = 0; k < 60; ++k) {
    const NetworkOutput& o = kept[k].record.output;
    for (int h = 0; h < 2; ++h) {
      const std::string p = h ? "left" : "right";
      const auto& v = npz[p + "_verts"]["data"];
      std::vector<float> got(778 * 3);
      for (size_t i = 0; i < got.size(); ++i) got[i] = v[k * 778 * 3 + i].get<float>();
      check_close(got.data(), o.hands[h].verts3d.data(), got.size(), 0.f, "npz verts");
      CHECK(npz[p + "_shape"]["data"][k * 10 + 9].get<float>() == o.hands[h].params.shape[9]);
      CHECK(npz[p + "_joints"]["data"][k * 63 + 62].get<float>() == o.hands[h].joints3d[62]);
      CHECK(npz[p + "_present"]["data"][k].get<float>() == o.hands[h].presence);
    }
    CHECK(npz["trans"]["data"][k * 4].get<float>() == o.trans[0]);
    CHECK(npz["frame_index"]["data"][k].get<int64_t>() == static_cast<int64_t>(k));
    CHECK(npz["timestamp"]["data"][k].get<double>() == doctest::Approx(k / 25.0));
    CHECK(npz["keypoints2d"]["data"][k * 126 + 125].get<float>() ==
          kept[k].record.keypoints_frame[41][2]);
  }

  // GLB: parses, 60 animated frames, frame k's vertices as computed in memory.
  const std::string glb = read_file(out + "sequence.glb");
  tinygltf::TinyGLTF loader;
  tinygltf::Model model;
  std::string err, warn;
  REQUIRE(loader.LoadBinaryFromMemory(&model, &err, &warn,
                                      reinterpret_cast<const unsigned char*>(glb.data()),
                                      static_cast<unsigned>(glb.size())));
  REQUIRE(model.meshes.size() == 60);
  REQUIRE(model.animations.size() == 1);
  const auto& buf = model.buffers.at(0).data;
  for (size_t k = 0; k < 60; ++k) {
    const auto expected = glb_positions(kept[k].record.output);
    for (int h = 0; h < 2; ++h) {
      const auto& a = model.accessors[model.meshes[k].primitives[h].attributes.at("POSITION")];
      const auto& v = model.bufferViews[a.bufferView];
      REQUIRE(a.count == 778);
      REQUIRE(v.byteOffset + a.byteOffset + 778 * 12 <= buf.size());
      std::vector<float> got(778 * 3);
      std::memcpy(got.data(), buf.data() + v.byteOffset + a.byteOffset, got.size() * 4);
      check_close(got.data(), expected[h].data(), got.size(), 0.f, "glb positions");
    }
    const auto& ch = model.animations[0].channels[k];
    const auto& in = model.accessors[model.animations[0].samplers[ch.sampler].input];
    CHECK(in.maxValues.at(0) >= in.minValues.at(0));
  }
}

}  // namespace intershape::test
