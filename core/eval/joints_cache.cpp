#include "core/eval/joints_cache.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace intershape::core::eval {

JointsCache::JointsCache(const std::vector<std::string>& captures) {
  for (const std::string& c : captures) capture_slot(c);
}

size_t JointsCache::capture_slot(const std::string& capture) {
  for (size_t i = 0; i < captures_.size(); ++i)
    if (captures_[i].capture == capture) return i;
  captures_.push_back({capture, {}});
  return captures_.size() - 1;
}

const WorldJoints* JointsCache::find(int capture, int frame) const {
  auto it = index_.find(frame_key(capture, frame));
  if (it == index_.end()) return nullptr;
  return &captures_[it->second.first].frames[it->second.second].second;
}

void JointsCache::add(int capture, int frame, const WorldJoints& joints) {
  const uint64_t key = frame_key(capture, frame);
  auto it = index_.find(key);
  if (it != index_.end()) {
    captures_[it->second.first].frames[it->second.second].second = joints;
    return;
  }
  const size_t c = capture_slot(std::to_string(capture));
  captures_[c].frames.emplace_back(std::to_string(frame), joints);
  index_[key] = {c, captures_[c].frames.size() - 1};
}

JointsCache JointsCache::read(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::padded_string text;
  if (auto err = simdjson::padded_string::load(path).get(text))
    throw DatasetError(path + ": cannot read: " + simdjson::error_message(err));
  simdjson::dom::element root;
  if (auto err = parser.parse(text).get(root))
    throw DatasetError(path + ": not valid JSON (malformed or truncated): " +
                       simdjson::error_message(err));
  simdjson::dom::object captures;
  if (root.get(captures)) throw DatasetError(path + ": top level: expected an object");
  JointsCache cache;
  for (auto [capture, frames_el] : captures) {
    const std::string where = path + ": capture " + std::string(capture);
    simdjson::dom::object frames;
    if (frames_el.get(frames)) throw DatasetError(where + ": expected an object");
    int capture_id = 0, frame_id = 0;
    try {
      capture_id = std::stoi(std::string(capture));
    } catch (const std::exception&) {
      throw DatasetError(where + ": capture key is not an integer");
    }
    cache.capture_slot(std::string(capture));
    for (auto [frame, joints_el] : frames) {
      const std::string w = where + " frame " + std::string(frame);
      try {
        frame_id = std::stoi(std::string(frame));
      } catch (const std::exception&) {
        throw DatasetError(w + ": frame key is not an integer");
      }
      WorldJoints j{};
      size_t n = 0;
      simdjson::dom::array rows;
      if (joints_el.get(rows) || rows.size() != 42)
        throw DatasetError(w + ": expected 42 joints of 3 numbers");
      for (simdjson::dom::element row : rows) {
        simdjson::dom::array xyz;
        if (row.get(xyz) || xyz.size() != 3)
          throw DatasetError(w + ": expected 42 joints of 3 numbers");
        for (simdjson::dom::element v : xyz) {
          double d;
          if (v.get_double().get(d)) throw DatasetError(w + ": expected numbers");
          j[n++] = static_cast<float>(d);
        }
      }
      cache.add(capture_id, frame_id, j);
    }
  }
  return cache;
}

std::string python_float_repr(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  // Shortest round-trip digits in scientific form: d.ddde±X.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  const size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  const int exp = std::stoi(sci.substr(e + 1));
  bool neg = false;
  if (mant[0] == '-') {
    neg = true;
    mant.erase(0, 1);
  }
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  std::string out;
  if (exp >= -5 + 1 && exp < 16) {  // Python repr: fixed for -4 <= exp < 16
    if (exp >= 0) {
      if (static_cast<int>(digits.size()) <= exp + 1) {
        out = digits + std::string(static_cast<size_t>(exp + 1 - static_cast<int>(digits.size())), '0') + ".0";
      } else {
        out = digits.substr(0, static_cast<size_t>(exp + 1)) + "." + digits.substr(static_cast<size_t>(exp + 1));
      }
    } else {
      out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof(eb), "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += eb;
  }
  return neg ? "-" + out : out;
}

std::string JointsCache::to_json() const {
  std::string s = "{";
  for (size_t c = 0; c < captures_.size(); ++c) {
    if (c) s += ", ";
    s += "\"" + captures_[c].capture + "\": {";
    const auto& frames = captures_[c].frames;
    for (size_t f = 0; f < frames.size(); ++f) {
      if (f) s += ", ";
      s += "\"" + frames[f].first + "\": [";
      for (int j = 0; j < 42; ++j) {
        if (j) s += ", ";
        s += "[";
        for (int k = 0; k < 3; ++k) {
          if (k) s += ", ";
          s += python_float_repr(static_cast<double>(frames[f].second[3 * j + k]));
        }
        s += "]";
      }
      s += "]";
    }
    s += "}";
  }
  s += "}";
  return s;
}

}  // namespace intershape::core::eval
