#include "core/eval/interhand.h"

#include <simdjson.h>

#include <cmath>
#include <deque>
#include <limits>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <unordered_map>

namespace intershape::core::eval {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// Messages name the file and the entry: "FILE: annotations[12] (id 1000013): 'bbox': expected 4 numbers".
[[noreturn]] void fail(const std::string& path, const std::string& where, const std::string& what) {
  throw DatasetError(path + ": " + (where.empty() ? "" : where + ": ") + what);
}

// The whole file, parsed. simdjson's error names are kept in the message (a
// truncated file reads "TAPE_ERROR: The JSON document has an improper structure").
struct Parsed {
  simdjson::dom::parser parser;
  element root;
};

simdjson::padded_string load_text(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw DatasetError(path + ": annotation file not found");
  simdjson::padded_string text;
  if (auto err = simdjson::padded_string::load(path).get(text))
    throw DatasetError(path + ": cannot read: " + simdjson::error_message(err));
  return text;
}

std::unique_ptr<Parsed> parse_text(const std::string& path, const simdjson::padded_string& text) {
  auto parsed = std::make_unique<Parsed>();
  if (auto err = parsed->parser.parse(text).get(parsed->root))
    throw DatasetError(path + ": not valid JSON (malformed or truncated): " +
                       simdjson::error_message(err));
  return parsed;
}

element field(const object& o, std::string_view key, const std::string& path,
              const std::string& where) {
  element e;
  if (o[key].get(e)) fail(path, where, "missing field '" + std::string(key) + "'");
  return e;
}

object as_object(const element& e, const std::string& path, const std::string& where) {
  object o;
  if (e.get(o)) fail(path, where, "expected an object");
  return o;
}

// Range checks before narrowing: a float or integer conversion of a value
// out of range is undefined behaviour, and a silently wrapped capture or
// frame number would join the wrong ground truth.
float to_float(double d, const std::string& path, const std::string& where) {
  if (!(std::fabs(d) <= static_cast<double>(std::numeric_limits<float>::max())))
    fail(path, where, "number out of range for a float: " + std::to_string(d));
  return static_cast<float>(d);
}

int64_t whole_number(double d, const std::string& path, const std::string& where) {
  // [-2^63, 2^63): the doubles that convert to int64 exactly.
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != std::trunc(d))
    fail(path, where, "expected an integer");
  return static_cast<int64_t>(d);
}

int to_int(int64_t v, const std::string& path, const std::string& where, const char* name) {
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    fail(path, where, std::string("'") + name + "' out of range: " + std::to_string(v));
  return static_cast<int>(v);
}

double as_number(const element& e, const std::string& path, const std::string& where) {
  // Integers and floats both count (the release mixes them), and booleans for flags.
  if (e.is_bool()) return e.get_bool().value_unsafe() ? 1.0 : 0.0;
  double d;
  if (e.get_double().get(d)) fail(path, where, "expected a number");
  return d;
}

// The release nests at most two deep ([[1], [0], ...]); a hostile file nested
// thousands deep would otherwise overflow the stack in the recursive walk
// (found by fuzz_interhand).
constexpr int kMaxNumberNesting = 8;

// A fixed-size numeric array; nested one-element lists ([[1], [0], ...]) are flattened.
template <size_t N>
void read_numbers(const element& e, std::array<float, N>& out, const std::string& path,
                  const std::string& where) {
  size_t n = 0;
  std::function<void(const element&, int)> walk = [&](const element& x, int depth) {
    array arr;
    if (!x.get(arr)) {  // a named array: iterating a temporary result would dangle
      if (depth >= kMaxNumberNesting) fail(path, where, "numbers nested too deeply");
      for (element c : arr) walk(c, depth + 1);
      return;
    }
    if (n >= N) fail(path, where, "expected " + std::to_string(N) + " numbers, got more");
    out[n++] = to_float(as_number(x, path, where), path, where);
  };
  walk(e, 0);
  if (n != N)
    fail(path, where, "expected " + std::to_string(N) + " numbers, got " + std::to_string(n));
}

std::string entry(const char* list, size_t i, int64_t id) {
  return std::string(list) + "[" + std::to_string(i) + "] (id " + std::to_string(id) + ")";
}

}  // namespace

std::string annotation_file(const std::string& dataset_dir, const std::string& split,
                            const std::string& kind) {
  return (std::filesystem::path(dataset_dir) / "annotations" / split /
          ("InterHand2.6M_" + split + "_" + kind + ".json"))
      .string();
}

std::string Annotations::data_path() const {
  return annotation_dir + "/InterHand2.6M_" + split + "_data.json";
}
std::string Annotations::camera_path() const {
  return annotation_dir + "/InterHand2.6M_" + split + "_camera.json";
}
std::string Annotations::mano_path() const {
  return annotation_dir + "/InterHand2.6M_" + split + "_MANO_NeuralAnnot.json";
}

const Camera& Annotations::camera_of(const Sample& s) const {
  auto c = cameras.find(std::to_string(s.capture));
  if (c == cameras.end())
    throw DatasetError(camera_path() + ": no capture " + std::to_string(s.capture) +
                       " (needed by annotation " + std::to_string(s.ann_id) + ", " + s.file_name +
                       ")");
  auto cam = c->second.find(s.camera);
  if (cam == c->second.end())
    throw DatasetError(camera_path() + ": capture " + std::to_string(s.capture) +
                       " has no camera " + s.camera + " (needed by annotation " +
                       std::to_string(s.ann_id) + ", " + s.file_name + ")");
  return cam->second;
}

const FrameFits* Annotations::fits_of(const Sample& s) const {
  auto it = fits.find(frame_key(s.capture, s.frame));
  return it == fits.end() ? nullptr : &it->second;
}

// The data file is the largest (~500 MB for the test split): it is read with
// simdjson's On-Demand API, which keeps no tape (the DOM's tape of the
// joint_valid lists alone would be ~1.7 GB), so memory is the text plus the
// samples. Errors (simdjson exceptions) are reported with the entry being read.
namespace {
// `text` is released as soon as it is parsed (it can be hundreds of MB).
void parse_data(const std::string& path, simdjson::padded_string& text, Annotations& out) {
  namespace od = simdjson::ondemand;

  struct AnnRow {
    int64_t id = 0, image_id = 0;
    std::array<float, 4> bbox{};
    std::array<float, 42> joint_valid{};
    std::string hand_type;
    int hand_type_valid = 0;
    uint8_t have = 0;  // bit flags of the fields seen
  };
  // deques: no reallocation copies of hundreds of MB while growing
  std::deque<Sample> images;
  std::deque<AnnRow> anns;
  std::string where = "top level";
  od::parser parser;
  auto number = [&](od::value v) -> double {
    if (v.type() == od::json_type::boolean) return bool(v) ? 1.0 : 0.0;
    return double(v);
  };
  auto integer = [&](od::value v) -> int64_t {
    if (v.type() == od::json_type::number && v.get_number_type() == od::number_type::floating_point_number) {
      return whole_number(double(v), path, where);
    }
    return int64_t(v);
  };
  auto string = [&](od::value v) -> std::string {
    if (v.type() == od::json_type::number) return std::to_string(int64_t(v));
    return std::string(std::string_view(v));
  };
  auto numbers = [&](od::value v, float* dst, size_t n, const char* name) {
    size_t k = 0;
    std::function<void(od::value, int)> walk = [&](od::value x, int depth) {
      if (x.type() == od::json_type::array) {
        if (depth >= kMaxNumberNesting)
          fail(path, where, std::string("'") + name + "': numbers nested too deeply");
        for (od::value c : x.get_array()) walk(c, depth + 1);
        return;
      }
      if (k >= n) fail(path, where, std::string("'") + name + "': expected " + std::to_string(n) + " numbers, got more");
      dst[k++] = to_float(number(x), path, where);
    };
    walk(v, 0);
    if (k != n)
      fail(path, where, std::string("'") + name + "': expected " + std::to_string(n) + " numbers, got " + std::to_string(k));
  };
  try {
    od::document doc = parser.iterate(text);
    od::object root = doc.get_object();
    for (auto field : root) {
      const std::string_view key = field.unescaped_key();
      if (key == "images") {
        size_t i = 0;
        for (od::value e : field.value().get_array()) {
          where = "images[" + std::to_string(i) + "]";
          Sample s;
          uint8_t have = 0;
          for (auto f : e.get_object()) {
            const std::string_view k = f.unescaped_key();
            od::value v = f.value();
            if (k == "id") { s.image_id = integer(v); have |= 1; where = entry("images", i, s.image_id); }
            else if (k == "file_name") { s.file_name = string(v); have |= 2; }
            else if (k == "width") { s.width = to_int(integer(v), path, where, "width"); have |= 4; }
            else if (k == "height") { s.height = to_int(integer(v), path, where, "height"); have |= 8; }
            else if (k == "capture") { s.capture = to_int(integer(v), path, where, "capture"); have |= 16; }
            else if (k == "subject") { s.subject = to_int(integer(v), path, where, "subject"); }
            else if (k == "seq_name") { s.seq_name = string(v); have |= 32; }
            else if (k == "camera") { s.camera = string(v); have |= 64; }
            else if (k == "frame_idx") { s.frame = to_int(integer(v), path, where, "frame_idx"); have |= 128; }
          }
          static const char* names[8] = {"id", "file_name", "width", "height", "capture", "seq_name", "camera", "frame_idx"};
          for (int b = 0; b < 8; ++b)
            if (!(have & (1 << b))) fail(path, where, std::string("missing field '") + names[b] + "'");
          images.push_back(std::move(s));
          ++i;
        }
      } else if (key == "annotations") {
        size_t i = 0;
        for (od::value e : field.value().get_array()) {
          where = "annotations[" + std::to_string(i) + "]";
          AnnRow a;
          for (auto f : e.get_object()) {
            const std::string_view k = f.unescaped_key();
            od::value v = f.value();
            if (k == "id") { a.id = integer(v); a.have |= 1; where = entry("annotations", i, a.id); }
            else if (k == "image_id") { a.image_id = integer(v); a.have |= 2; }
            else if (k == "bbox") { numbers(v, a.bbox.data(), 4, "bbox"); a.have |= 4; }
            else if (k == "joint_valid") { numbers(v, a.joint_valid.data(), 42, "joint_valid"); a.have |= 8; }
            else if (k == "hand_type") { a.hand_type = string(v); a.have |= 16; }
            else if (k == "hand_type_valid") { a.hand_type_valid = to_int(whole_number(number(v), path, where), path, where, "hand_type_valid"); a.have |= 32; }
          }
          static const char* names[6] = {"id", "image_id", "bbox", "joint_valid", "hand_type", "hand_type_valid"};
          for (int b = 0; b < 6; ++b)
            if (!(a.have & (1 << b))) fail(path, where, std::string("missing field '") + names[b] + "'");
          anns.push_back(std::move(a));
          ++i;
        }
      }
    }
  } catch (const simdjson::simdjson_error& e) {
    throw DatasetError(path + ": " + where + ": not valid JSON (malformed or truncated): " + e.what());
  }
  text = simdjson::padded_string();  // the text is no longer needed

  // Join (pycocotools' loadImgs): by image id; an image used once is moved.
  std::unordered_map<int64_t, size_t> index;
  index.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i)
    if (!index.emplace(images[i].image_id, i).second)
      fail(path, entry("images", i, images[i].image_id), "duplicate image id");
  std::vector<uint32_t> uses(images.size(), 0);
  for (size_t i = 0; i < anns.size(); ++i) {
    auto it = index.find(anns[i].image_id);
    if (it == index.end())
      fail(path, entry("annotations", i, anns[i].id),
           "image_id " + std::to_string(anns[i].image_id) + " is not in 'images'");
    ++uses[it->second];
  }
  out.samples.clear();
  out.samples.reserve(anns.size());
  for (AnnRow& a : anns) {
    const size_t im = index.at(a.image_id);
    Sample s = --uses[im] == 0 ? std::move(images[im]) : images[im];
    s.ann_id = a.id;
    s.bbox = a.bbox;
    s.joint_valid = a.joint_valid;
    s.hand_type = std::move(a.hand_type);
    s.hand_type_valid = a.hand_type_valid;
    out.samples.push_back(std::move(s));
  }
}

}  // namespace

void parse_data_json(const std::string& path, Annotations& out) {
  simdjson::padded_string text = load_text(path);
  parse_data(path, text, out);
}

void parse_data_text(const std::string& name, std::string_view json, Annotations& out) {
  simdjson::padded_string text(json);
  parse_data(name, text, out);
}

namespace {
void parse_camera(const std::string& path, const simdjson::padded_string& text, Annotations& out) {
  auto parsed = parse_text(path, text);
  const object root = as_object(parsed->root, path, "top level");
  out.cameras.clear();
  for (auto [capture, value] : root) {
    const std::string where = "capture " + std::string(capture);
    const object cap = as_object(value, path, where);
    auto& cams = out.cameras[std::string(capture)];
    const object campos = as_object(field(cap, "campos", path, where), path, where + " 'campos'");
    const object camrot = as_object(field(cap, "camrot", path, where), path, where + " 'camrot'");
    const object focal = as_object(field(cap, "focal", path, where), path, where + " 'focal'");
    const object princpt = as_object(field(cap, "princpt", path, where), path, where + " 'princpt'");
    for (auto [cam, pos] : campos) {
      const std::string w = where + " camera " + std::string(cam);
      Camera c;
      read_numbers(pos, c.campos, path, w + " 'campos'");
      read_numbers(field(camrot, cam, path, w + " 'camrot'"), c.camrot, path, w + " 'camrot'");
      read_numbers(field(focal, cam, path, w + " 'focal'"), c.focal, path, w + " 'focal'");
      read_numbers(field(princpt, cam, path, w + " 'princpt'"), c.princpt, path, w + " 'princpt'");
      cams[std::string(cam)] = c;
    }
  }
}

void parse_mano(const std::string& path, const simdjson::padded_string& text, Annotations& out) {
  auto parsed = parse_text(path, text);
  const object root = as_object(parsed->root, path, "top level");
  out.fits.clear();
  out.fit_captures.clear();
  for (auto [capture, value] : root) {
    const std::string where = "capture " + std::string(capture);
    int capture_id = 0;
    try {
      capture_id = std::stoi(std::string(capture));
    } catch (const std::exception&) {
      fail(path, where, "capture key is not an integer");
    }
    out.fit_captures.emplace_back(capture);
    const object frames = as_object(value, path, where);
    for (auto [frame, hands] : frames) {
      const std::string w = where + " frame " + std::string(frame);
      int frame_id = 0;
      try {
        frame_id = std::stoi(std::string(frame));
      } catch (const std::exception&) {
        fail(path, w, "frame key is not an integer");
      }
      const object ho = as_object(hands, path, w);
      FrameFits ff;
      for (int h = 0; h < 2; ++h) {
        const char* name = h == 0 ? "right" : "left";
        element fit;
        if (ho[name].get(fit) || fit.is_null()) continue;  // absent or null: no fit
        const std::string wh = w + " '" + name + "'";
        const object fo = as_object(fit, path, wh);
        ManoFit m;
        read_numbers(field(fo, "pose", path, wh), m.pose, path, wh + " 'pose'");
        read_numbers(field(fo, "shape", path, wh), m.shape, path, wh + " 'shape'");
        read_numbers(field(fo, "trans", path, wh), m.trans, path, wh + " 'trans'");
        ff.hands[h] = m;
      }
      out.fits[frame_key(capture_id, frame_id)] = ff;
    }
  }
}

}  // namespace

void parse_camera_json(const std::string& path, Annotations& out) {
  parse_camera(path, load_text(path), out);
}
void parse_camera_text(const std::string& name, std::string_view json, Annotations& out) {
  parse_camera(name, simdjson::padded_string(json), out);
}
void parse_mano_json(const std::string& path, Annotations& out) {
  parse_mano(path, load_text(path), out);
}
void parse_mano_text(const std::string& name, std::string_view json, Annotations& out) {
  parse_mano(name, simdjson::padded_string(json), out);
}

Annotations load_annotations(const std::string& dataset_dir, const std::string& split) {
  Annotations a;
  a.split = split;
  a.annotation_dir = (std::filesystem::path(dataset_dir) / "annotations" / split).string();
  a.image_dir = (std::filesystem::path(dataset_dir) / "images" / split).string();
  std::error_code ec;
  if (!std::filesystem::is_directory(a.annotation_dir, ec))
    throw DatasetError(a.annotation_dir +
                       ": no such folder (expected the InterHand2.6M_5fps_batch1 folder with "
                       "annotations/<split>/ and images/<split>/)");
  parse_data_json(a.data_path(), a);
  parse_camera_json(a.camera_path(), a);
  parse_mano_json(a.mano_path(), a);
  return a;
}

}  // namespace intershape::core::eval
