#include "core/exporters/frame_json.h"

#include <charconv>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/detect/detections_export.h"
#include "core/formats/atomic_file.h"

namespace intershape::core::exporters {
namespace {

// A small append-only JSON emitter: nlohmann would print each float as the
// shortest double that reads back, i.e. up to 17 digits for a float32.
class Emitter {
 public:
  std::string out;
  void key(const char* k) {
    sep();
    out += '"';
    out += k;
    out += "\":";
    first_ = true;  // the value follows without a comma
    after_key_ = true;
  }
  void num(double v, int digits = 9) {
    sep();
    if (!std::isfinite(v)) {
      out += "null";  // JSON has no NaN/Inf; read back as NaN
      return;
    }
    char buf[40];
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
    // The same text as printf's %.{digits}g (the standard says so), about 5x
    // faster: a frame's JSON holds ~20,000 numbers (5 ms a frame with snprintf).
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, digits);
    out.append(buf, r.ptr);
#else
    const int n = std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    out.append(buf, static_cast<size_t>(n));
#endif
  }
  void f(float v) { num(v, 9); }
  void d(double v) { num(v, 17); }
  void i(int64_t v) {
    sep();
    out += std::to_string(v);
  }
  // A value that is already JSON text.
  void raw(const std::string& json_text) {
    sep();
    out += json_text;
  }
  void b(bool v) {
    sep();
    out += v ? "true" : "false";
  }
  void str(const std::string& s) {
    sep();
    out += nlohmann::json(s).dump();  // escaping
  }
  void open(char c) {
    sep();
    out += c;
    first_ = true;
  }
  void close(char c) {
    out += c;
    first_ = false;
  }
  void floats(const float* p, size_t n) {
    open('[');
    for (size_t k = 0; k < n; ++k) f(p[k]);
    close(']');
  }
  // [[x,y,z],...] rows of `width`.
  void rows(const float* p, size_t count, int width) {
    open('[');
    for (size_t r = 0; r < count; ++r) floats(p + r * width, static_cast<size_t>(width));
    close(']');
  }

 private:
  void sep() {
    if (after_key_) {
      after_key_ = false;
      first_ = false;
      return;
    }
    if (!first_) out += ',';
    first_ = false;
  }
  bool first_ = true;
  bool after_key_ = false;
};

void emit_params(Emitter& e, const HandParams& p) {
  e.key("pose");
  e.floats(p.pose.data(), p.pose.size());
  e.key("shape");
  e.floats(p.shape.data(), p.shape.size());
}

// --- reading ---------------------------------------------------------------

using nlohmann::json;

[[noreturn]] void bad(const std::string& name, const std::string& what) {
  throw formats::ExportError(name + ": " + what);
}

const json& member(const json& obj, const char* key, const std::string& name,
                   const std::string& where) {
  if (!obj.is_object()) bad(name, where + " is not an object");
  auto it = obj.find(key);
  if (it == obj.end()) bad(name, "missing " + where + (where.empty() ? "" : ".") + key);
  return *it;
}

float to_float(const json& v, const std::string& name, const std::string& where) {
  if (v.is_null()) return NAN;
  if (!v.is_number()) bad(name, where + " is not a number");
  // Checked before narrowing: converting 1e300 to float is undefined behaviour.
  const double d = v.get<double>();
  if (std::fabs(d) > static_cast<double>(FLT_MAX)) bad(name, where + " is beyond the range of a float");
  return static_cast<float>(d);
}

// An integer within [lo, hi]. nlohmann's get<int>() on 1e300 or 2^40 converts
// out of range (undefined behaviour for a double), so the type and range are
// checked first.
int64_t to_integer(const json& v, const std::string& name, const std::string& where,
                   int64_t lo = INT64_MIN, int64_t hi = INT64_MAX) {
  int64_t x;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) bad(name, where + " is out of range");
    x = static_cast<int64_t>(u);
  } else if (v.is_number_integer()) {
    x = v.get<int64_t>();
  } else {
    bad(name, where + " is not an integer");
  }
  if (x < lo || x > hi) bad(name, where + " is out of range");
  return x;
}

void read_floats(const json& arr, float* out, size_t n, const std::string& name,
                 const std::string& where) {
  if (!arr.is_array() || arr.size() != n)
    bad(name, where + " has " + (arr.is_array() ? std::to_string(arr.size()) : std::string("no")) +
                  " values, expected " + std::to_string(n));
  for (size_t k = 0; k < n; ++k) out[k] = to_float(arr[k], name, where);
}

std::vector<float> read_rows(const json& arr, size_t count, int width, const std::string& name,
                             const std::string& where) {
  if (!arr.is_array() || arr.size() != count)
    bad(name, where + " has " + (arr.is_array() ? std::to_string(arr.size()) : std::string("no")) +
                  " rows, expected " + std::to_string(count));
  std::vector<float> out(count * width);
  for (size_t r = 0; r < count; ++r)
    read_floats(arr[r], out.data() + r * width, static_cast<size_t>(width), name,
                where + "[" + std::to_string(r) + "]");
  return out;
}

void read_params(const json& obj, HandParams& p, const std::string& name,
                 const std::string& where) {
  read_floats(member(obj, "pose", name, where), p.pose.data(), p.pose.size(), name,
              where + ".pose");
  read_floats(member(obj, "shape", name, where), p.shape.data(), p.shape.size(), name,
              where + ".shape");
}

}  // namespace

std::string frame_to_json(const FrameResult& rec, const JsonOptions& options) {
  Emitter e;
  e.out.reserve(64 * 1024);
  const NetworkOutput& o = rec.output;
  const Frame& f = *rec.frame;
  e.open('{');
  e.key("version");
  e.i(kFrameJsonVersion);
  e.key("frame");
  e.i(f.index);
  e.key("timestamp");
  e.d(f.timestamp_s);
  e.key("source");
  e.str(f.source);
  e.key("image_size");
  e.open('[');
  e.i(f.bgr.empty() ? f.width : f.bgr.cols);
  e.i(f.bgr.empty() ? f.height : f.bgr.rows);
  e.close(']');
  e.key("crop");
  e.open('{');
  e.key("x0");
  e.f(rec.crop.x0);
  e.key("y0");
  e.f(rec.crop.y0);
  e.key("side");
  e.f(rec.crop.side);
  e.key("source");
  e.str(crop_source_name(rec.crop_source));
  e.close('}');
  if (rec.detections) {
    e.key("detections");
    e.raw(detect::detections_to_json(*rec.detections));
  }
  // The hand detector's times, in "timings_ms" with or without the network's.
  auto detector_timings = [&] {
    if (!rec.detections) return;
    e.key("palm_detection");
    e.num(rec.detections->palm_ms);
    e.key("hand_landmarks");
    e.num(rec.detections->landmarks_ms);
  };
  if (!rec.has_network) {
    e.key("timings_ms");
    e.open('{');
    e.key("preprocess");
    e.num(rec.preprocess_ms);
    detector_timings();
    e.close('}');
    e.close('}');
    e.out += '\n';
    return std::move(e.out);
  }
  for (int h = 0; h < 2; ++h) {
    const HandOutput& hand = o.hands[h];
    e.key(hand_name(static_cast<Hand>(h)));
    e.open('{');
    e.key("present");
    e.b(hand.presence >= 0.5f);
    e.key("presence");
    e.f(hand.presence);
    emit_params(e, hand.params);
    e.key("joints3d");
    e.rows(hand.joints3d.data(), hand.joints3d.size() / 3, 3);
    e.key("verts3d");
    e.rows(hand.verts3d.data(), hand.verts3d.size() / 3, 3);
    e.close('}');
  }
  e.key("trans");
  e.floats(o.trans.data(), o.trans.size());
  e.key("keypoints2d");
  e.rows(rec.keypoints_frame[0].data(), kJoints, 3);
  e.key("heatmap_xyc");
  e.rows(o.xyc[0].data(), kJoints, 3);
  if (options.attention && !o.attention.empty()) {
    e.key("attention");
    e.open('{');
    e.key("shape");
    e.open('[');
    e.i(2);
    e.i(kHeatmapSize);
    e.i(kHeatmapSize);
    e.close(']');
    e.key("data");
    e.floats(o.attention.data(), o.attention.size());
    e.close('}');
  }
  if (options.stages && !o.stages.empty()) {
    e.key("stages");
    e.open('[');
    for (size_t s = 0; s < o.stages.size(); ++s) {
      const StageDetail& st = o.stages[s];
      e.open('{');
      e.key("stage");
      e.i(static_cast<int64_t>(s));
      for (int h = 0; h < 2; ++h) {
        e.key(hand_name(static_cast<Hand>(h)));
        e.open('{');
        emit_params(e, st.params[h]);
        e.key("joints3d");
        e.rows(st.joints3d[h].data(), st.joints3d[h].size() / 3, 3);
        e.close('}');
      }
      e.close('}');
    }
    e.close(']');
  }
  const auto& t = o.timings;
  e.key("timings_ms");
  e.open('{');
  e.key("preprocess");
  e.num(rec.preprocess_ms);
  e.key("internet");
  e.num(t.internet_ms);
  e.key("attention");
  e.num(t.attention_ms);
  e.key("meshreg");
  e.num(t.meshreg_ms);
  e.key("cascade");
  e.num(t.cascade_ms);
  e.key("mano");
  e.num(t.mano_ms);
  e.key("total");
  e.num(t.total_ms);
  detector_timings();
  e.close('}');
  e.close('}');
  e.out += '\n';
  return std::move(e.out);
}

FrameResult frame_from_json(std::string_view text, const std::string& name) {
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::exception& ex) {
    bad(name, std::string("not valid JSON (") + ex.what() + ")");
  }
  if (!j.is_object()) bad(name, "not a JSON object");
  FrameResult r;
  auto frame = std::make_shared<Frame>();  // where it came from; no picture
  try {
    if (j.contains("version") && to_integer(j["version"], name, "version") > kFrameJsonVersion)
      bad(name, "written by a newer version (" + j["version"].dump() + ")");
    frame->index = to_integer(member(j, "frame", name, ""), name, "frame");
    frame->timestamp_s = member(j, "timestamp", name, "").get<double>();
    frame->source = member(j, "source", name, "").get<std::string>();
    if (j.contains("image_size")) {
      frame->width =
          static_cast<int>(to_integer(j["image_size"].at(0), name, "image_size[0]", 0, INT32_MAX));
      frame->height =
          static_cast<int>(to_integer(j["image_size"].at(1), name, "image_size[1]", 0, INT32_MAX));
    }
    const json& crop = member(j, "crop", name, "");
    r.crop.x0 = to_float(member(crop, "x0", name, "crop"), name, "crop.x0");
    r.crop.y0 = to_float(member(crop, "y0", name, "crop"), name, "crop.y0");
    r.crop.side = to_float(member(crop, "side", name, "crop"), name, "crop.side");
    if (crop.contains("source") && crop["source"].is_string()) {
      const std::string src = crop["source"].get<std::string>();
      for (CropSource c : {CropSource::kWhole, CropSource::kDetect, CropSource::kTrack,
                           CropSource::kManual})
        if (src == crop_source_name(c)) r.crop_source = c;
    }
    if (j.contains("detections")) {
      try {
        r.detections = std::make_shared<const detect::HandDetections>(detect::detections_from_json(
            j["detections"], frame->width, frame->height, name));
      } catch (const std::runtime_error& ex) {
        throw formats::ExportError(ex.what());
      }
    }
    // Skeleton mode (no network): detections only.
    r.has_network = j.contains("right") || j.contains("left") || j.contains("keypoints2d");
    if (!r.has_network) {
      if (j.contains("timings_ms") && j["timings_ms"].contains("preprocess") &&
          j["timings_ms"]["preprocess"].is_number())
        r.preprocess_ms = j["timings_ms"]["preprocess"].get<double>();
      r.frame = std::move(frame);
      return r;
    }
    NetworkOutput& o = r.output;
    for (int h = 0; h < 2; ++h) {
      const std::string hn = hand_name(static_cast<Hand>(h));
      const json& hj = member(j, hn.c_str(), name, "");
      HandOutput& hand = o.hands[h];
      if (hj.contains("presence"))
        hand.presence = to_float(hj["presence"], name, hn + ".presence");
      else
        hand.presence = member(hj, "present", name, hn).get<bool>() ? 1.f : 0.f;
      read_params(hj, hand.params, name, hn);
      hand.joints3d =
          read_rows(member(hj, "joints3d", name, hn), kJointsPerHand, 3, name, hn + ".joints3d");
      hand.verts3d =
          read_rows(member(hj, "verts3d", name, hn), kVertsPerHand, 3, name, hn + ".verts3d");
    }
    read_floats(member(j, "trans", name, ""), o.trans.data(), 4, name, "trans");
    std::vector<float> kp =
        read_rows(member(j, "keypoints2d", name, ""), kJoints, 3, name, "keypoints2d");
    std::vector<float> xyc =
        read_rows(member(j, "heatmap_xyc", name, ""), kJoints, 3, name, "heatmap_xyc");
    for (int k = 0; k < kJoints; ++k)
      for (int c = 0; c < 3; ++c) {
        r.keypoints_frame[k][c] = kp[3 * k + c];
        o.xyc[k][c] = xyc[3 * k + c];
      }
    if (j.contains("attention")) {
      o.attention.resize(2 * kHeatmapSize * kHeatmapSize);
      read_floats(member(j["attention"], "data", name, "attention"), o.attention.data(),
                  o.attention.size(), name, "attention.data");
    }
    if (j.contains("stages")) {
      const json& st = j["stages"];
      if (!st.is_array()) bad(name, "stages is not a list");
      for (size_t s = 0; s < st.size(); ++s) {
        StageDetail d;
        for (int h = 0; h < 2; ++h) {
          const std::string where =
              "stages[" + std::to_string(s) + "]." + hand_name(static_cast<Hand>(h));
          const json& hj = member(st[s], hand_name(static_cast<Hand>(h)), name,
                                  "stages[" + std::to_string(s) + "]");
          read_params(hj, d.params[h], name, where);
          d.joints3d[h] = read_rows(member(hj, "joints3d", name, where), kJointsPerHand, 3, name,
                                    where + ".joints3d");
        }
        o.stages.push_back(std::move(d));
      }
    }
    if (j.contains("timings_ms")) {
      const json& t = j["timings_ms"];
      auto get = [&](const char* k) {
        return t.contains(k) && t[k].is_number() ? t[k].get<double>() : 0.0;
      };
      r.preprocess_ms = get("preprocess");
      o.timings.internet_ms = get("internet");
      o.timings.attention_ms = get("attention");
      o.timings.meshreg_ms = get("meshreg");
      o.timings.cascade_ms = get("cascade");
      o.timings.mano_ms = get("mano");
      o.timings.total_ms = get("total");
    }
  } catch (const json::exception& ex) {
    bad(name, std::string("unexpected value (") + ex.what() + ")");
  }
  r.frame = std::move(frame);
  return r;
}

}  // namespace intershape::core::exporters
