#include "mano/mano_model.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "core/formats/numpy_pickle.h"
#include "core/formats/pickle.h"

namespace intershape::mano {

namespace {

namespace formats = core::formats;
namespace pickle = core::formats::pickle;
using formats::Array;
using formats::DType;
using pickle::Kind;
using pickle::Value;

// Errors name the file and the entry being read.
struct Where {
  const std::string& source;
  std::string key;
  [[noreturn]] void fail(const std::string& message) const {
    throw ManoError(source + ": '" + key + "': " + message);
  }
};

Array checked(const Array& a, const Where& at, std::vector<int64_t> want, bool floating) {
  if (floating != formats::is_floating(a.dtype)) {
    at.fail(std::string("expected ") + (floating ? "floating-point" : "integer") + " values, got " +
            formats::dtype_name(a.dtype));
  }
  if (a.shape != want)
    at.fail("expected shape " + formats::shape_string(want) + ", got " + a.shape_string());
  return a;
}

std::vector<int32_t> to_parents(const std::vector<int64_t>& row0, const Where& at) {
  std::vector<int32_t> parents(row0.size());
  for (size_t i = 0; i < row0.size(); ++i) {
    if (i == 0) {
      parents[0] = -1;  // 4294967295 (uint32 -1) in the pkl, -1 in a checkpoint
      continue;
    }
    // Forward kinematics composes a joint after its parent.
    if (row0[i] < 0 || row0[i] >= static_cast<int64_t>(i)) {
      at.fail("parent of joint " + std::to_string(i) + " is " + std::to_string(row0[i]) +
              ", not an earlier joint");
    }
    parents[i] = static_cast<int32_t>(row0[i]);
  }
  return parents;
}

std::vector<int32_t> to_faces(const std::vector<int64_t>& f, const Where& at) {
  std::vector<int32_t> faces(f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] < 0 || f[i] >= kVertices)
      at.fail("face vertex index " + std::to_string(f[i]) + " out of range");
    faces[i] = static_cast<int32_t>(f[i]);
  }
  return faces;
}

// smplx keeps posedirs as [135, 778*3]: reshape([-1, 135]).T of the [778, 3, 135] array.
std::vector<float> posedirs_to_smplx(const std::vector<float>& p) {
  const size_t rows = static_cast<size_t>(kVertices) * 3;
  std::vector<float> out(p.size());
  for (size_t r = 0; r < rows; ++r) {
    for (size_t k = 0; k < kPoseFeatures; ++k) out[k * rows + r] = p[r * kPoseFeatures + k];
  }
  return out;
}

void check_finite(const std::vector<float>& v, const Where& at) {
  for (float x : v) {
    if (!std::isfinite(x)) at.fail("contains a non-finite value");
  }
}

// A MANO model dict (the unpickled root) to the model; array errors from the
// numpy layer are reported as ManoError, like every other problem of the file.
ManoModel model_from_pickle(const Value* root, const std::string& source, bool is_left);

}  // namespace

const std::vector<std::string>& mano_pickle_globals() {
  static const std::vector<std::string> kGlobals = {
      "numpy.core.multiarray._reconstruct",
      "numpy._core.multiarray._reconstruct",
      "numpy.ndarray",
      "numpy.dtype",
      "scipy.sparse.csc.csc_matrix",
      "scipy.sparse._csc.csc_matrix",
      "chumpy.ch.Ch",
      "chumpy.reordering.Select",
      "__builtin__.set",
      "builtins.set",
      "_codecs.encode",
  };
  return kGlobals;
}

ManoModel load_mano_pkl_bytes(const uint8_t* data, size_t size, const std::string& source,
                              bool is_left) {
  pickle::Options options;
  options.source = source;
  options.allowed_globals = mano_pickle_globals();
  pickle::Document doc;
  try {
    doc = pickle::parse(data, size, options);
  } catch (const pickle::PickleError& e) {
    throw ManoError(e.what());
  }
  try {
    return model_from_pickle(doc.root(), source, is_left);
  } catch (const formats::ArrayError& e) {
    throw ManoError(e.what());
  }
}

ManoModel load_mano_pkl(const std::string& path, bool is_left) {
  std::vector<uint8_t> bytes;
  try {
    bytes = pickle::read_file_bytes(path);
  } catch (const pickle::PickleError& e) {
    throw ManoError(e.what());
  }
  return load_mano_pkl_bytes(bytes.data(), bytes.size(), path, is_left);
}

ManoPair load_mano_dir(const std::string& dir) {
  ManoPair pair;
  const std::string sep = (!dir.empty() && dir.back() == '/') ? "" : "/";
  pair.right = load_mano_pkl(dir + sep + "MANO_RIGHT.pkl", false);
  pair.left = load_mano_pkl(dir + sep + "MANO_LEFT.pkl", true);
  // The official left file's shapedirs are the right's, x not mirrored: the
  // reference negates the x component when the two are (nearly) the same.
  double diff = 0;
  for (size_t v = 0; v < static_cast<size_t>(kVertices); ++v) {
    for (size_t k = 0; k < kShapeComponents; ++k) {
      const size_t i = (v * 3 + 0) * kShapeComponents + k;
      diff += std::fabs(static_cast<double>(pair.left.shapedirs[i]) - pair.right.shapedirs[i]);
    }
  }
  if (diff < 1.0) {
    for (size_t v = 0; v < static_cast<size_t>(kVertices); ++v) {
      for (size_t k = 0; k < kShapeComponents; ++k) {
        float& x = pair.left.shapedirs[(v * 3 + 0) * kShapeComponents + k];
        x = -x;
      }
    }
  }
  return pair;
}

ManoModel mano_from_state_dict(const ArrayLookup& lookup, const std::string& prefix, bool is_left,
                               const std::string& source) {
  auto get = [&](const std::string& name, std::vector<int64_t> shape, bool floating) {
    const std::string key = prefix + name;
    std::optional<Array> a = lookup(key);
    if (!a)
      throw ManoError(source + ": no '" + key +
                      "' entry: not a checkpoint of the two-hand network");
    Where at{source, key};
    return checked(*a, at, std::move(shape), floating);
  };
  ManoModel m;
  m.is_left = is_left;
  m.source = source;
  m.v_template = get("v_template", {kVertices, 3}, true).to_float();
  m.shapedirs = get("shapedirs", {kVertices, 3, kShapeComponents}, true).to_float();
  m.posedirs = get("posedirs", {kPoseFeatures, kVertices * 3}, true).to_float();
  m.j_regressor = get("J_regressor", {kSkeletonJoints, kVertices}, true).to_float();
  m.lbs_weights = get("lbs_weights", {kVertices, kSkeletonJoints}, true).to_float();
  {
    std::vector<int64_t> p = get("parents", {kSkeletonJoints}, false).to_int64();
    if (p[0] != -1)
      Where{source, prefix + "parents"}.fail("root parent is " + std::to_string(p[0]) + ", not -1");
    m.parents = to_parents(p, Where{source, prefix + "parents"});
  }
  m.faces = to_faces(get("faces_tensor", {kFaces, 3}, false).to_int64(),
                     Where{source, prefix + "faces_tensor"});
  m.hand_mean = get("hand_mean", {45}, true).to_float();
  if (std::optional<Array> t = lookup(prefix + "transl")) {
    Where at{source, prefix + "transl"};
    const std::vector<float> v = checked(*t, at, {1, 3}, true).to_float();
    m.transl = {v[0], v[1], v[2]};
  }
  check_finite(m.v_template, Where{source, prefix + "v_template"});
  check_finite(m.shapedirs, Where{source, prefix + "shapedirs"});
  check_finite(m.posedirs, Where{source, prefix + "posedirs"});
  check_finite(m.j_regressor, Where{source, prefix + "J_regressor"});
  check_finite(m.lbs_weights, Where{source, prefix + "lbs_weights"});
  check_finite(m.hand_mean, Where{source, prefix + "hand_mean"});
  return m;
}

namespace {

ManoModel model_from_pickle(const Value* root, const std::string& source, bool is_left) {
  if (!root->is(Kind::kDict))
    throw ManoError(source + ": the pickle holds " + pickle::describe(root) +
                    ", not a MANO model dict");

  auto entry = [&](const char* key) {
    const Value* v = root->get(key);
    if (v == nullptr)
      throw ManoError(source + ": no '" + std::string(key) + "' entry: not a MANO model file");
    return v;
  };
  auto array = [&](const char* key, std::vector<int64_t> shape, bool floating) {
    Where at{source, key};
    return checked(formats::array_from_pickle(entry(key), source, key), at, std::move(shape), floating);
  };

  ManoModel m;
  m.is_left = is_left;
  m.source = source;
  m.v_template = array("v_template", {kVertices, 3}, true).to_float();
  {
    Where at{source, "shapedirs"};
    Array s = formats::array_from_pickle(entry("shapedirs"), source, "shapedirs");
    if (!formats::is_floating(s.dtype))
      at.fail(std::string("expected floating-point values, got ") + formats::dtype_name(s.dtype));
    if (s.shape.size() != 3 || s.shape[0] != kVertices || s.shape[1] != 3 ||
        s.shape[2] < kShapeComponents) {
      at.fail("expected shape [778, 3, >= 10], got " + s.shape_string());
    }
    const std::vector<float> all = s.to_float();
    const size_t k = static_cast<size_t>(s.shape[2]);
    m.shapedirs.resize(static_cast<size_t>(kVertices) * 3 * kShapeComponents);
    for (size_t r = 0; r < static_cast<size_t>(kVertices) * 3; ++r) {
      for (size_t c = 0; c < kShapeComponents; ++c)
        m.shapedirs[r * kShapeComponents + c] = all[r * k + c];
    }
  }
  m.posedirs = posedirs_to_smplx(array("posedirs", {kVertices, 3, kPoseFeatures}, true).to_float());
  m.j_regressor = array("J_regressor", {kSkeletonJoints, kVertices}, true).to_float();
  m.lbs_weights = array("weights", {kVertices, kSkeletonJoints}, true).to_float();
  {
    const std::vector<int64_t> k = array("kintree_table", {2, kSkeletonJoints}, false).to_int64();
    m.parents = to_parents(std::vector<int64_t>(k.begin(), k.begin() + kSkeletonJoints),
                           Where{source, "kintree_table"});
  }
  m.faces = to_faces(array("f", {kFaces, 3}, false).to_int64(), Where{source, "f"});
  m.hand_mean = array("hands_mean", {45}, true).to_float();
  check_finite(m.v_template, Where{source, "v_template"});
  check_finite(m.shapedirs, Where{source, "shapedirs"});
  check_finite(m.posedirs, Where{source, "posedirs"});
  check_finite(m.j_regressor, Where{source, "J_regressor"});
  check_finite(m.lbs_weights, Where{source, "weights"});
  check_finite(m.hand_mean, Where{source, "hands_mean"});
  return m;
}

}  // namespace

}  // namespace intershape::mano
