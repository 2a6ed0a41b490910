#include "core/detect/detections_export.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace intershape::core::detect {
namespace {

void num(std::string& out, float v) {
  if (!std::isfinite(v)) {  // JSON has no NaN; never expected here
    out += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  out += buf;
}

void points(std::string& out, const std::array<Point3, kHandLandmarks>& p) {
  out += '[';
  for (int i = 0; i < kHandLandmarks; ++i) {
    if (i) out += ',';
    out += '[';
    num(out, p[i].x);
    out += ',';
    num(out, p[i].y);
    out += ',';
    num(out, p[i].z);
    out += ']';
  }
  out += ']';
}

std::array<Point3, kHandLandmarks> read_points(const nlohmann::json& j, const std::string& where) {
  if (!j.is_array() || j.size() != kHandLandmarks)
    throw std::runtime_error(where + " has " + (j.is_array() ? std::to_string(j.size()) : "no") +
                             " rows, expected 21");
  std::array<Point3, kHandLandmarks> p{};
  for (int i = 0; i < kHandLandmarks; ++i) {
    const auto& r = j[i];
    if (!r.is_array() || r.size() != 3 || !r[0].is_number() || !r[1].is_number() ||
        !r[2].is_number())
      throw std::runtime_error(where + "[" + std::to_string(i) + "] is not 3 numbers");
    p[i] = {r[0].get<float>(), r[1].get<float>(), r[2].get<float>()};
  }
  return p;
}

float read_number(const nlohmann::json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_number())
    throw std::runtime_error(where + "." + key + " is missing or not a number");
  return it->get<float>();
}

template <class T>
void append_bytes(std::string& out, const std::vector<T>& v) {
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

}  // namespace

std::string detections_to_json(const HandDetections& d) {
  const float iw = static_cast<float>(d.image_width), ih = static_cast<float>(d.image_height);
  std::string out = "[";
  for (size_t h = 0; h < d.hands.size(); ++h) {
    const HandLandmarks& hand = d.hands[h];
    if (h) out += ',';
    out += "{\"handedness\":\"";
    out += handedness_name(hand.handedness);
    out += "\",\"handedness_score\":";
    num(out, hand.handedness_score);
    out += ",\"presence\":";
    num(out, hand.presence);
    out += ",\"landmarks\":";
    points(out, hand.landmarks);
    out += ",\"world_landmarks\":";
    points(out, hand.world_landmarks);
    out += ",\"palm\":";
    if (hand.palm_index >= 0 && hand.palm_index < static_cast<int>(d.palms.size())) {
      const PalmDetection& p = d.palms[hand.palm_index];
      out += "{\"score\":";
      num(out, p.score);
      out += ",\"box\":[";
      num(out, p.xmin * iw);
      out += ',';
      num(out, p.ymin * ih);
      out += ',';
      num(out, (p.xmin + p.width) * iw);
      out += ',';
      num(out, (p.ymin + p.height) * ih);
      out += "]}";
    } else {
      out += "null";
    }
    out += ",\"region\":{\"x_center\":";
    num(out, hand.roi.x_center * iw);
    out += ",\"y_center\":";
    num(out, hand.roi.y_center * ih);
    out += ",\"width\":";
    num(out, hand.roi.width * iw);
    out += ",\"height\":";
    num(out, hand.roi.height * ih);
    out += ",\"rotation\":";
    num(out, hand.roi.rotation);
    out += "}}";
  }
  out += ']';
  return out;
}

HandDetections detections_from_json(const nlohmann::json& array, int image_width, int image_height,
                                    const std::string& where) {
  if (!array.is_array()) throw std::runtime_error(where + ": detections is not a list");
  if (image_width <= 0 || image_height <= 0)
    throw std::runtime_error(where + ": detections need the image size");
  const float iw = static_cast<float>(image_width), ih = static_cast<float>(image_height);
  HandDetections d;
  d.image_width = image_width;
  d.image_height = image_height;
  for (size_t h = 0; h < array.size(); ++h) {
    const std::string w = where + ": detections[" + std::to_string(h) + "]";
    const auto& e = array[h];
    if (!e.is_object()) throw std::runtime_error(w + " is not an object");
    HandLandmarks hand;
    const auto side = e.find("handedness");
    if (side == e.end() || !side->is_string() ||
        (side->get<std::string>() != "right" && side->get<std::string>() != "left"))
      throw std::runtime_error(w + ".handedness must be \"right\" or \"left\"");
    hand.handedness = side->get<std::string>() == "right" ? Handedness::kRight : Handedness::kLeft;
    hand.handedness_score = read_number(e, "handedness_score", w);
    hand.presence = read_number(e, "presence", w);
    if (!e.contains("landmarks")) throw std::runtime_error(w + ".landmarks is missing");
    if (!e.contains("world_landmarks")) throw std::runtime_error(w + ".world_landmarks is missing");
    hand.landmarks = read_points(e["landmarks"], w + ".landmarks");
    hand.world_landmarks = read_points(e["world_landmarks"], w + ".world_landmarks");
    const auto palm = e.find("palm");
    if (palm != e.end() && !palm->is_null()) {
      if (!palm->is_object()) throw std::runtime_error(w + ".palm is not an object or null");
      PalmDetection p;
      p.score = read_number(*palm, "score", w + ".palm");
      const auto box = palm->find("box");
      if (box == palm->end() || !box->is_array() || box->size() != 4)
        throw std::runtime_error(w + ".palm.box is not 4 numbers");
      for (const auto& v : *box)
        if (!v.is_number()) throw std::runtime_error(w + ".palm.box is not 4 numbers");
      p.xmin = (*box)[0].get<float>() / iw;
      p.ymin = (*box)[1].get<float>() / ih;
      p.width = (*box)[2].get<float>() / iw - p.xmin;
      p.height = (*box)[3].get<float>() / ih - p.ymin;
      hand.from_palm = true;
      hand.palm_index = static_cast<int>(d.palms.size());
      d.palms.push_back(p);
    }
    const auto region = e.find("region");
    if (region != e.end() && region->is_object()) {
      hand.roi.x_center = read_number(*region, "x_center", w + ".region") / iw;
      hand.roi.y_center = read_number(*region, "y_center", w + ".region") / ih;
      hand.roi.width = read_number(*region, "width", w + ".region") / iw;
      hand.roi.height = read_number(*region, "height", w + ".region") / ih;
      hand.roi.rotation = read_number(*region, "rotation", w + ".region");
    }
    d.hands.push_back(hand);
  }
  return d;
}

DetectionRow detection_row(const HandDetections& d) {
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  const float iw = static_cast<float>(d.image_width), ih = static_cast<float>(d.image_height);
  const int n = std::min<int>(static_cast<int>(d.hands.size()), kMaxDetections);
  DetectionRow row;
  row.count = n;
  for (int s = 0; s < kMaxDetections; ++s) {
    const bool on = s < n;
    const HandLandmarks* h = on ? &d.hands[s] : nullptr;
    row.handedness[s] = on ? (h->handedness == Handedness::kRight ? 0 : 1) : -1;
    row.handedness_score[s] = on ? h->handedness_score : 0.f;
    row.presence[s] = on ? h->presence : 0.f;
    for (int k = 0; k < kHandLandmarks; ++k) {
      const Point3 a = on ? h->landmarks[k] : Point3{kNaN, kNaN, kNaN};
      const Point3 b = on ? h->world_landmarks[k] : Point3{kNaN, kNaN, kNaN};
      const size_t at = (static_cast<size_t>(s) * kHandLandmarks + k) * 3;
      row.landmarks[at] = a.x, row.landmarks[at + 1] = a.y, row.landmarks[at + 2] = a.z;
      row.world[at] = b.x, row.world[at + 1] = b.y, row.world[at + 2] = b.z;
    }
    const bool palm = on && h->palm_index >= 0 && h->palm_index < static_cast<int>(d.palms.size());
    float* box = &row.palm_box[static_cast<size_t>(s) * 4];
    if (palm) {
      const PalmDetection& p = d.palms[h->palm_index];
      row.palm_score[s] = p.score;
      box[0] = p.xmin * iw, box[1] = p.ymin * ih;
      box[2] = (p.xmin + p.width) * iw, box[3] = (p.ymin + p.height) * ih;
    } else {
      row.palm_score[s] = 0.f;
      box[0] = box[1] = box[2] = box[3] = kNaN;
    }
  }
  return row;
}

void DetectionArrays::add(const DetectionRow& r) {
  count_.push_back(r.count);
  handedness_.insert(handedness_.end(), r.handedness.begin(), r.handedness.end());
  handedness_score_.insert(handedness_score_.end(), r.handedness_score.begin(),
                           r.handedness_score.end());
  presence_.insert(presence_.end(), r.presence.begin(), r.presence.end());
  landmarks_.insert(landmarks_.end(), r.landmarks.begin(), r.landmarks.end());
  world_.insert(world_.end(), r.world.begin(), r.world.end());
  palm_score_.insert(palm_score_.end(), r.palm_score.begin(), r.palm_score.end());
  palm_box_.insert(palm_box_.end(), r.palm_box.begin(), r.palm_box.end());
}

std::vector<NamedArray> DetectionArrays::arrays() const {
  const int64_t T = frames(), S = kMaxDetections, K = kHandLandmarks;
  std::vector<NamedArray> out;
  auto add_i = [&](const char* name, std::vector<int64_t> shape, const std::vector<int32_t>& v) {
    NamedArray a{name, "<i4", std::move(shape), {}};
    append_bytes(a.bytes, v);
    out.push_back(std::move(a));
  };
  auto add_f = [&](const char* name, std::vector<int64_t> shape, const std::vector<float>& v) {
    NamedArray a{name, "<f4", std::move(shape), {}};
    append_bytes(a.bytes, v);
    out.push_back(std::move(a));
  };
  add_i("det_count", {T}, count_);
  add_i("det_handedness", {T, S}, handedness_);
  add_f("det_handedness_score", {T, S}, handedness_score_);
  add_f("det_presence", {T, S}, presence_);
  add_f("det_landmarks", {T, S, K, 3}, landmarks_);
  add_f("det_world_landmarks", {T, S, K, 3}, world_);
  add_f("det_palm_score", {T, S}, palm_score_);
  add_f("det_palm_box", {T, S, 4}, palm_box_);
  return out;
}

}  // namespace intershape::core::detect
