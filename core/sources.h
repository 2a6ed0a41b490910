#pragma once
// Where frames come from, behind one interface: cameras, video files, streams,
// one image, a folder of images, and (through SourceSpec::make) sources built
// above core, such as a recorded session (core/session/session_source.h).
// One list of image types and one classifier of what the user typed serve the
// GUI, `infer` and every later command.
//
// Threads: a FrameSource is owned and used by one thread (the capture thread).
// The free functions are pure and may be called from any thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/types.h"

namespace intershape::core {

// What one read gives.
struct SourceRead {
  enum class Status {
    kFrame,    // `bgr` holds the next picture
    kSkipped,  // a file that is not a picture was passed over (`problem` names it)
    kFailed,   // one picture could not be read (`problem` names it); the next read goes on
    kEnd,      // nothing more (end of file, or a live source stopped delivering)
  };
  Status status = Status::kEnd;
  cv::Mat bgr;                        // kFrame: CV_8UC3
  std::string source;                 // kFrame: what exports call its source ("clip.mp4")
  std::string name;                   // kFrame: the stem of its exported files ("clip_000012")
  std::optional<double> timestamp_s;  // kFrame: the source's own clock, when it has one
  std::string problem;                // kSkipped, kFailed: plain words naming the file
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // The next item; position() is its index while it is read, then advances.
  virtual SourceRead read() = 0;
  virtual bool seek(int64_t frame) = 0;
  virtual int64_t position() const = 0;  // index of the next frame
  virtual int64_t count() const = 0;     // -1 unknown
  virtual double fps() const = 0;        // 0 unknown
  virtual bool seekable() const = 0;
};

// A source that cannot be opened; what() says which and why, in plain words.
class SourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Results stored with a source's frames (a recorded session), handed to the
// engine together with that source: "replay" is this source paired with an
// estimator that returns what it stored (core/pipeline.h).
class StoredResults {
 public:
  virtual ~StoredResults() = default;
  // The stored result of the source's frame `frame.index` (without its frame:
  // the engine attaches `frame`), or nullopt when that frame has none. Throws
  // (plain words) when the stored file is unreadable. Called by the worker thread.
  virtual std::optional<FrameResult> result_for(const Frame& frame) = 0;
};

// What to read from.
struct SourceSpec {
  enum class Kind { kCamera, kVideo, kImage, kImages, kStream, kSession, kCustom };
  Kind kind = Kind::kCamera;
  int camera = 0;    // kCamera
  std::string path;  // a file, folder or URL
  // kSession and kCustom: opens the source on the capture thread; throws
  // (any std::exception, what() in plain words) when it cannot. Set for a
  // session by session::session_spec().
  std::function<std::unique_ptr<FrameSource>()> make;
  // kSession: the results stored with the frames (may be null).
  std::shared_ptr<StoredResults> stored;

  static SourceSpec camera_index(int index);
  std::string describe() const;  // "camera 0", "video clip.mp4", ...
  bool is_live() const { return kind == Kind::kCamera || kind == Kind::kStream; }
};

// What the user typed, classified once for every command: "0".."99" -> a
// camera; "scheme://..." -> a stream; a folder with a manifest.json -> a
// recorded session (kSession, to be opened by core/session); another folder
// -> images; a file with an image extension -> one image; anything else -> a
// video (a path that does not exist fails when opened, with a message naming
// it). Throws SourceError for an empty text.
SourceSpec classify_source(const std::string& text);

// True for the file names read as images (by extension, case-insensitive).
bool is_image_file_name(const std::string& name);
// The extensions, for messages: "png, jpg, jpeg, ...".
std::string image_extensions_text();

// Opens a built-in source (or calls spec.make). Throws SourceError.
std::unique_ptr<FrameSource> open_source(const SourceSpec& spec);

// "stem_000012": how frame k of a clip names its files.
std::string numbered_name(const std::string& stem, int64_t k);

}  // namespace intershape::core
