#include "core/exporters/sequence_spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/exporters/glb_writer.h"
#include "core/exporters/npz_sequence.h"
#include "core/formats/atomic_file.h"
#include "core/formats/file_io.h"

namespace intershape::core::exporters {
namespace {

constexpr char kMagic[16] = {'I', 'N', 'T', 'E', 'R', 'S', 'H', 'A',
                             'P', 'E', '-', 'S', 'P', 'O', 'O', 'L'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kRecordMagic = 0x31515346;  // "FSQ1"
constexpr size_t kFacesValues = size_t{kFacesPerHand} * 3;
constexpr size_t kHandFloats = size_t{kVertsPerHand} * 3 + kJointsPerHand * 3 + kPoseDim + kShapeDim + 1;
constexpr size_t kPayloadFloats = 2 * kHandFloats + 4 + 2 * kJoints * 3;
constexpr size_t kPayloadBytes = 16 + kPayloadFloats * 4;  // frame, timestamp, floats
constexpr size_t kRecordBytes = 8 + kPayloadBytes;
constexpr size_t kHeaderBytes = 16 + 4 + 4 + 2 * kFacesValues * 4;

uint32_t fnv1a(const uint8_t* p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

void write_all(int fd, const void* data, size_t size, const std::string& path) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw formats::ExportError("cannot write " + path + ": " +
                                 std::strerror(n < 0 ? errno : ENOSPC));
    p += n;
    size -= static_cast<size_t>(n);
  }
}

struct Writer {
  std::vector<uint8_t> bytes;
  void raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes.insert(bytes.end(), b, b + n);
  }
  void floats(const float* p, size_t n) { raw(p, n * 4); }
};

struct Reader {
  const uint8_t* p;
  void raw(void* out, size_t n) {
    std::memcpy(out, p, n);
    p += n;
  }
  void floats(float* out, size_t n) { raw(out, n * 4); }
};

}  // namespace

SequenceSpool::SequenceSpool(const std::string& dir, bool glb, bool npz,
                             const std::array<std::vector<int32_t>, 2>& faces)
    : path_(dir + "/" + kSpoolFileName) {
  // The triangles are kept for the glb; an npz-only spool (skeleton mode, no
  // network) has none and stores zeros in their place.
  std::array<std::vector<int32_t>, 2> stored = faces;
  for (auto& f : stored) {
    if (f.size() == kFacesValues) continue;
    if (glb) throw formats::ExportError("cannot write " + path_ + ": expected 1540x3 faces per hand");
    f.assign(kFacesValues, 0);
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw formats::ExportError("cannot write " + path_ + ": " + std::strerror(errno));
  Writer w;
  w.raw(kMagic, sizeof kMagic);
  w.raw(&kVersion, 4);
  const uint32_t flags = (glb ? 1u : 0u) | (npz ? 2u : 0u);
  w.raw(&flags, 4);
  for (const auto& f : stored) w.raw(f.data(), f.size() * 4);
  write_all(fd_, w.bytes.data(), w.bytes.size(), path_);
}

SequenceSpool::~SequenceSpool() { close(); }

void SequenceSpool::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void SequenceSpool::append(const FrameResult& r) {
  Writer w;
  w.bytes.reserve(kRecordBytes);
  const uint32_t zero = 0;
  w.raw(&kRecordMagic, 4);
  w.raw(&zero, 4);  // checksum, below
  w.raw(&r.frame->index, 8);
  w.raw(&r.frame->timestamp_s, 8);
  for (int h = 0; h < 2; ++h) {
    const HandOutput& hand = r.output.hands[h];
    if (hand.verts3d.size() != size_t{kVertsPerHand} * 3 ||
        hand.joints3d.size() != size_t{kJointsPerHand} * 3)
      throw formats::ExportError("cannot write " + path_ + ": frame " + std::to_string(r.frame->index) +
                                 " has " + std::to_string(hand.verts3d.size()) + " vertex and " +
                                 std::to_string(hand.joints3d.size()) + " joint values for the " +
                                 hand_name(static_cast<Hand>(h)) + " hand, expected 778x3 and 21x3");
    w.floats(hand.verts3d.data(), hand.verts3d.size());
    w.floats(hand.joints3d.data(), hand.joints3d.size());
    w.floats(hand.params.pose.data(), hand.params.pose.size());
    w.floats(hand.params.shape.data(), hand.params.shape.size());
    w.floats(&hand.presence, 1);
  }
  w.floats(r.output.trans.data(), 4);
  for (const auto& k : r.keypoints_frame) w.floats(k.data(), 3);
  for (const auto& k : r.output.xyc) w.floats(k.data(), 3);
  const uint32_t sum = fnv1a(w.bytes.data() + 8, w.bytes.size() - 8);
  std::memcpy(w.bytes.data() + 4, &sum, 4);
  if (fd_ < 0) throw formats::ExportError("cannot write " + path_ + ": closed");
  write_all(fd_, w.bytes.data(), w.bytes.size(), path_);
  ++frames_;
}

SpoolContents read_spool(const std::string& path,
                         const std::function<void(const FrameResult&)>& on_frame,
                         const std::function<void(const SpoolContents&)>& on_header) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw formats::ExportError("cannot read " + path + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    throw formats::ExportError("cannot read " + path + ": not a regular file");
  auto read_exact = [&](void* out, size_t n) {
    size_t got = 0;
    auto* b = static_cast<uint8_t*>(out);
    while (got < n) {
      const ssize_t k = ::read(fd, b + got, n - got);
      if (k < 0 && errno == EINTR) continue;
      if (k < 0) throw formats::ExportError("cannot read " + path + ": " + std::strerror(errno));
      if (k == 0) break;
      got += static_cast<size_t>(k);
    }
    return got;
  };
  SpoolContents c;
  std::vector<uint8_t> header(kHeaderBytes);
  if (read_exact(header.data(), header.size()) != header.size() ||
      std::memcmp(header.data(), kMagic, sizeof kMagic) != 0)
    throw formats::ExportError(path + ": not a sequence spool of this program");
  Reader h{header.data() + 16};
  uint32_t version, flags;
  h.raw(&version, 4);
  h.raw(&flags, 4);
  if (version != kVersion)
    throw formats::ExportError(path + ": spool version " + std::to_string(version) +
                               " is not the one this program writes");
  c.glb = flags & 1u;
  c.npz = flags & 2u;
  for (auto& f : c.faces) {
    f.resize(kFacesValues);
    h.raw(f.data(), kFacesValues * 4);
  }
  if (on_header) on_header(c);
  std::vector<uint8_t> rec(kRecordBytes);
  FrameResult r;
  auto frame = std::make_shared<Frame>();
  for (;;) {
    const size_t got = read_exact(rec.data(), rec.size());
    if (got == 0) break;
    uint32_t magic, sum;
    std::memcpy(&magic, rec.data(), 4);
    std::memcpy(&sum, rec.data() + 4, 4);
    if (got < rec.size() || magic != kRecordMagic || fnv1a(rec.data() + 8, kPayloadBytes) != sum) {
      // Only the last record may be torn (a kill while it was written).
      c.torn_tail = true;
      break;
    }
    Reader p{rec.data() + 8};
    p.raw(&frame->index, 8);
    p.raw(&frame->timestamp_s, 8);
    r.frame = frame;
    for (int k = 0; k < 2; ++k) {
      HandOutput& hand = r.output.hands[k];
      hand.verts3d.resize(size_t{kVertsPerHand} * 3);
      hand.joints3d.resize(size_t{kJointsPerHand} * 3);
      p.floats(hand.verts3d.data(), hand.verts3d.size());
      p.floats(hand.joints3d.data(), hand.joints3d.size());
      p.floats(hand.params.pose.data(), hand.params.pose.size());
      p.floats(hand.params.shape.data(), hand.params.shape.size());
      p.floats(&hand.presence, 1);
    }
    p.floats(r.output.trans.data(), 4);
    for (auto& k : r.keypoints_frame) p.floats(k.data(), 3);
    for (auto& k : r.output.xyc) p.floats(k.data(), 3);
    ++c.frames;
    on_frame(r);
  }
  return c;
}

std::vector<std::string> finish_spool(const std::string& dir) {
  const std::string path = dir + "/" + kSpoolFileName;
  NpzSequence npz;
  std::unique_ptr<GlbSequence> glb;
  bool want_npz = false;
  const SpoolContents c = read_spool(
      path,
      [&](const FrameResult& r) {
        if (want_npz) npz.add(r);
        if (glb) glb->add(r.frame->timestamp_s, r.output);
      },
      [&](const SpoolContents& header) {
        want_npz = header.npz;
        if (header.glb) glb = std::make_unique<GlbSequence>(header.faces);
      });
  std::vector<std::string> paths;
  if (c.frames > 0 && glb) {
    paths.push_back(dir + "/sequence_frames.glb");
    glb->write(paths.back());
  }
  if (c.frames > 0 && want_npz) {
    paths.push_back(dir + "/sequence.npz");
    npz.write(paths.back());
  }
  ::unlink(path.c_str());
  return paths;
}

}  // namespace intershape::core::exporters
