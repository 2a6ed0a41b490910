#include "core/sources.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <utility>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace intershape::core {

namespace fs = std::filesystem;

namespace {

const char* const kImageExtensions[] = {".png", ".jpg", ".jpeg", ".bmp", ".tif",
                                        ".tiff", ".webp", ".ppm", ".pgm", ".pbm",
                                        ".pnm", ".jp2", ".exr",  ".hdr"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Any picture OpenCV decodes (grey, BGRA, 16-bit) as 8-bit BGR.
cv::Mat to_bgr8(const cv::Mat& in) {
  if (in.empty()) return {};
  cv::Mat out;
  if (in.channels() == 1)
    cv::cvtColor(in, out, cv::COLOR_GRAY2BGR);
  else if (in.channels() == 4)
    cv::cvtColor(in, out, cv::COLOR_BGRA2BGR);
  else
    out = in;
  if (out.depth() != CV_8U) out.convertTo(out, CV_8U, out.depth() == CV_16U ? 1.0 / 257 : 1.0);
  return out;
}

std::string file_name(const std::string& path) {
  std::string n = fs::path(path).filename().string();
  return n.empty() ? fs::path(path).parent_path().filename().string() : n;
}

class VideoSource final : public FrameSource {
 public:
  VideoSource(cv::VideoCapture cap, bool live, std::string source, std::string stem)
      : cap_(std::move(cap)), live_(live), source_(std::move(source)), stem_(std::move(stem)) {
    if (!live_) {
      const double n = cap_.get(cv::CAP_PROP_FRAME_COUNT);
      count_ = n > 0 ? static_cast<int64_t>(n) : -1;
    }
    const double f = cap_.get(cv::CAP_PROP_FPS);
    fps_ = (f > 0 && f < 1000) ? f : 0.0;
  }
  SourceRead read() override {
    SourceRead r;
    cv::Mat raw;
    if (!cap_.read(raw) || raw.empty()) return r;  // kEnd
    r.bgr = to_bgr8(raw);
    if (r.bgr.empty()) return r;
    r.status = SourceRead::Status::kFrame;
    r.source = source_;
    r.name = numbered_name(stem_, position_);
    if (!live_ && fps_ <= 0) r.timestamp_s = cap_.get(cv::CAP_PROP_POS_MSEC) / 1000.0;
    ++position_;
    return r;
  }
  bool seek(int64_t frame) override {
    if (live_) return false;
    frame = std::max<int64_t>(0, count_ > 0 ? std::min(frame, count_ - 1) : frame);
    if (!cap_.set(cv::CAP_PROP_POS_FRAMES, static_cast<double>(frame))) return false;
    position_ = frame;
    return true;
  }
  int64_t position() const override { return position_; }
  int64_t count() const override { return count_; }
  double fps() const override { return fps_; }
  bool seekable() const override { return !live_ && count_ > 0; }

 private:
  cv::VideoCapture cap_;
  bool live_;
  std::string source_, stem_;
  int64_t count_ = -1;
  double fps_ = 0.0;
  int64_t position_ = 0;
};

// Image files in name order; each picture is its own source, named by its
// file. Files that are not images are reported (kSkipped) before the first
// picture and take no index; a picture that cannot be decoded keeps its index
// (kFailed), so indices match the file list.
class ImageFilesSource final : public FrameSource {
 public:
  ImageFilesSource(std::vector<std::string> files, std::vector<std::string> not_images)
      : files_(std::move(files)), not_images_(std::move(not_images)) {}
  SourceRead read() override {
    SourceRead r;
    if (!not_images_.empty()) {
      r.status = SourceRead::Status::kSkipped;
      r.problem = "skipping " + not_images_.front() + ": not an image file";
      not_images_.erase(not_images_.begin());
      return r;
    }
    if (position_ >= count()) return r;  // kEnd
    const std::string& file = files_[static_cast<size_t>(position_)];
    ++position_;
    r.bgr = to_bgr8(cv::imread(file, cv::IMREAD_UNCHANGED | cv::IMREAD_IGNORE_ORIENTATION));
    if (r.bgr.empty()) {
      r.status = SourceRead::Status::kFailed;
      r.problem = "cannot read image " + file + ": not a picture OpenCV can decode";
      return r;
    }
    r.status = SourceRead::Status::kFrame;
    r.source = fs::path(file).filename().string();
    r.name = fs::path(file).stem().string();
    return r;
  }
  bool seek(int64_t frame) override {
    position_ = std::clamp<int64_t>(frame, 0, std::max<int64_t>(0, count() - 1));
    return true;
  }
  int64_t position() const override { return position_; }
  int64_t count() const override { return static_cast<int64_t>(files_.size()); }
  // A folder has no clock: pictures are 1/30 s apart (animations, recordings).
  double fps() const override { return 30.0; }
  bool seekable() const override { return true; }

 private:
  std::vector<std::string> files_;
  std::vector<std::string> not_images_;
  int64_t position_ = 0;
};

std::unique_ptr<FrameSource> open_folder(const std::string& dir) {
  std::vector<std::string> files, not_images;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.empty() || n[0] == '.') continue;  // hidden files, our own temporaries
    std::error_code ec2;
    if (!e.is_regular_file(ec2)) continue;
    (is_image_file_name(n) ? files : not_images).push_back(e.path().string());
  }
  if (ec) throw SourceError("The folder " + dir + " cannot be read: " + ec.message() + ".");
  std::sort(files.begin(), files.end());
  std::sort(not_images.begin(), not_images.end());
  if (files.empty())
    throw SourceError("The folder " + dir + " holds no images (" + image_extensions_text() + ").");
  return std::make_unique<ImageFilesSource>(std::move(files), std::move(not_images));
}

}  // namespace

bool is_image_file_name(const std::string& name) {
  const std::string ext = lower(fs::path(name).extension().string());
  return std::find(std::begin(kImageExtensions), std::end(kImageExtensions), ext) !=
         std::end(kImageExtensions);
}

std::string image_extensions_text() {
  std::string s;
  for (const char* e : kImageExtensions) s += (s.empty() ? "" : ", ") + std::string(e + 1);
  return s;
}

std::string numbered_name(const std::string& stem, int64_t k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "_%06lld", static_cast<long long>(k));
  return stem + buf;
}

SourceSpec SourceSpec::camera_index(int index) {
  SourceSpec s;
  s.kind = Kind::kCamera;
  s.camera = index;
  return s;
}

SourceSpec classify_source(const std::string& text) {
  if (text.empty()) throw SourceError("no input given");
  if (text.size() <= 2 &&
      std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return SourceSpec::camera_index(std::stoi(text));
  SourceSpec s;
  s.path = text;
  if (text.find("://") != std::string::npos) {
    s.kind = SourceSpec::Kind::kStream;
    return s;
  }
  std::error_code ec;
  if (fs::is_directory(text, ec))
    s.kind = fs::is_regular_file(fs::path(text) / "manifest.json", ec) ? SourceSpec::Kind::kSession
                                                                       : SourceSpec::Kind::kImages;
  else
    s.kind = is_image_file_name(text) ? SourceSpec::Kind::kImage : SourceSpec::Kind::kVideo;
  return s;
}

std::string SourceSpec::describe() const {
  switch (kind) {
    case Kind::kCamera:
      return "camera " + std::to_string(camera);
    case Kind::kVideo:
      return "video " + path;
    case Kind::kImage:
      return "image " + path;
    case Kind::kImages:
      return "image folder " + path;
    case Kind::kStream:
      return "stream " + path;
    case Kind::kSession:
      return "recorded session " + path;
    case Kind::kCustom:
      return path;
  }
  return "?";
}

std::unique_ptr<FrameSource> open_source(const SourceSpec& spec) {
  switch (spec.kind) {
    case SourceSpec::Kind::kCamera: {
#if defined(__linux__)
      // V4L2 directly: CAP_ANY would also probe GStreamer and USB depth
      // cameras, which is slow to fail and leaks inside those libraries.
      cv::VideoCapture cap(spec.camera, cv::CAP_V4L2);
#else
      cv::VideoCapture cap(spec.camera);
#endif
      if (!cap.isOpened())
        throw SourceError("Camera " + std::to_string(spec.camera) +
                          " could not be opened. Is it connected, and not in use by another "
                          "program?");
      const std::string name = "camera " + std::to_string(spec.camera);
      return std::make_unique<VideoSource>(std::move(cap), true, name,
                                           "camera" + std::to_string(spec.camera));
    }
    case SourceSpec::Kind::kStream: {
      cv::VideoCapture cap(spec.path);
      if (!cap.isOpened()) throw SourceError("The stream " + spec.path + " could not be opened.");
      return std::make_unique<VideoSource>(std::move(cap), true, spec.path, "stream");
    }
    case SourceSpec::Kind::kVideo: {
      std::error_code ec;
      if (!fs::exists(spec.path, ec))
        throw SourceError("The video file " + spec.path + " does not exist.");
      // FFmpeg reads every file format we write and expect; letting OpenCV
      // probe all backends on a bad file is slow and leaks inside GStreamer
      // and libusb.
      cv::VideoCapture cap(spec.path, cv::CAP_FFMPEG);
      if (!cap.isOpened())
        throw SourceError("The file " + spec.path +
                          " could not be opened: neither an image nor a video OpenCV can read");
      return std::make_unique<VideoSource>(std::move(cap), false, file_name(spec.path),
                                           fs::path(spec.path).stem().string());
    }
    case SourceSpec::Kind::kImage:
      return std::make_unique<ImageFilesSource>(std::vector<std::string>{spec.path},
                                                std::vector<std::string>{});
    case SourceSpec::Kind::kImages:
      return open_folder(spec.path);
    case SourceSpec::Kind::kSession:
    case SourceSpec::Kind::kCustom: {
      if (!spec.make) throw SourceError(spec.describe() + " cannot be opened by this build.");
      std::unique_ptr<FrameSource> src = spec.make();
      if (!src) throw SourceError(spec.describe() + " could not be opened.");
      return src;
    }
  }
  throw SourceError("unknown source kind");
}

}  // namespace intershape::core
