#include "core/session/session_source.h"

#include <memory>

#include "core/session/session_reader.h"

namespace intershape::core::session {
namespace {

class SessionSource final : public FrameSource {
 public:
  explicit SessionSource(const std::string& dir) : reader_(dir, /*read_results=*/false) {}
  SourceRead read() override {
    SourceRead r;
    SessionReader::Item item;
    // Stored results are read by StoredSessionResults when the worker needs
    // them; the video's frames are all this source gives.
    if (!reader_.next(item) || !item.frame) return r;  // kEnd
    r.status = SourceRead::Status::kFrame;
    r.bgr = item.frame->bgr;
    r.source = item.frame->source;
    r.name = item.frame->name;
    r.timestamp_s = item.frame->timestamp_s;
    return r;
  }
  bool seek(int64_t frame) override {
    reader_.seek(frame);
    return true;
  }
  int64_t position() const override { return reader_.position(); }
  int64_t count() const override { return reader_.frame_count(); }
  double fps() const override { return reader_.manifest().fps; }
  bool seekable() const override { return true; }

 private:
  SessionReader reader_;
};

class StoredSessionResults final : public StoredResults {
 public:
  explicit StoredSessionResults(std::string dir) : dir_(std::move(dir)) {}
  std::optional<FrameResult> result_for(const Frame& frame) override {
    return SessionReader::stored_result(dir_, frame.index);
  }

 private:
  std::string dir_;
};

}  // namespace

SourceSpec session_spec(const std::string& dir) {
  if (!SessionReader::is_session(dir))
    throw SourceError(dir + " is not a recorded session (no manifest.json)");
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kSession;
  spec.path = dir;
  spec.make = [dir]() -> std::unique_ptr<FrameSource> {
    return std::make_unique<SessionSource>(dir);
  };
  spec.stored = std::make_shared<StoredSessionResults>(dir);
  return spec;
}

SourceSpec resolve_source(const std::string& text) {
  SourceSpec spec = classify_source(text);
  return spec.kind == SourceSpec::Kind::kSession ? session_spec(text) : spec;
}

}  // namespace intershape::core::session
