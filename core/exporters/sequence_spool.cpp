#include "core/exporters/sequence_spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/exporters/spool_codec.h"
#include "core/formats/atomic_file.h"

namespace intershape::core::exporters {
namespace {

constexpr char kMagic[16] = {'I', 'N', 'T', 'E', 'R', 'S', 'H', 'A',
                             'P', 'E', '-', 'S', 'P', 'O', 'O', 'L'};
// 2: variable-length records with the detections and the rig camera, the
// MANO models in the header (1 held glb-frames' meshes only).
constexpr uint32_t kVersion = 2;
constexpr uint32_t kRecordMagic = 0x32515346;  // "FSQ2"
constexpr size_t kRecordHead = 12;             // magic, length, checksum
constexpr uint32_t kMaxRecord = 1u << 20;      // a record is ~22 KB
constexpr uint64_t kMaxHeader = 64u << 20;     // the header is ~2.9 MB with the models
constexpr uint32_t kHasNetwork = 1, kHasDetections = 2, kHasCamera = 4;

std::string error_text(int err) { return std::strerror(err); }

void write_all(int fd, const void* data, size_t size, const std::string& path) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw formats::ExportError("cannot write " + path + ": " + error_text(n < 0 ? errno : ENOSPC));
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void sync_or_throw(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0 && errno != EINVAL)  // EINVAL: a file system without sync
    throw formats::ExportError("cannot write " + path + ": " + error_text(errno));
}

// The folder's entry for a renamed or removed file is durable only once the
// folder itself is synced.
void sync_folder(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

SequenceSpool::SequenceSpool(const std::string& dir, const SpoolConfig& config)
    : path_(dir + "/" + kSpoolFileName) {
  check_spool_config(config, path_);
  SpoolWriter body;
  encode_spool_config(config, body);
  SpoolWriter head;
  head.raw(kMagic, sizeof kMagic);
  head.u32(kVersion);
  head.u64(body.bytes.size());
  head.u32(fnv1a(body.bytes.data(), body.bytes.size()));
  // Written under another name and renamed: a spool that exists has its whole
  // header, so a kill while it is written leaves no spool at all.
  const std::string part = path_ + ".part";
  fd_ = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw formats::ExportError("cannot write " + path_ + ": " + error_text(errno));
  try {
    write_all(fd_, head.bytes.data(), head.bytes.size(), path_);
    write_all(fd_, body.bytes.data(), body.bytes.size(), path_);
    sync_or_throw(fd_, path_);
    if (::rename(part.c_str(), path_.c_str()) != 0)
      throw formats::ExportError("cannot write " + path_ + ": " + error_text(errno));
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(part.c_str());
    throw;
  }
  sync_folder(dir);
  buffer_.reserve(kMaxRecord);
}

SequenceSpool::~SequenceSpool() {
  if (fd_ >= 0) ::close(fd_);  // no sync here: a destructor must not throw (close() syncs)
}

void SequenceSpool::close() {
  if (fd_ < 0) return;
  const int fd = fd_;
  fd_ = -1;
  const int synced = ::fdatasync(fd) == 0 || errno == EINVAL ? 0 : errno;
  ::close(fd);
  if (synced != 0) throw formats::ExportError("cannot write " + path_ + ": " + error_text(synced));
}

void SequenceSpool::append(const FrameResult& r, const CameraIntrinsics* camera) {
  if (fd_ < 0) throw formats::ExportError("cannot write " + path_ + ": closed");
  SpoolWriter w{std::move(buffer_)};
  w.bytes.clear();
  w.u32(kRecordMagic);
  w.u32(0);  // payload length, below
  w.u32(0);  // checksum, below
  w.raw(&r.frame->index, 8);
  w.raw(&r.frame->timestamp_s, 8);
  w.raw(&r.frame->width, 4);
  w.raw(&r.frame->height, 4);
  const uint32_t flags = (r.has_network ? kHasNetwork : 0) | (r.detections ? kHasDetections : 0) |
                         (camera ? kHasCamera : 0);
  w.u32(flags);
  if (r.has_network) encode_network(r, w, path_);
  if (r.detections) encode_detections(detect::detection_row(*r.detections), w);
  if (camera) encode_camera(*camera, w);
  const uint32_t length = static_cast<uint32_t>(w.bytes.size() - kRecordHead);
  const uint32_t sum = fnv1a(w.bytes.data() + kRecordHead, length);
  std::memcpy(w.bytes.data() + 4, &length, 4);
  std::memcpy(w.bytes.data() + 8, &sum, 4);
  buffer_ = std::move(w.bytes);
  write_all(fd_, buffer_.data(), buffer_.size(), path_);
  ++frames_;
  if (frames_ % kSpoolSyncFrames == 0) sync_or_throw(fd_, path_);
}

namespace {

// A spool open for reading, in order. Throws formats::ExportError naming it.
class SpoolFile {
 public:
  explicit SpoolFile(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) throw formats::ExportError("cannot read " + path + ": " + error_text(errno));
    struct stat st;
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      throw formats::ExportError("cannot read " + path + ": not a regular file");
    }
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~SpoolFile() { ::close(fd_); }
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;
  // Reads up to n bytes; fewer only at the end of the file.
  size_t read(void* out, size_t n) {
    size_t got = 0;
    auto* b = static_cast<uint8_t*>(out);
    while (got < n) {
      const ssize_t k = ::read(fd_, b + got, n - got);
      if (k < 0 && errno == EINTR) continue;
      if (k < 0) throw formats::ExportError("cannot read " + path_ + ": " + error_text(errno));
      if (k == 0) break;
      got += static_cast<size_t>(k);
    }
    return got;
  }
  uint64_t size() const { return size_; }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// The header: magic, version, body length and checksum, body (SpoolConfig).
SpoolConfig read_header(SpoolFile& file, const std::string& path) {
  const std::string not_spool = path + ": not a sequence spool of this program";
  std::vector<uint8_t> buf(sizeof kMagic + 16);
  if (file.read(buf.data(), buf.size()) != buf.size() ||
      std::memcmp(buf.data(), kMagic, sizeof kMagic) != 0)
    throw formats::ExportError(not_spool);
  SpoolReader h{buf.data() + sizeof kMagic, buf.data() + buf.size(), path};
  const uint32_t version = h.u32();
  if (version != kVersion)
    throw formats::ExportError(path + ": spool version " + std::to_string(version) +
                               " is not the one this program writes (" + std::to_string(kVersion) + ")");
  const uint64_t body_size = h.u64();
  const uint32_t body_sum = h.u32();
  if (body_size > kMaxHeader || body_size > file.size())
    throw formats::ExportError(not_spool + " (header length " + std::to_string(body_size) + ")");
  buf.resize(body_size);
  if (file.read(buf.data(), buf.size()) != buf.size() || fnv1a(buf.data(), buf.size()) != body_sum)
    throw formats::ExportError(path + ": the spool's header is damaged (checksum)");
  SpoolReader body{buf.data(), buf.data() + buf.size(), path};
  SpoolConfig config = decode_spool_config(body);
  check_spool_config(config, path);
  return config;
}

}  // namespace

void decode_frame_record(SpoolReader& p, const std::shared_ptr<Frame>& frame, SpoolFrame& f) {
  Frame& fr = *frame;
  p.raw(&fr.index, 8);
  p.raw(&fr.timestamp_s, 8);
  p.raw(&fr.width, 4);
  p.raw(&fr.height, 4);
  const uint32_t flags = p.u32();
  f.result.frame = frame;
  f.result.has_network = flags & kHasNetwork;
  if (f.result.has_network) {
    decode_network(p, f.result);
  } else if (!f.result.output.hands[0].verts3d.empty()) {
    f.result.output = {};  // nothing of a frame before it (skeleton mode has no output)
    f.result.keypoints_frame = {};
  }
  f.detections.reset();
  if (flags & kHasDetections) f.detections = decode_detections(p);
  f.camera.reset();
  if (flags & kHasCamera) f.camera = decode_camera(p);
  p.expect_end();
}

SpoolContents read_spool(const std::string& path,
                         const std::function<void(const SpoolFrame&)>& on_frame,
                         const std::function<void(const SpoolContents&)>& on_header) {
  SpoolFile file(path);
  SpoolContents c;
  c.config = read_header(file, path);
  if (on_header) on_header(c);
  std::vector<uint8_t> buf;
  SpoolFrame f;
  auto frame = std::make_shared<Frame>();
  for (;;) {
    uint8_t head[kRecordHead];
    const size_t got = file.read(head, sizeof head);
    if (got == 0) break;
    uint32_t magic = 0, length = 0, sum = 0;
    std::memcpy(&magic, head, 4);
    std::memcpy(&length, head + 4, 4);
    std::memcpy(&sum, head + 8, 4);
    // Only the last record may be torn (a kill while it was written, or a
    // machine crash before it reached the disk): it ends the sequence.
    c.torn_tail = true;
    if (got < sizeof head || magic != kRecordMagic || length > kMaxRecord || length < 28) break;
    buf.resize(length);
    if (file.read(buf.data(), length) != length || fnv1a(buf.data(), length) != sum) break;
    c.torn_tail = false;
    SpoolReader p{buf.data(), buf.data() + length, path};
    decode_frame_record(p, frame, f);
    ++c.frames;
    on_frame(f);
  }
  return c;
}

}  // namespace intershape::core::exporters
