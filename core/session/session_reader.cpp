#include "core/session/session_reader.h"

#include <algorithm>
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

std::string read_text(const std::string& path) {
  try {
    return core::formats::read_file_text(path);
  } catch (const core::formats::FileError& e) {
    throw formats::ExportError(std::string("cannot read ") + e.what());
  }
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
  return exporters::frame_from_json(read_text(path), path);
}

SessionReader::SessionReader(std::string dir, bool read_results)
    : dir_(std::move(dir)), read_results_(read_results) {
  stem_ = std::filesystem::path(dir_).filename().string();
  if (stem_.empty()) stem_ = std::filesystem::path(dir_).parent_path().filename().string();
  const std::string mpath = dir_ + "/manifest.json";
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(read_text(mpath));
    manifest_.format_version = m.at("format_version").get<int>();
    if (manifest_.format_version > kSessionFormatVersion)
      throw formats::ExportError(mpath + ": session format " + std::to_string(manifest_.format_version) +
                        " is newer than this program reads (" +
                        std::to_string(kSessionFormatVersion) + ")");
    manifest_.source = m.value("source", "");
    manifest_.model = m.value("model", "");
    manifest_.device = m.value("device", "");
    manifest_.started_at = m.value("started_at", "");
    manifest_.settings = m.value("settings", nlohmann::json::object());
    manifest_.frame_count = m.at("frame_count").get<int64_t>();
    manifest_.result_count = m.value("result_count", int64_t{0});
    manifest_.dropped_frames = m.value("dropped_frames", int64_t{0});
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

  // frames.csv: tolerate a last line cut short by a crash.
  const std::string cpath = dir_ + "/frames.csv";
  std::ifstream csv(cpath);
  if (!csv) throw formats::ExportError("cannot read " + cpath + ": " + std::strerror(errno));
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    long long pos = 0, src = 0;
    double t = 0;
    int has = 0;
    if (std::sscanf(line.c_str(), "%lld,%lld,%lf,%d", &pos, &src, &t, &has) != 4) break;
    if (pos != static_cast<long long>(rows_.size()))
      throw formats::ExportError(cpath + ": row " + std::to_string(rows_.size() + 1) + " is for position " +
                        std::to_string(pos));
    rows_.push_back({src, t, has != 0});
  }
  const std::string vpath = dir_ + "/" + manifest_.video_file;
  if (!rows_.empty()) {
    if (!std::filesystem::exists(vpath))
      throw formats::ExportError("cannot read " + vpath + ": no such file");
    if (!video_.open(vpath, cv::CAP_FFMPEG) && !video_.open(vpath))
      throw formats::ExportError("cannot read " + vpath + ": the video cannot be opened");
    const double n = video_.get(cv::CAP_PROP_FRAME_COUNT);
    if (n > 0 && static_cast<int64_t>(n) < static_cast<int64_t>(rows_.size()))
      rows_.resize(static_cast<size_t>(n));
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
    rows_.resize(static_cast<size_t>(position_));  // the video ends early (a session cut short)
    return false;
  }
  const Row& row = rows_[static_cast<size_t>(position_)];
  item.frame = make_frame(std::move(bgr), position_, row.timestamp_s,
                          manifest_.source.empty() ? stem_ : manifest_.source,
                          numbered_name(stem_, position_));
  item.source_frame = row.source_frame;
  item.result.reset();
  if (row.has_result && read_results_) {
    item.result = stored_result(dir_, position_);
    if (!item.result) {
      char name[32];
      std::snprintf(name, sizeof name, "frame_%06lld.json", static_cast<long long>(position_));
      throw formats::ExportError("cannot read " + dir_ + "/" + name + ": no such file");
    }
  }
  ++position_;
  return true;
}

}  // namespace intershape::core::session
