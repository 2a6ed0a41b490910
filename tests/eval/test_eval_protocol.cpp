// The InterHand2.6M protocol pieces against the reference's intermediates
// (tests/data/interhand/expected, from shared/fixtures/interhand/eval), no network.

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/eval/evaluate.h"
#include "core/eval/ground_truth.h"
#include "core/eval/interhand.h"
#include "core/eval/joints_cache.h"
#include "core/eval/protocol.h"
#include "mano/mano_model.h"
#include "tests/npy.h"
#include "tests/test_util.h"

namespace ev = intershape::core::eval;
using intershape::test::load_npy;
using intershape::test::read_file;
using intershape::test::TempDir;

namespace {

const std::string kData = std::string(INTERSHAPE_TEST_DATA) + "/interhand";
const std::string kDataset = kData + "/InterHand2.6M_5fps_batch1";
const std::string kExpected = kData + "/expected/";

std::vector<float> npy(const std::string& name) { return load_npy(kExpected + name + ".npy").as_float(); }

const ev::Annotations& annotations() {
  static const ev::Annotations a = ev::load_annotations(kDataset, "test");
  return a;
}

const ev::GroundTruthMano& mano() {
  static const ev::GroundTruthMano m(
      intershape::mano::load_mano_dir(std::string(INTERSHAPE_TEST_DATA) + "/mano"));
  return m;
}

nlohmann::json meta() { return nlohmann::json::parse(read_file(kExpected + "meta.json")); }

std::string copy_dataset(const TempDir& dir) {
  const std::string dst = dir / "InterHand2.6M_5fps_batch1";
  std::filesystem::copy(kDataset, dst, std::filesystem::copy_options::recursive);
  return dst;
}

}  // namespace

TEST_CASE("the evaluation list, its order, mask and MANO validity are the reference's") {
  const ev::Annotations& a = annotations();
  CHECK(a.samples.size() == 21);
  const std::vector<ev::EvalSample> list = ev::build_eval_list(a);
  const nlohmann::json m = meta();
  REQUIRE(list.size() == m["samples"].size());
  const std::vector<float> valid = npy("gt_joint_valid");
  const std::vector<float> mano_valid = npy("gt_mano_valid");
  for (size_t i = 0; i < list.size(); ++i) {
    const ev::Sample& s = a.samples[list[i].ann];
    CHECK(s.capture == m["samples"][i]["capture"].get<int>());
    CHECK(std::stoi(s.camera) == m["samples"][i]["cam"].get<int>());
    CHECK(s.frame == m["samples"][i]["frame"].get<int>());
    for (int j = 0; j < 42; ++j) CHECK(list[i].joint_valid[j] == valid[i * 42 + j]);
    for (int h = 0; h < 2; ++h) CHECK(list[i].mano_valid[h] == mano_valid[i * 2 + h]);
  }
  // The quirk: a zero at InterHand 0 (right thumb tip) drops the whole right
  // hand of sample 1; a zero at InterHand 20 (right wrist) only reference joint 20.
  CHECK(list[1].joint_valid[5] == 0.f);
}

TEST_CASE("boxes and crop affines match the reference's float32 values") {
  const ev::Annotations& a = annotations();
  const std::vector<ev::EvalSample> list = ev::build_eval_list(a);
  const std::vector<float> box = npy("bbox_processed"), fwd = npy("crop_affine"),
                           inv = npy("inv_crop_affine");
  for (size_t i = 0; i < list.size(); ++i) {
    for (int k = 0; k < 4; ++k) CHECK(list[i].bbox_processed[k] == doctest::Approx(box[i * 4 + k]).epsilon(1e-7));
    const cv::Mat f = ev::crop_affine(list[i].bbox_processed), b = ev::crop_affine(list[i].bbox_processed, true);
    for (int k = 0; k < 6; ++k) {
      CHECK(std::abs(f.at<float>(k / 3, k % 3) - fwd[i * 6 + k]) <= 1e-6f * (1 + std::abs(fwd[i * 6 + k])));
      CHECK(std::abs(b.at<float>(k / 3, k % 3) - inv[i * 6 + k]) <= 1e-6f * (1 + std::abs(inv[i * 6 + k])));
    }
  }
}

TEST_CASE("network inputs (float warpAffine, border 0) match within 1e-5, boxes leaving the picture included") {
  const ev::Annotations& a = annotations();
  const std::vector<ev::EvalSample> list = ev::build_eval_list(a);
  const std::vector<float> first2 = npy("input_first2"), extra = npy("input_extra");
  const std::vector<int> extra_idx = meta()["input_extra_indices"].get<std::vector<int>>();
  REQUIRE(extra_idx == std::vector<int>({8, 14}));
  constexpr size_t kSize = 3 * 256 * 256;
  auto check = [&](size_t sample, const float* expected) {
    const ev::Sample& s = a.samples[list[sample].ann];
    cv::Mat bgr = cv::imread(a.image_dir + "/" + s.file_name, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
    REQUIRE(!bgr.empty());
    std::vector<float> got(kSize);
    ev::crop_input(bgr, list[sample].bbox_processed, got.data());
    float worst = 0;
    int zeros = 0;
    for (size_t k = 0; k < kSize; ++k) {
      worst = std::max(worst, std::abs(got[k] - expected[k]));
      zeros += got[k] == 0.f;
    }
    INFO("sample " << sample);
    CHECK(worst <= 1e-5f);
    return zeros;
  };
  check(0, first2.data());
  check(1, first2.data() + kSize);
  // Both extra samples read outside the image: constant-0 border pixels.
  CHECK(check(8, extra.data()) > 1000);
  CHECK(check(14, extra.data() + kSize) > 1000);
}

TEST_CASE("joints cache: the reference's file is read and written back byte for byte") {
  const std::string text = read_file(kExpected + "reference_MANO_joints_test.json");
  const ev::JointsCache cache = ev::JointsCache::read(kExpected + "reference_MANO_joints_test.json");
  CHECK(cache.frame_count() == 6);
  CHECK(cache.to_json() == text);
  CHECK(ev::python_float_repr(1e-05) == "1e-05");
  CHECK(ev::python_float_repr(0.0001) == "0.0001");
  CHECK(ev::python_float_repr(1067.0) == "1067.0");
  CHECK(ev::python_float_repr(-0.0) == "-0.0");
  CHECK(ev::python_float_repr(1e16) == "1e+16");
  CHECK(ev::python_float_repr(123456789012345.0) == "123456789012345.0");
  CHECK(ev::python_float_repr(0.1f) == "0.10000000149011612");
}

TEST_CASE("ground truth from our MANO layer: the cache written equals the reference's in content") {
  TempDir tmp("eval_gt");
  const std::string dataset = copy_dataset(tmp);
  std::ostringstream log;
  const ev::PreparedDataset d = ev::prepare_dataset(dataset, "test", mano(), tmp / "out", log);
  CHECK(d.cache_written);
  CHECK(log.str().find("update InterHand2.6M_test_MANO_joints.json") != std::string::npos);
  const nlohmann::json ours = nlohmann::json::parse(read_file(d.cache_path));
  const nlohmann::json ref =
      nlohmann::json::parse(read_file(kExpected + "reference_MANO_joints_test.json"));
  // Same captures and frames in the same order; values equal to float32
  // rounding of a different (but same-formula) MANO implementation.
  REQUIRE(ours.size() == ref.size());
  double worst = 0;
  for (auto c = ref.begin(), o = ours.begin(); c != ref.end(); ++c, ++o) {
    CHECK(c.key() == o.key());
    REQUIRE(c.value().size() == o.value().size());
    for (auto f = c.value().begin(), g = o.value().begin(); f != c.value().end(); ++f, ++g) {
      CHECK(f.key() == g.key());
      for (int j = 0; j < 42; ++j)
        for (int k = 0; k < 3; ++k)
          worst = std::max(worst, std::abs((*f)[j][k].get<double>() - (*g)[j][k].get<double>()));
    }
  }
  CHECK(worst < 1e-3);
  // Camera coordinates of the ground truth.
  const std::vector<float> cam = npy("gt_joint_cam");
  double worst_cam = 0;
  for (size_t i = 0; i < d.list.size(); ++i) {
    float got[126];
    ev::world_to_camera(d.annotations.camera_of(d.annotations.samples[d.list[i].ann]),
                        d.world_joints[i].data(), got, 42);
    for (int k = 0; k < 126; ++k) worst_cam = std::max(worst_cam, double(std::abs(got[k] - cam[i * 126 + k])));
  }
  CHECK(worst_cam < 1e-3);
  // A second preparation reads the cache and writes nothing.
  std::ostringstream log2;
  const ev::PreparedDataset d2 = ev::prepare_dataset(dataset, "test", mano(), tmp / "out", log2);
  CHECK_FALSE(d2.cache_written);
  CHECK(d2.world_joints == d.world_joints);
}

TEST_CASE("metrics from the reference's predictions reproduce its figures") {
  TempDir tmp("eval_metrics");
  const std::string dataset = copy_dataset(tmp);
  std::ostringstream log;
  const ev::PreparedDataset d = ev::prepare_dataset(dataset, "test", mano(), tmp / "out", log);
  const std::vector<float> joints = npy("joints3d"), verts = npy("verts3d"),
                           err = npy("per_sample_joint_error"), aligned = npy("pred_joints_aligned"),
                           per_vertex = npy("mpvpe_per_vertex");
  std::vector<ev::SampleScore> scores;
  size_t vertex_row = 0;
  double worst_err = 0, worst_aligned = 0, worst_vertex = 0;
  for (size_t i = 0; i < d.list.size(); ++i) {
    const ev::Sample& s = d.annotations.samples[d.list[i].ann];
    const ev::Camera& cam = d.annotations.camera_of(s);
    float gt[126];
    ev::world_to_camera(cam, d.world_joints[i].data(), gt, 42);
    std::array<std::vector<float>, 2> gv;
    for (int h = 0; h < 2; ++h) {
      const auto& fit = d.annotations.fits_of(s)->hands[h];
      if (!fit) continue;
      std::vector<float> j(63), v(778 * 3);
      mano().forward(h, {&*fit}, j.data(), v.data());
      gv[h].resize(778 * 3);
      ev::world_to_camera(cam, v.data(), gv[h].data(), 778);
    }
    std::vector<float> vertex_errors;
    scores.push_back(ev::score_sample(joints.data() + i * 126, verts.data() + i * 1556 * 3, gt,
                                      d.list[i].joint_valid, d.list[i].mano_valid,
                                      {gv[0].empty() ? nullptr : gv[0].data(),
                                       gv[1].empty() ? nullptr : gv[1].data()},
                                      &vertex_errors));
    for (int j = 0; j < 42; ++j) {
      CHECK(std::isnan(scores.back().joint_error[j]) == std::isnan(err[i * 42 + j]));
      if (!std::isnan(err[i * 42 + j]))
        worst_err = std::max(worst_err, double(std::abs(scores.back().joint_error[j] - err[i * 42 + j])));
    }
    for (int k = 0; k < 126; ++k)
      worst_aligned = std::max(worst_aligned, double(std::abs(scores.back().aligned[k] - aligned[i * 126 + k])));
    for (int h = 0; h < 2; ++h)
      if (scores.back().hand_counted[h]) {
        for (int v = 0; v < 778; ++v)
          worst_vertex = std::max(worst_vertex, double(std::abs(vertex_errors[h * 778 + v] -
                                                                per_vertex[vertex_row * 778 + v])));
        ++vertex_row;
      }
  }
  CHECK(vertex_row == 29);  // hands invalidated by the index quirk still count
  CHECK(worst_err < 1e-3);
  CHECK(worst_aligned < 1e-3);
  CHECK(worst_vertex < 1e-3);
  std::vector<const ev::SampleScore*> ptrs;
  for (const auto& s : scores) ptrs.push_back(&s);
  const ev::Metrics m = ev::compute_metrics(ptrs);
  const nlohmann::json ref = nlohmann::json::parse(read_file(kExpected + "metrics.json"));
  for (int j = 0; j < 42; ++j) {
    CHECK(std::abs(m.mpjpe_per_joint[j] - ref["mpjpe_per_joint"][j].get<double>()) < 1e-4);
    CHECK(m.mpjpe_valid_counts[j] == ref["mpjpe_valid_counts"][j].get<int64_t>());
  }
  CHECK(std::abs(m.mpjpe - ref["mpjpe"].get<double>()) < 1e-3);
  CHECK(std::abs(m.mpvpe - ref["mpvpe"].get<double>()) < 1e-3);
  CHECK(m.mpvpe_hands_counted == 29);
  CHECK(std::abs(m.auc_0_50 - ref["auc_0_50"].get<double>()) < 1e-5);
  CHECK(std::abs(m.epe_median - ref["epe_median_0_50_call"].get<double>()) < 1e-3);
  CHECK(std::abs(m.auc_0_100 - ref["eval_3dpck"]["auc_0_100"].get<double>()) < 1e-5);
  CHECK(std::abs(m.auc_20_50 - ref["eval_3dpck"]["auc_20_50"].get<double>()) < 1e-5);
  CHECK(std::abs(m.auc_0_30 - ref["eval_3dpck"]["auc_0_30"].get<double>()) < 1e-5);
  for (size_t i = 0; i < 200; ++i) {
    CHECK(m.thresholds_0_50[i] == ref["thresholds_0_50"][i].get<double>());
    CHECK(std::abs(m.pck_curve_0_50[i] - ref["pck_curve_0_50"][i].get<double>()) < 1e-9);
  }
  // The extra figure: mean over all valid (sample, joint) pairs.
  double sum = 0;
  int count = 0;
  for (float e : err)
    if (!std::isnan(e)) {
      sum += e;
      ++count;
    }
  CHECK(std::abs(m.mpjpe_over_valid_instances - sum / count) < 1e-3);
  CHECK(std::abs(m.mpjpe_over_valid_instances - m.mpjpe) > 0.1);  // a different figure here
  CHECK(ev::joint_names()[0] == "r_wrist");
  CHECK(nlohmann::json(ev::joint_names()) == ref["joint_names"]);
}

TEST_CASE("bad annotation files: clear errors naming the file and the entry") {
  TempDir tmp("eval_bad");
  const std::string dataset = copy_dataset(tmp);
  const std::string data = ev::annotation_file(dataset, "test", "data");
  const std::string text = read_file(data);
  auto expect_error = [&](const std::string& content, const std::string& needle) {
    { std::ofstream(data, std::ios::binary) << content; }
    try {
      ev::load_annotations(dataset, "test");
      FAIL("no error for " << needle);
    } catch (const ev::DatasetError& e) {
      const std::string what = e.what();
      INFO(what);
      CHECK(what.find(data) != std::string::npos);
      CHECK(what.find(needle) != std::string::npos);
    }
  };
  expect_error(text.substr(0, text.size() / 2), "malformed or truncated");
  std::string no_bbox = text;
  const size_t p = no_bbox.find("\"bbox\"");
  no_bbox.replace(p, 6, "\"bbax\"");
  expect_error(no_bbox, "annotations[0] (id ");
  expect_error(no_bbox, "missing field 'bbox'");
  std::string bad_image = text;
  const size_t q = bad_image.find("\"image_id\": ");
  bad_image.replace(q, 12, "\"image_id\": 9");
  expect_error(bad_image, "is not in 'images'");
  { std::ofstream(data, std::ios::binary) << text; }

  // An unknown camera names the camera file and the annotation.
  ev::Annotations a = ev::load_annotations(dataset, "test");
  a.samples[0].camera = "999999";
  try {
    a.camera_of(a.samples[0]);
    FAIL("no error");
  } catch (const ev::DatasetError& e) {
    const std::string what = e.what();
    CHECK(what.find("InterHand2.6M_test_camera.json") != std::string::npos);
    CHECK(what.find("no camera 999999") != std::string::npos);
  }
  // A missing file.
  std::filesystem::remove(ev::annotation_file(dataset, "test", "camera"));
  CHECK_THROWS_WITH_AS(ev::load_annotations(dataset, "test"),
                       doctest::Contains("annotation file not found"), ev::DatasetError);
}

TEST_CASE("annotation numbers out of range are refused with the entry named, not narrowed") {
  using namespace intershape::core::eval;
  const std::string image =
      R"({"id": 1, "file_name": "a.jpg", "width": 334, "height": 512, "capture": 0,)"
      R"( "seq_name": "s", "camera": "400262", "frame_idx": 0})";
  auto data = [&](const std::string& ann_field) {
    std::string jv = "[";
    for (int j = 0; j < 42; ++j) jv += j ? ",1" : "1";
    jv += "]";
    return R"({"images": [)" + image + R"(], "annotations": [{"id": 7, "image_id": 1, )" +
           R"("bbox": [1, 2, 3, 4], "joint_valid": )" + jv + R"(, "hand_type": "interacting", )" +
           ann_field + "}]}";
  };
  Annotations ok;
  parse_data_text("data.json", data(R"("hand_type_valid": 1)"), ok);
  REQUIRE(ok.samples.size() == 1);
  CHECK(ok.samples[0].hand_type_valid == 1);

  auto refused = [&](const std::string& text, const std::string& expected) {
    Annotations a;
    try {
      parse_data_text("data.json", text, a);
    } catch (const DatasetError& e) {
      const std::string what = e.what();
      CHECK_MESSAGE(what.find("data.json: annotations[0] (id 7)") != std::string::npos, what);
      CHECK_MESSAGE(what.find(expected) != std::string::npos, what);
      return;
    }
    FAIL("accepted: " << text.substr(text.size() - 60));
  };
  // Found by fuzz_interhand: a float-to-int conversion out of range (UB).
  refused(data(R"("hand_type_valid": 353638000000.0)"), "hand_type_valid");
  refused(data(R"("hand_type_valid": 1e300)"), "expected an integer");
  // A float that does not fit a float.
  std::string big_box = data(R"("hand_type_valid": 1)");
  big_box.replace(big_box.find("[1, 2, 3, 4]"), 12, "[1, 2, 3, 1e300]");
  refused(big_box, "out of range for a float");
  // A capture number that would wrap to another capture.
  std::string wrap = data(R"("hand_type_valid": 1)");
  wrap.replace(wrap.find(R"("capture": 0)"), 12, R"("capture": 4294967296)");
  Annotations a;
  CHECK_THROWS_WITH_AS(parse_data_text("data.json", wrap, a),
                       doctest::Contains("'capture' out of range"), DatasetError);
  // Found by fuzz_interhand: numbers nested thousands deep overflowed the
  // stack in the recursive flattening (the release nests two deep).
  std::string deep = data(R"("hand_type_valid": 1)");
  deep.replace(deep.find("[1, 2, 3, 4]"), 12,
               std::string(20000, '[') + "1" + std::string(19999, ']') + ", 2, 3, 4]");
  refused(deep, "nested too deeply");
}
