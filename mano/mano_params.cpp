#include "mano/mano_params.h"

#include <cfloat>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/formats/file_io.h"
#include "mano/mano_model.h"

namespace intershape::mano {
namespace {

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::vector<float> numbers(const nlohmann::json& j, const std::string& where, size_t count,
                           double limit) {
  if (!j.is_array())
    throw ParamsError(where + " must be an array of " + std::to_string(count) + " numbers");
  if (j.size() != count) {
    throw ParamsError(where + " has " + std::to_string(j.size()) + " values, expected " +
                      std::to_string(count));
  }
  std::vector<float> out;
  out.reserve(count);
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!j[i].is_number()) throw ParamsError(at + " is not a number");
    const double v = j[i].get<double>();
    const float f = checked_float(v, at);
    if (!(std::fabs(v) <= limit)) {
      throw ParamsError(at + " is " + number_text(v) + ", outside [-" + number_text(limit) + ", " +
                        number_text(limit) + "]");
    }
    out.push_back(f);
  }
  return out;
}

}  // namespace

float checked_float(double v, const std::string& where) {
  if (!std::isfinite(v)) throw ParamsError(where + " is not finite");
  if (std::fabs(v) > static_cast<double>(FLT_MAX))
    throw ParamsError(where + " is " + number_text(v) + ", beyond the range of a 32-bit float");
  return static_cast<float>(v);
}

ManoParams parse_mano_params(std::string_view text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ParamsError(source + ": not valid JSON: " + e.what());
  }
  if (!j.is_object())
    throw ParamsError(source + ": expected an object with \"right\" and/or \"left\"");
  ManoParams hands;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const int side = it.key() == "right" ? 0 : it.key() == "left" ? 1 : -1;
    if (side < 0) {
      throw ParamsError(source + ": unknown key \"" + it.key() +
                        "\" (expected \"right\" and/or \"left\")");
    }
    const std::string where = source + ": " + it.key();
    if (!it.value().is_object())
      throw ParamsError(where + " must be an object with \"pose\" and \"shape\"");
    for (auto f = it.value().begin(); f != it.value().end(); ++f) {
      if (f.key() != "pose" && f.key() != "shape")
        throw ParamsError(where + ": unknown key \"" + f.key() + "\"");
    }
    if (!it.value().contains("pose") || !it.value().contains("shape"))
      throw ParamsError(where + " needs \"pose\" (48 values) and \"shape\" (10 values)");
    HandParams h;
    h.pose = numbers(it.value()["pose"], where + ".pose", 48, kMaxPoseValue);
    h.shape = numbers(it.value()["shape"], where + ".shape", kShapeComponents, kMaxShapeValue);
    hands[static_cast<size_t>(side)] = std::move(h);
  }
  if (!hands[0] && !hands[1])
    throw ParamsError(source + ": neither \"right\" nor \"left\" is given");
  return hands;
}

ManoParams read_mano_params(const std::string& path) {
  std::string text;
  try {
    text = core::formats::read_file_text(path, kMaxParamsBytes);
  } catch (const core::formats::FileError& e) {
    throw ParamsError(e.what());
  }
  return parse_mano_params(text, path);
}

}  // namespace intershape::mano
