#include "core/session/session_reader.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/formats/atomic_file.h"
#include "core/session/session_recorder.h"
#include "core/formats/file_io.h"
#include "core/sources.h"

namespace intershape::core::session {
namespace {

// A row is ~40 bytes: 64 MiB is more than a million frames.
constexpr uint64_t kMaxFramesCsvBytes = uint64_t{64} << 20;
// The manifest is a few KB.
constexpr uint64_t kMaxManifestBytes = uint64_t{16} << 20;
// A frame with every stage detail is well under 1 MB.
constexpr uint64_t kMaxFrameJsonBytes = uint64_t{64} << 20;

std::string read_text(const std::string& path, uint64_t max_bytes = kMaxManifestBytes) {
  try {
    return core::formats::read_file_text(path, max_bytes);
  } catch (const core::formats::FileError& e) {
    throw formats::ExportError(std::string("cannot read ") + e.what());
  }
}

// An integer manifest field: nlohmann's get<int64_t>() on 1e300 converts out of
// range (undefined behaviour), so the type is checked first.
int64_t integer(const nlohmann::json& m, const char* key, const std::string& path,
                std::optional<int64_t> fallback) {
  const auto it = m.find(key);
  if (it == m.end()) {
    if (fallback) return *fallback;
    throw formats::ExportError(path + ": not a session manifest (no \"" + key + "\")");
  }
  if (it->is_number_integer() && !(it->is_number_unsigned() && it->get<uint64_t>() > INT64_MAX))
    return it->get<int64_t>();
  throw formats::ExportError(path + ": \"" + key + "\" is " + it->dump().substr(0, 40) +
                             ", not an integer");
}

}  // namespace

bool SessionReader::is_session(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(dir + "/manifest.json", ec);
}

std::optional<FrameResult> SessionReader::stored_result(const std::string& dir, int64_t position) {
  char name[32];
  std::snprintf(name, sizeof name, "frame_%06lld.json", static_cast<long long>(position));
  const std::string path = dir + "/" + name;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  return exporters::frame_from_json(read_text(path, kMaxFrameJsonBytes), path);
}

SessionReader::SessionReader(std::string dir, bool read_results)
    : dir_(std::move(dir)), read_results_(read_results) {
  stem_ = std::filesystem::path(dir_).filename().string();
  if (stem_.empty()) stem_ = std::filesystem::path(dir_).parent_path().filename().string();
  const std::string mpath = dir_ + "/manifest.json";
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(read_text(mpath));
    if (!m.is_object()) throw formats::ExportError(mpath + ": not a session manifest (not an object)");
    const int64_t version = integer(m, "format_version", mpath, std::nullopt);
    manifest_.format_version = static_cast<int>(std::clamp<int64_t>(version, -1, INT32_MAX));
    if (manifest_.format_version > kSessionFormatVersion)
      throw formats::ExportError(mpath + ": session format " + std::to_string(manifest_.format_version) +
                        " is newer than this program reads (" +
                        std::to_string(kSessionFormatVersion) + ")");
    manifest_.source = m.value("source", "");
    manifest_.model = m.value("model", "");
    manifest_.device = m.value("device", "");
    manifest_.started_at = m.value("started_at", "");
    manifest_.settings = m.value("settings", nlohmann::json::object());
    manifest_.frame_count = integer(m, "frame_count", mpath, std::nullopt);
    manifest_.result_count = integer(m, "result_count", mpath, 0);
    manifest_.dropped_frames = integer(m, "dropped_frames", mpath, 0);
    manifest_.fps = m.value("fps", 0.0);
    manifest_.complete = m.value("complete", false);
    manifest_.error = m.value("error", "");
    manifest_.video_file = m.at("video").at("file").get<std::string>();
    manifest_.codec = m.at("video").value("codec", "");
  } catch (const nlohmann::json::exception& e) {
    throw formats::ExportError(mpath + ": not a session manifest (" + e.what() + ")");
  }
  if (manifest_.video_file.empty() || manifest_.video_file.find('/') != std::string::npos ||
      manifest_.video_file.find("..") != std::string::npos)
    throw formats::ExportError(mpath + ": bad video file name '" + manifest_.video_file + "'");

  // frames.csv: tolerate a last line cut short by a crash, and say why reading
  // stopped anywhere else (was: "only 0 could be read", no reason).
  const std::string cpath = dir_ + "/frames.csv";
  std::string csv;
  try {
    csv = core::formats::read_file_text(cpath, kMaxFramesCsvBytes);
  } catch (const core::formats::FileError& e) {
    throw formats::ExportError(std::string("cannot read ") + e.what());
  }
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);  // header
  int64_t line_number = 1;
  while (std::getline(lines, line)) {
    ++line_number;
    const bool last = lines.eof();  // no newline after it: written when the recorder stopped
    long long pos = 0, src = 0;
    double t = 0;
    int has = 0;
    char extra = 0;
    if (std::sscanf(line.c_str(), "%lld,%lld,%lf,%d%c", &pos, &src, &t, &has, &extra) != 4 ||
        !std::isfinite(t)) {
      if (!last) {
        std::string shown = line.substr(0, 60);
        for (char& c : shown)
          if (static_cast<unsigned char>(c) < 0x20 || c == '"') c = '?';
        shortfall_ = cpath + ": line " + std::to_string(line_number) +
                     " is not 'position,source_frame,timestamp_s,has_result': \"" + shown +
                     (line.size() > 60 ? "...\"" : "\"") + "; frames from there on are not read";
      } else {
        shortfall_ = cpath + ": the last line is cut short (the recording was interrupted)";
      }
      break;
    }
    if (pos != static_cast<long long>(rows_.size()))
      throw formats::ExportError(cpath + ": row " + std::to_string(rows_.size() + 1) +
                                 " is for position " + std::to_string(pos));
    rows_.push_back({src, t, has != 0});
  }
  const std::string vpath = dir_ + "/" + manifest_.video_file;
  if (!rows_.empty()) {
    if (!std::filesystem::exists(vpath))
      throw formats::ExportError("cannot read " + vpath + ": no such file");
    if (!video_.open(vpath, cv::CAP_FFMPEG) && !video_.open(vpath))
      throw formats::ExportError("cannot read " + vpath + ": the video cannot be opened");
    const double n = video_.get(cv::CAP_PROP_FRAME_COUNT);
    if (n > 0 && static_cast<int64_t>(n) < static_cast<int64_t>(rows_.size())) {
      shortfall_ = vpath + ": holds " + std::to_string(static_cast<int64_t>(n)) +
                   " frames, frames.csv lists " + std::to_string(rows_.size());
      rows_.resize(static_cast<size_t>(n));
    }
  }
}

void SessionReader::rewind() { seek(0); }

void SessionReader::seek(int64_t position) {
  position_ = std::max<int64_t>(0, std::min<int64_t>(position, frame_count()));
  if (video_.isOpened()) video_.set(cv::CAP_PROP_POS_FRAMES, static_cast<double>(position_));
}

bool SessionReader::next(Item& item) {
  if (position_ >= frame_count()) return false;
  cv::Mat bgr;
  if (!video_.read(bgr) || bgr.empty()) {
    // The video ends early (a session cut short).
    shortfall_ = dir_ + "/" + manifest_.video_file + ": no frame can be decoded at position " +
                 std::to_string(position_) + " (the video is cut short or corrupt)";
    rows_.resize(static_cast<size_t>(position_));
    return false;
  }
  const Row& row = rows_[static_cast<size_t>(position_)];
  item.frame = make_frame(std::move(bgr), position_, row.timestamp_s,
                          manifest_.source.empty() ? stem_ : manifest_.source,
                          numbered_name(stem_, position_));
  item.source_frame = row.source_frame;
  item.result.reset();
  item.result_error.clear();
  if (row.has_result && read_results_) {
    char name[32];
    std::snprintf(name, sizeof name, "frame_%06lld.json", static_cast<long long>(position_));
    try {
      item.result = stored_result(dir_, position_);
      if (!item.result) throw formats::ExportError("cannot read " + dir_ + "/" + name + ": no such file");
    } catch (const formats::ExportError& e) {
      item.result_error = e.what();  // the frame itself is fine: replay goes on
    }
  }
  ++position_;
  return true;
}

}  // namespace intershape::core::session
