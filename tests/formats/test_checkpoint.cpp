#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/formats/checkpoint.h"
#include "mano/mano_model.h"

using namespace intershape::core::formats;
using namespace intershape::mano;

namespace {

const std::string kDir = MANO_CHECKPOINT_DIR;

std::string open_error(const std::string& name) {
  try {
    Checkpoint::open(kDir + "/" + name);
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "no error";
}

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

nlohmann::json expected() {
  std::ifstream in(kDir + "/expected.json");
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

// Every tensor of the checkpoint equals what torch wrote, value for value.
void check_against_expected(const Checkpoint& ck) {
  const nlohmann::json want = expected();
  REQUIRE(ck.tensors().size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const TensorInfo& t = ck.tensors()[i];
    const auto& w = want[i];
    CAPTURE(t.key);
    CHECK(t.key == w["key"].get<std::string>());
    CHECK(std::string(dtype_name(t.dtype)) == w["dtype"].get<std::string>());
    CHECK(t.shape == w["shape"].get<std::vector<int64_t>>());
    const Array a = ck.read(t);
    REQUIRE(a.numel() == static_cast<int64_t>(w["values"].size()));
    for (int64_t k = 0; k < a.numel(); ++k) {
      const auto& v = w["values"][static_cast<size_t>(k)];
      if (a.dtype == DType::kFloat64) {
        double d;
        std::memcpy(&d, a.bytes.data() + 8 * k, 8);
        CHECK(d == v.get<double>());
      } else if (a.dtype == DType::kFloat32) {
        CHECK(a.to_float()[static_cast<size_t>(k)] == static_cast<float>(v.get<double>()));
      } else {
        CHECK(a.to_int64()[static_cast<size_t>(k)] == v.get<int64_t>());
      }
    }
  }
}

}  // namespace

TEST_CASE("trainer checkpoint: network state dict, module. stripped") {
  auto ck = Checkpoint::open(kDir + "/trainer.pt");
  CHECK(ck->path() == kDir + "/trainer.pt");
  check_against_expected(*ck);
  // Views of one storage keep their offset and strides.
  const TensorInfo* transposed = ck->find("transposed");
  const TensorInfo* row1 = ck->find("row1");
  const TensorInfo* col2 = ck->find("col2");
  const TensorInfo* expanded = ck->find("expanded");
  REQUIRE(transposed != nullptr);
  REQUIRE(row1 != nullptr);
  REQUIRE(col2 != nullptr);
  REQUIRE(expanded != nullptr);
  CHECK(transposed->stride == std::vector<int64_t>{1, 4});
  CHECK(row1->storage_offset == 4);
  CHECK(col2->storage_offset == 2);
  CHECK(col2->stride == std::vector<int64_t>{4});
  CHECK(transposed->storage_record == row1->storage_record);
  CHECK(transposed->storage_record.rfind("trainer/data/", 0) == 0);
  CHECK(transposed->storage_numel == 12);
  CHECK(expanded->stride == std::vector<int64_t>{0, 1});
  CHECK(ck->find("module.fc.weight") == nullptr);
  CHECK(ck->find("fc.weight") != nullptr);
  CHECK(ck->find("bn.num_batches_tracked")->dtype == DType::kInt64);
  CHECK(ck->find("scalar")->shape.empty());
  // A wrong destination size is refused.
  std::vector<float> small(3);
  CHECK_THROWS_AS(ck->read_into(*transposed, small.data(), small.size() * 4), CheckpointError);
}

// Beside the state dict, the optimizer and the epoch as extras (what
// `intershape train --resume` reads back), value for value.
void check_optimizer_extras(const Checkpoint& ck) {
  std::ifstream in(kDir + "/expected_optimizer.json");
  REQUIRE(in);
  const nlohmann::json want = nlohmann::json::parse(in);
  const ExtraValue* epoch = ck.find_extra_value("epoch");
  REQUIRE(epoch != nullptr);
  CHECK(epoch->type == ExtraValue::Type::kInt);
  CHECK(epoch->integer == 7);
  const ExtraValue* lr = ck.find_extra_value("optimizer/param_groups/0/lr");
  REQUIRE(lr != nullptr);
  CHECK(lr->real == want["lr"].get<double>());
  const ExtraValue* beta2 = ck.find_extra_value("optimizer/param_groups/0/betas/1");
  REQUIRE(beta2 != nullptr);
  CHECK(beta2->real == 0.999);
  const auto params = want["params"].get<std::vector<int64_t>>();
  for (size_t i = 0; i < params.size(); ++i) {
    const ExtraValue* id =
        ck.find_extra_value("optimizer/param_groups/0/params/" + std::to_string(i));
    REQUIRE(id != nullptr);
    CHECK(id->integer == params[i]);
  }
  REQUIRE(!want["state"].empty());
  for (const auto& [index, s] : want["state"].items()) {
    const std::string base = "optimizer/state/" + index + "/";
    CAPTURE(base);
    const TensorInfo* step = ck.find_extra_tensor(base + "step");
    REQUIRE(step != nullptr);
    CHECK(step->shape.empty());
    CHECK(ck.read(*step).to_float()[0] == s["step"].get<double>());
    for (const char* name : {"exp_avg", "exp_avg_sq"}) {
      const TensorInfo* t = ck.find_extra_tensor(base + name);
      REQUIRE(t != nullptr);
      const std::vector<float> got = ck.read(*t).to_float();
      const auto w = s[name].get<std::vector<double>>();
      REQUIRE(got.size() == w.size());
      for (size_t k = 0; k < w.size(); ++k) CHECK(got[k] == static_cast<float>(w[k]));
    }
  }
  // The state dict's tensors are not repeated among the extras.
  for (const TensorInfo& t : ck.extra_tensors()) CHECK(t.key.rfind("network/", 0) != 0);
}

TEST_CASE("trainer checkpoint: epoch and optimizer state as extras (zip and legacy format)") {
  check_optimizer_extras(*Checkpoint::open(kDir + "/trainer.pt"));
  check_optimizer_extras(*Checkpoint::open(kDir + "/legacy_trainer.pt"));
  // A plain state dict has none.
  auto bare = Checkpoint::open(kDir + "/bare.pt");
  CHECK(bare->extra_tensors().empty());
  CHECK(bare->extra_values().empty());
}

TEST_CASE("bare state dict, {'state_dict': ...} and the legacy format read the same") {
  check_against_expected(*Checkpoint::open(kDir + "/bare.pt"));
  check_against_expected(*Checkpoint::open(kDir + "/state_dict.pt"));
  check_against_expected(*Checkpoint::open(kDir + "/legacy.pt"));
  check_against_expected(*Checkpoint::open(kDir + "/legacy_trainer.pt"));
  auto legacy = Checkpoint::open(kDir + "/legacy.pt");
  CHECK(legacy->find("transposed")->storage_record == legacy->find("row1")->storage_record);
}

TEST_CASE("legacy checkpoints cut short are refused") {
  CHECK(contains(open_error("legacy_cut_data.pt"), "legacy_cut_data.pt: truncated at storage "));
  CHECK(contains(open_error("legacy_cut_pickle.pt"), "legacy_cut_pickle.pt: object: byte "));
  CHECK(contains(open_error("legacy_cut_pickle.pt"), ": truncated: "));
  CHECK(
      contains(open_error("legacy_cut_magic.pt"), "legacy_cut_magic.pt: not a PyTorch checkpoint"));
}

TEST_CASE("MANO buffers from a checkpoint equal the pkl models (left fix already in them)") {
  auto ck = Checkpoint::open(kDir + "/mano.pt");
  const ArrayLookup lookup = state_dict_lookup(*ck);
  const ManoPair pkl = load_mano_dir(std::string(INTERSHAPE_TEST_DATA) + "/mano");
  for (const bool left : {false, true}) {
    CAPTURE(left);
    const ManoModel m = mano_from_state_dict(
        lookup, left ? "mesh_reg.mano_layer.l." : "mesh_reg.mano_layer.r.", left, ck->path());
    const ManoModel& want = left ? pkl.left : pkl.right;
    CHECK(m.is_left == left);
    CHECK(m.v_template == want.v_template);
    CHECK(m.shapedirs == want.shapedirs);
    CHECK(m.posedirs == want.posedirs);
    CHECK(m.j_regressor == want.j_regressor);
    CHECK(m.lbs_weights == want.lbs_weights);
    CHECK(m.parents == want.parents);
    CHECK(m.faces == want.faces);
    CHECK(m.hand_mean == want.hand_mean);
    CHECK(m.transl == std::array<float, 3>{0.01f, -0.02f, 0.03f});
  }
  // A missing buffer and a wrong shape are named.
  const ArrayLookup missing = [&](const std::string& key) -> std::optional<Array> {
    if (key.find("posedirs") != std::string::npos) return std::nullopt;
    return lookup(key);
  };
  CHECK_THROWS_WITH_AS(mano_from_state_dict(missing, "mesh_reg.mano_layer.r.", false, "ck.pt"),
                       doctest::Contains("ck.pt: no 'mesh_reg.mano_layer.r.posedirs' entry"),
                       ManoError);
  const ArrayLookup wrong = [&](const std::string& key) -> std::optional<Array> {
    auto a = lookup(key);
    if (a && key.find("hand_mean") != std::string::npos) a->shape = {5, 9};
    return a;
  };
  CHECK_THROWS_WITH_AS(
      mano_from_state_dict(wrong, "mesh_reg.mano_layer.r.", false, "ck.pt"),
      doctest::Contains("'mesh_reg.mano_layer.r.hand_mean': expected shape [45], got [5, 9]"),
      ManoError);
}

TEST_CASE("broken checkpoints: a clear CheckpointError naming the file") {
  CHECK(contains(open_error("missing.pt"), kDir + "/missing.pt: cannot open file"));
  CHECK(contains(open_error("not_a_zip.pt"), "not_a_zip.pt: not a zip archive"));
  CHECK(contains(open_error("truncated.pt"), "truncated.pt: "));
  CHECK(contains(open_error("no_pkl.pt"), "no_pkl.pt: no <archive>/data.pkl record"));
  CHECK(contains(open_error("not_state_dict.pt"),
                 "not_state_dict.pt: not_state_dict/data.pkl: holds list of 3, not a state dict"));
  CHECK(contains(open_error("not_tensors.pt"), "'w' is int 3, not a tensor"));
  CHECK(contains(open_error("crc_pkl.pt"),
                 "crc_pkl.pt: cannot read record trainer/data.pkl: CRC error"));
  MESSAGE("truncated: " << open_error("truncated.pt"));
  // A flipped byte in a storage record: the file opens, reading that tensor fails.
  auto ck = Checkpoint::open(kDir + "/crc.pt");
  const TensorInfo* f64 = ck->find("f64");
  REQUIRE(f64 != nullptr);
  CHECK_THROWS_WITH_AS(ck->read(*f64),
                       doctest::Contains("crc.pt: cannot read record trainer/data/"),
                       CheckpointError);
  CHECK_THROWS_WITH_AS(ck->read(*f64), doctest::Contains("CRC error (tensor 'f64')"),
                       CheckpointError);
  CHECK_NOTHROW(ck->read(*ck->find("fc.weight")));
}

TEST_CASE("checkpoint pickles: unknown globals and bad views are refused") {
  auto error = [](const std::string& pkl) {
    try {
      state_dict_from_pickle(reinterpret_cast<const uint8_t*>(pkl.data()), pkl.size(), "x.pt",
                             "x/");
    } catch (const CheckpointError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(contains(
      error("ctorch.storage\n_load_from_bytes\n."),
      "x.pt: byte 0: pickle refers to torch.storage._load_from_bytes, which is not allowed"));
  // {'w': _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 4), offset, (3,), (2,), False,
  // OrderedDict())}
  auto tensor = [](int offset, int size, int stride, int numel) {
    auto byte = [](int v) { return std::string(1, static_cast<char>(v)); };
    auto str = [&](const std::string& t) {
      return "X" + byte(static_cast<int>(t.size())) + std::string(3, '\0') + t;
    };
    return "}(" + str("w") + "ctorch._utils\n_rebuild_tensor_v2\n((" + str("storage") +
           "ctorch\nFloatStorage\n" + str("0") + str("cpu") + "K" + byte(numel) + "tQK" +
           byte(offset) + "K" + byte(size) + "\x85K" + byte(stride) + "\x85\x89}tRu.";
  };
  CHECK(error(tensor(0, 2, 2, 3)) == "no error");
  CHECK(contains(error(tensor(0, 3, 2, 4)),
                 "'w': view 0 + shape/stride reaches element 4 of a storage of 4"));
  CHECK(contains(error(tensor(3, 2, 1, 4)), "reaches element 4"));
}

TEST_CASE(
    "every truncation and byte flip of a checkpoint: CheckpointError or a clean read, never a "
    "crash") {
  for (const char* name : {"trainer.pt", "legacy_trainer.pt"}) {
    const std::string name_s = name;
    CAPTURE(name_s);
    std::ifstream in(kDir + "/" + name, std::ios::binary);
    const std::vector<char> good((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
    REQUIRE(good.size() > 1000);
    const std::string tmp = kDir + "/mutated_" + name;
    auto attempt = [&](const std::vector<char>& bytes) {
      {
        // A new file each time: truncating one in place makes ext4 flush it to disk.
        std::remove(tmp.c_str());
        std::ofstream out(tmp, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      }
      try {
        auto ck = Checkpoint::open(tmp);
        for (const TensorInfo& t : ck->tensors()) ck->read(t);
        return 0;
      } catch (const CheckpointError& e) {
        if (!contains(e.what(), tmp + ": ")) FAIL("error does not name the file: " << e.what());
        return 1;
      }
    };
    int refused = 0, read = 0;
    for (size_t n = 0; n < good.size(); ++n) {
      if (attempt(std::vector<char>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n))) ==
          1)
        ++refused;
      else
        ++read;
    }
    CHECK(read == 0);  // no prefix of a checkpoint is a checkpoint
    refused = read = 0;
    for (size_t i = 0; i < good.size(); ++i) {
      std::vector<char> flipped = good;
      flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
      if (attempt(flipped) == 1)
        ++refused;
      else
        ++read;
    }
    MESSAGE(name_s << ": one-byte flips: " << refused << " refused, " << read << " read");
    CHECK(refused > 0);
  }
}

TEST_CASE("a storage claiming 2^55 elements: no signed overflow in the view-repeat bound") {
  // Regression (issue 14, item 7): max(limit, 1) * kMaxViewRepeat overflowed
  // for storages above 2^53 elements (UBSan in the sanitizer build; in Release
  // it wrapped to 0 and the file was refused as "view repeats its storage").
  // The file is a 4-element view of a FloatStorage claiming 2^55 elements.
  std::ifstream in(
      std::string(INTERSHAPE_TEST_DATA) + "/fuzz/pickle/regress_view_repeat_overflow.pkl",
      std::ios::binary);
  REQUIRE(in);
  const std::vector<uint8_t> pkl((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
  const std::vector<TensorInfo> t = state_dict_from_pickle(pkl.data(), pkl.size(), "x.pt", "x/");
  REQUIRE(t.size() == 1);
  CHECK(t[0].storage_numel == (int64_t{1} << 55));
  CHECK(t[0].shape == std::vector<int64_t>{4});
  CHECK(t[0].numel() == 4);
}
