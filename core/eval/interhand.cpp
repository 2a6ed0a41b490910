#include "core/eval/interhand.h"

#include <simdjson.h>

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

std::unique_ptr<Parsed> parse_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw DatasetError(path + ": annotation file not found");
  auto parsed = std::make_unique<Parsed>();
  simdjson::padded_string text;
  if (auto err = simdjson::padded_string::load(path).get(text))
    throw DatasetError(path + ": cannot read: " + simdjson::error_message(err));
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

array as_array(const element& e, const std::string& path, const std::string& where) {
  array a;
  if (e.get(a)) fail(path, where, "expected an array");
  return a;
}

double as_number(const element& e, const std::string& path, const std::string& where) {
  // Integers and floats both count (the release mixes them), and booleans for flags.
  if (e.is_bool()) return e.get_bool().value_unsafe() ? 1.0 : 0.0;
  double d;
  if (e.get_double().get(d)) fail(path, where, "expected a number");
  return d;
}

int64_t as_int(const element& e, const std::string& path, const std::string& where) {
  int64_t i;
  if (e.get_int64().get(i)) {
    double d;
    if (e.get_double().get(d) || d != static_cast<double>(static_cast<int64_t>(d)))
      fail(path, where, "expected an integer");
    return static_cast<int64_t>(d);
  }
  return i;
}

std::string as_string(const element& e, const std::string& path, const std::string& where) {
  std::string_view s;
  if (e.get_string().get(s)) {
    // Some releases store camera ids as numbers.
    int64_t i;
    if (!e.get_int64().get(i)) return std::to_string(i);
    fail(path, where, "expected a string");
  }
  return std::string(s);
}

// A fixed-size numeric array; nested one-element lists ([[1], [0], ...]) are flattened.
template <size_t N>
void read_numbers(const element& e, std::array<float, N>& out, const std::string& path,
                  const std::string& where) {
  size_t n = 0;
  std::function<void(const element&)> walk = [&](const element& x) {
    array arr;
    if (!x.get(arr)) {  // a named array: iterating a temporary result would dangle
      for (element c : arr) walk(c);
      return;
    }
    if (n >= N) fail(path, where, "expected " + std::to_string(N) + " numbers, got more");
    out[n++] = static_cast<float>(as_number(x, path, where));
  };
  walk(e);
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

void parse_data_json(const std::string& path, Annotations& out) {
  auto parsed = parse_file(path);
  const object root = as_object(parsed->root, path, "top level");
  const array images = as_array(field(root, "images", path, "top level"), path, "'images'");
  const array anns = as_array(field(root, "annotations", path, "top level"), path, "'annotations'");

  // Image records by id; the annotation joins them (as pycocotools' loadImgs).
  std::unordered_map<int64_t, size_t> image_index;
  std::vector<Sample> image_rows;
  image_rows.reserve(images.size());
  size_t i = 0;
  for (element e : images) {
    const std::string where0 = "images[" + std::to_string(i) + "]";
    const object o = as_object(e, path, where0);
    Sample s;
    s.image_id = as_int(field(o, "id", path, where0), path, where0 + " 'id'");
    const std::string where = entry("images", i, s.image_id);
    s.file_name = as_string(field(o, "file_name", path, where), path, where + " 'file_name'");
    s.width = static_cast<int>(as_int(field(o, "width", path, where), path, where + " 'width'"));
    s.height = static_cast<int>(as_int(field(o, "height", path, where), path, where + " 'height'"));
    s.capture = static_cast<int>(as_int(field(o, "capture", path, where), path, where + " 'capture'"));
    element subj;
    if (!o["subject"].get(subj)) s.subject = static_cast<int>(as_int(subj, path, where + " 'subject'"));
    s.seq_name = as_string(field(o, "seq_name", path, where), path, where + " 'seq_name'");
    s.camera = as_string(field(o, "camera", path, where), path, where + " 'camera'");
    s.frame = static_cast<int>(as_int(field(o, "frame_idx", path, where), path, where + " 'frame_idx'"));
    if (!image_index.emplace(s.image_id, image_rows.size()).second)
      fail(path, where, "duplicate image id");
    image_rows.push_back(std::move(s));
    ++i;
  }

  out.samples.clear();
  out.samples.reserve(anns.size());
  i = 0;
  for (element e : anns) {
    const std::string where0 = "annotations[" + std::to_string(i) + "]";
    const object o = as_object(e, path, where0);
    const int64_t id = as_int(field(o, "id", path, where0), path, where0 + " 'id'");
    const std::string where = entry("annotations", i, id);
    const int64_t image_id =
        as_int(field(o, "image_id", path, where), path, where + " 'image_id'");
    auto img = image_index.find(image_id);
    if (img == image_index.end())
      fail(path, where, "image_id " + std::to_string(image_id) + " is not in 'images'");
    Sample s = image_rows[img->second];
    s.ann_id = id;
    read_numbers(field(o, "bbox", path, where), s.bbox, path, where + " 'bbox'");
    read_numbers(field(o, "joint_valid", path, where), s.joint_valid, path,
                 where + " 'joint_valid'");
    s.hand_type = as_string(field(o, "hand_type", path, where), path, where + " 'hand_type'");
    s.hand_type_valid = static_cast<int>(
        as_number(field(o, "hand_type_valid", path, where), path, where + " 'hand_type_valid'"));
    out.samples.push_back(std::move(s));
    ++i;
  }
}

void parse_camera_json(const std::string& path, Annotations& out) {
  auto parsed = parse_file(path);
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

void parse_mano_json(const std::string& path, Annotations& out) {
  auto parsed = parse_file(path);
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
