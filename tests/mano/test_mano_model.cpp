#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "mano/mano_model.h"
#include "core/formats/pickle.h"
#include "tests/npy.h"

using namespace intershape::mano;
using namespace intershape::core::formats;

namespace {

const std::string kData = INTERSHAPE_TEST_DATA;
const std::string kRight = kData + "/mano/MANO_RIGHT.pkl";
const std::string kLeft = kData + "/mano/MANO_LEFT.pkl";

std::string load_error(const std::vector<uint8_t>& bytes,
                       const std::string& source = "MANO_RIGHT.pkl") {
  try {
    load_mano_pkl_bytes(bytes.data(), bytes.size(), source, false);
  } catch (const ManoError& e) {
    return e.what();
  }
  return "no error";
}

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("MANO pkl: every array, in smplx's layout and float32") {
  const ManoModel m = load_mano_pkl(kRight, false);
  CHECK(!m.is_left);
  CHECK(m.source == kRight);
  REQUIRE(m.v_template.size() == 778 * 3);
  REQUIRE(m.shapedirs.size() == 778 * 3 * 10);
  REQUIRE(m.posedirs.size() == 135 * 778 * 3);
  REQUIRE(m.j_regressor.size() == 16 * 778);
  REQUIRE(m.lbs_weights.size() == 778 * 16);
  REQUIRE(m.faces.size() == 1540 * 3);
  REQUIRE(m.hand_mean.size() == 45);
  CHECK(m.parents == std::vector<int32_t>{-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11, 0, 13, 14});
  // Values read with Python (pickle + numpy) and rounded to float32.
  CHECK(m.v_template[5 * 3 + 0] == 0.09000000357627869f);
  CHECK(m.v_template[5 * 3 + 1] == 0.0077936225570738316f);
  CHECK(m.v_template[5 * 3 + 2] == -0.024236775934696198f);
  double sum = 0;
  for (float v : m.v_template) sum += v;
  CHECK(sum == doctest::Approx(-2.755974595736916).epsilon(1e-12));
  // posedirs[v=621, c=0, k=68] of the pkl is smplx's posedirs[68, 621*3 + 0].
  CHECK(m.posedirs[68 * 2334 + 621 * 3 + 0] == -0.0004123839025851339f);
  // shapedirs from the chumpy Select: shapedirs[300, 1, 9].
  CHECK(m.shapedirs[(300 * 3 + 1) * 10 + 9] == -0.00036727386759594083f);
  // J_regressor from the csc matrix: row 3 sums to 1, first entries at 277..279.
  double row3 = 0;
  for (int v = 0; v < 778; ++v) row3 += m.j_regressor[3 * 778 + v];
  CHECK(row3 == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(m.j_regressor[3 * 778 + 276] == 0.f);
  CHECK(m.j_regressor[3 * 778 + 277] == 0.0016846361104398966f);
  CHECK(m.lbs_weights[133 * 16 + 13] == 0.21095961332321167f);
  CHECK(m.lbs_weights[10 * 16 + 0] == 1.f);
  CHECK(m.faces[7 * 3 + 0] == 2);
  CHECK(m.faces[7 * 3 + 1] == 20);
  CHECK(m.faces[7 * 3 + 2] == 19);
  CHECK(m.hand_mean[0] == -0.019999999552965164f);
  CHECK(m.hand_mean[2] == 0.10000000149011612f);
  CHECK(m.transl == std::array<float, 3>{0, 0, 0});
}

TEST_CASE("MANO dir: faces as the reference has them, left shapedirs fixed") {
  const ManoPair pair = load_mano_dir(kData + "/mano");
  CHECK(!pair.right.is_left);
  CHECK(pair.left.is_left);
  for (const char* side : {"right", "left"}) {
    const auto faces =
        intershape::test::load_npy(kData + "/parity/expected/faces_" + side + ".npy").as_int32();
    const ManoModel& m = std::string(side) == "right" ? pair.right : pair.left;
    CHECK(faces == m.faces);
  }
  // The left file's shapedirs equal the right's; the fix negates the x component.
  const ManoModel left_raw = load_mano_pkl(kLeft, true);
  const size_t i = (300 * 3 + 0) * 10 + 9;
  CHECK(left_raw.shapedirs[i] == 0.001971959136426449f);
  CHECK(pair.left.shapedirs[i] == -0.001971959136426449f);
  CHECK(pair.left.shapedirs[(300 * 3 + 1) * 10 + 9] == left_raw.shapedirs[(300 * 3 + 1) * 10 + 9]);
  CHECK(pair.right.shapedirs[i] == 0.001971959136426449f);
  CHECK(pair.left.faces[7 * 3 + 1] == 19);
}

TEST_CASE("MANO loading errors name the file and the problem") {
  CHECK(contains(
      [] {
        try {
          load_mano_dir("/nonexistent");
        } catch (const ManoError& e) {
          return std::string(e.what());
        }
        return std::string();
      }(),
      "/nonexistent/MANO_RIGHT.pkl: cannot open file"));
  const std::string corpus = kData + "/fuzz/pickle/";
  auto file_error = [&](const std::string& name) {
    return load_error(pickle::read_file_bytes(corpus + name), name);
  };
  CHECK(contains(file_error("mano_wrong_shape_p2.pkl"),
                 "mano_wrong_shape_p2.pkl: 'v_template': expected shape [778, 3], got [777, 3]"));
  CHECK(contains(file_error("mano_missing_key_p2.pkl"),
                 "mano_missing_key_p2.pkl: no 'shapedirs' entry"));
  CHECK(contains(file_error("mano_object_dtype_p2.pkl"), "unsupported numpy dtype 'O8'"));
  CHECK(contains(file_error("mano_right_small.pkl"),
                 "'v_template': array of shape [778, 3] and 8-byte items has 16 bytes"));
  CHECK(contains(file_error("mano_right_head.pkl"),
                 "mano_right_head.pkl: byte 166: truncated: BINSTRING needs 16200 bytes"));
  CHECK(contains(file_error("values_p4.pkl"), "values_p4.pkl: no 'v_template' entry"));
  CHECK(
      contains(file_error("ordered_dict_p2.pkl"), "collections.OrderedDict, which is not allowed"));

  std::vector<uint8_t> bytes = pickle::read_file_bytes(kRight);
  // An unknown global, named.
  {
    std::vector<uint8_t> evil = bytes;
    const std::string from = "cnumpy\nndarray\n";
    auto it = std::search(evil.begin(), evil.end(), from.begin(), from.end());
    REQUIRE(it != evil.end());
    std::vector<uint8_t> patched(evil.begin(), it);
    const std::string g = "cos\nsystem\n";
    patched.insert(patched.end(), g.begin(), g.end());
    patched.insert(patched.end(), it + static_cast<std::ptrdiff_t>(from.size()), evil.end());
    CHECK(contains(load_error(patched),
                   "MANO_RIGHT.pkl: byte 64: pickle refers to os.system, which is not allowed"));
  }
  // An absurd length in the first BINSTRING (at byte 166).
  {
    std::vector<uint8_t> evil = bytes;
    REQUIRE(evil[166] == 'T');
    evil[167] = 0xff, evil[168] = 0xff, evil[169] = 0xff, evil[170] = 0x7f;
    CHECK(contains(load_error(evil), "byte 166: truncated: BINSTRING needs 2147483647 bytes"));
  }
  // A chumpy Select index out of range.
  {
    // idxs (23340 int64) is the BINSTRING of 186720 = 0x02d960 bytes after the
    // first mention of 'preferred_shape' (in the Select's _dirty_vars set).
    const std::string key = "preferred_shape";
    auto it = std::search(bytes.begin(), bytes.end(), key.begin(), key.end());
    REQUIRE(it != bytes.end());
    std::vector<uint8_t> evil = bytes;
    size_t t = static_cast<size_t>(it - bytes.begin());
    while (t + 5 < evil.size() && !(evil[t] == 'T' && evil[t + 1] == 0x60 && evil[t + 2] == 0xd9 &&
                                    evil[t + 3] == 0x02 && evil[t + 4] == 0))
      ++t;
    REQUIRE(t + 5 + 186720 <= evil.size());
    const size_t last = t + 5 + 186720 - 8;
    evil[last + 3] = 0x7f;  // a huge index
    CHECK(contains(load_error(evil), "'shapedirs': chumpy Select index"));
  }
}

TEST_CASE("malformed MANO files: every truncation and byte flip is a ManoError, never a crash") {
  const std::string corpus = kData + "/fuzz/pickle/";
  // The MANO structure in 1.5 KB: every prefix, and every byte flipped three ways.
  const std::vector<uint8_t> small = pickle::read_file_bytes(corpus + "mano_right_small.pkl");
  size_t errors = 0;
  for (size_t n = 0; n <= small.size(); ++n) {
    std::vector<uint8_t> cut(small.begin(), small.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_THROWS_AS(load_mano_pkl_bytes(cut.data(), cut.size(), "small.pkl", false), ManoError);
    ++errors;
  }
  for (size_t i = 0; i < small.size(); ++i) {
    for (uint8_t x : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      std::vector<uint8_t> flipped = small;
      flipped[i] ^= x;
      CHECK_THROWS_AS(load_mano_pkl_bytes(flipped.data(), flipped.size(), "small.pkl", false),
                      ManoError);
    }
  }
  // The real file: prefixes (all of the first 2 KB, then spread over the file),
  // and random flips; a flip inside raw array data may still load.
  const std::vector<uint8_t> full = pickle::read_file_bytes(kRight);
  std::vector<size_t> cuts;
  for (size_t n = 0; n < 2048; ++n) cuts.push_back(n);
  for (size_t n = 2048; n < full.size(); n += full.size() / 300) cuts.push_back(n);
  for (size_t n = full.size() - 64; n < full.size(); ++n) cuts.push_back(n);
  for (size_t n : cuts) {
    CHECK_THROWS_AS(load_mano_pkl_bytes(full.data(), n, "MANO_RIGHT.pkl", false), ManoError);
  }
  std::mt19937 rng(12345);
  int loaded = 0, refused = 0;
  for (int k = 0; k < 300; ++k) {
    std::vector<uint8_t> flipped = full;
    const size_t i = rng() % full.size();
    flipped[i] ^= static_cast<uint8_t>(1u << (rng() % 8));
    try {
      load_mano_pkl_bytes(flipped.data(), flipped.size(), "MANO_RIGHT.pkl", false);
      ++loaded;
    } catch (const ManoError&) {
      ++refused;
    }
  }
  CHECK(loaded + refused == 300);
  MESSAGE("random flips: " << loaded << " still load, " << refused << " refused");
}
