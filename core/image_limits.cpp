#include "core/image_limits.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

#include <opencv2/imgcodecs.hpp>

namespace intershape::core {
namespace {

// Bounds-checked reads of the header bytes: every access is checked against
// what is left, so a cut-short or hostile header is an error, never a read
// past the buffer.
struct Bytes {
  const uint8_t* p;
  size_t n;
  bool has(size_t off, size_t len) const { return off <= n && len <= n - off; }
  bool starts(size_t off, std::string_view s) const {
    return has(off, s.size()) && std::memcmp(p + off, s.data(), s.size()) == 0;
  }
  uint32_t be16(size_t o) const { return (uint32_t{p[o]} << 8) | p[o + 1]; }
  uint32_t le16(size_t o) const { return (uint32_t{p[o + 1]} << 8) | p[o]; }
  uint32_t be32(size_t o) const { return (be16(o) << 16) | be16(o + 2); }
  uint32_t le32(size_t o) const { return (le16(o + 2) << 16) | le16(o); }
};

struct Probe {
  Bytes b;
  const std::string& source;
  [[noreturn]] void fail(const char* format, const std::string& what) const {
    throw ImageError(source + ": " + format + " header " + what);
  }
  void need(const char* format, size_t off, size_t len) const {
    if (!b.has(off, len)) fail(format, "is cut short");
  }
  ImageHeader make(const char* format, int64_t w, int64_t h) const {
    ImageHeader r;
    r.format = format;
    r.width = w;
    r.height = h;
    return r;
  }

  ImageHeader png() const {
    // Signature, then the IHDR chunk: length, "IHDR", width, height (big-endian).
    need("PNG", 8, 16);
    if (!b.starts(12, "IHDR")) fail("PNG", "does not start with IHDR");
    return make("PNG", b.be32(16), b.be32(20));
  }

  ImageHeader jpeg() const {
    // Markers up to the first SOFn, skipping segments by their lengths.
    size_t o = 2;
    for (;;) {
      need("JPEG", o, 2);
      if (b.p[o] != 0xFF) fail("JPEG", "has no marker where one is expected");
      const uint8_t m = b.p[o + 1];
      if (m == 0xFF) {  // fill byte
        ++o;
        continue;
      }
      o += 2;
      if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  // no length
      if (m == 0xD9 || m == 0xDA) fail("JPEG", "has no frame size before its image data");
      need("JPEG", o, 2);
      const uint32_t len = b.be16(o);
      if (len < 2) fail("JPEG", "has a segment shorter than its length field");
      const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
      if (sof) {
        need("JPEG", o, 7);
        const int64_t h = b.be16(o + 3), w = b.be16(o + 5);
        if (h == 0) fail("JPEG", "leaves the height to a DNL marker, which is not supported");
        return make("JPEG", w, h);
      }
      o += len;
    }
  }

  ImageHeader bmp() const {
    need("BMP", 14, 4);
    const uint32_t dib = b.le32(14);
    if (dib == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
      need("BMP", 18, 4);
      return make("BMP", b.le16(18), b.le16(20));
    }
    if (dib < 16) fail("BMP", "has an unknown info header");
    need("BMP", 18, 8);
    const int64_t w = static_cast<int32_t>(b.le32(18));
    const int64_t h = static_cast<int32_t>(b.le32(22));  // negative: top-down
    return make("BMP", w, h < 0 ? -h : h);
  }

  ImageHeader webp() const {
    need("WebP", 12, 8);
    if (b.starts(12, "VP8 ")) {
      // Frame tag (3 bytes), start code 9d 01 2a, 14-bit width and height.
      need("WebP", 20, 10);
      if (b.p[23] != 0x9d || b.p[24] != 0x01 || b.p[25] != 0x2a)
        fail("WebP", "has no VP8 start code");
      return make("WebP", b.le16(26) & 0x3fff, b.le16(28) & 0x3fff);
    }
    if (b.starts(12, "VP8L")) {
      need("WebP", 20, 5);
      if (b.p[20] != 0x2f) fail("WebP", "has no VP8L signature");
      const uint32_t bits = b.le32(21);
      return make("WebP", (bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
    }
    if (b.starts(12, "VP8X")) {
      need("WebP", 24, 6);
      const uint32_t w = b.p[24] | (uint32_t{b.p[25]} << 8) | (uint32_t{b.p[26]} << 16);
      const uint32_t h = b.p[27] | (uint32_t{b.p[28]} << 8) | (uint32_t{b.p[29]} << 16);
      return make("WebP", int64_t{w} + 1, int64_t{h} + 1);
    }
    fail("WebP", "has an unknown first chunk");
  }

  ImageHeader tiff() const {
    const bool le = b.p[0] == 'I';
    auto u16 = [&](size_t o) { return le ? b.le16(o) : b.be16(o); };
    auto u32 = [&](size_t o) { return le ? b.le32(o) : b.be32(o); };
    need("TIFF", 4, 4);
    const size_t ifd = u32(4);
    need("TIFF", ifd, 2);
    const uint32_t count = u16(ifd);
    int64_t w = -1, h = -1;
    for (uint32_t i = 0; i < count; ++i) {
      const size_t e = ifd + 2 + size_t{12} * i;
      need("TIFF", e, 12);
      const uint32_t tag = u16(e), type = u16(e + 2);
      if (tag != 256 && tag != 257) continue;
      int64_t v;
      if (type == 3)  // SHORT, left-justified in the value field
        v = u16(e + 8);
      else if (type == 4)  // LONG
        v = u32(e + 8);
      else
        fail("TIFF", "gives its size in an unexpected type");
      (tag == 256 ? w : h) = v;
    }
    if (w < 0 || h < 0) fail("TIFF", "has no ImageWidth/ImageLength");
    return make("TIFF", w, h);
  }

  // Netpbm text headers: whitespace-separated numbers, '#' comments.
  bool pnm_number(size_t& o, int64_t& v) const {
    for (;;) {
      if (!b.has(o, 1)) return false;
      if (b.p[o] == '#') {
        while (b.has(o, 1) && b.p[o] != '\n') ++o;
      } else if (std::isspace(b.p[o])) {
        ++o;
      } else {
        break;
      }
    }
    v = 0;
    size_t digits = 0;
    while (b.has(o, 1) && std::isdigit(b.p[o]) && digits < 12) {
      v = v * 10 + (b.p[o] - '0');
      ++o;
      ++digits;
    }
    return digits > 0 && digits < 12;
  }

  ImageHeader pnm() const {
    if (b.p[1] == '7') {  // PAM: "WIDTH n" and "HEIGHT n" lines up to ENDHDR
      int64_t w = -1, h = -1;
      size_t o = 2;
      while (b.has(o, 1) && o < 4096) {
        if (b.starts(o, "ENDHDR")) break;
        if (b.starts(o, "WIDTH") || b.starts(o, "HEIGHT")) {
          const bool width = b.p[o] == 'W';
          size_t q = o + (width ? 5 : 6);
          int64_t v;
          if (!pnm_number(q, v)) fail("PAM", "has a bad size");
          (width ? w : h) = v;
        }
        while (b.has(o, 1) && b.p[o] != '\n') ++o;
        ++o;
      }
      if (w < 0 || h < 0) fail("PAM", "has no WIDTH/HEIGHT");
      return make("PAM", w, h);
    }
    size_t o = 2;
    int64_t w, h;
    if (!pnm_number(o, w) || !pnm_number(o, h)) fail("PNM", "has no size");
    return make("PNM", w, h);
  }

  ImageHeader hdr() const {
    // Header lines up to an empty one, then e.g. "-Y 480 +X 640".
    size_t o = 0;
    while (b.has(o, 1) && o < 65536) {
      const size_t start = o;
      while (b.has(o, 1) && b.p[o] != '\n') ++o;
      ++o;
      if (o - start == 1) break;  // the empty line
    }
    if (!b.has(o, 2) || (b.p[o] != '-' && b.p[o] != '+')) fail("HDR", "has no resolution line");
    const bool y_first = b.p[o + 1] == 'Y';
    o += 2;
    int64_t first, second;
    if (!pnm_number(o, first)) fail("HDR", "has a bad resolution line");
    while (b.has(o, 1) && (b.p[o] == ' ' || b.p[o] == '+' || b.p[o] == '-' || b.p[o] == 'X' ||
                           b.p[o] == 'Y'))
      ++o;
    if (!pnm_number(o, second)) fail("HDR", "has a bad resolution line");
    return y_first ? make("HDR", second, first) : make("HDR", first, second);
  }

  ImageHeader exr() const {
    // Attributes "name\0type\0size value" up to an empty name; dataWindow is box2i.
    size_t o = 8;
    for (int k = 0; k < 1024; ++k) {
      need("EXR", o, 1);
      if (b.p[o] == 0) break;
      const size_t name = o;
      while (b.has(o, 1) && b.p[o] != 0 && o - name < 256) ++o;
      need("EXR", o, 1);
      const std::string attr(reinterpret_cast<const char*>(b.p + name), o - name);
      ++o;
      const size_t type = o;
      while (b.has(o, 1) && b.p[o] != 0 && o - type < 256) ++o;
      need("EXR", o, 5);
      ++o;
      const uint32_t len = b.le32(o);
      o += 4;
      need("EXR", o, len);
      if (attr == "dataWindow") {
        if (len != 16) fail("EXR", "has a bad dataWindow");
        const int64_t x0 = static_cast<int32_t>(b.le32(o)), y0 = static_cast<int32_t>(b.le32(o + 4));
        const int64_t x1 = static_cast<int32_t>(b.le32(o + 8)),
                      y1 = static_cast<int32_t>(b.le32(o + 12));
        return make("EXR", x1 - x0 + 1, y1 - y0 + 1);
      }
      o += len;
    }
    fail("EXR", "has no dataWindow");
  }

  ImageHeader j2k_codestream(size_t o) const {
    // SOC (FF4F), SIZ (FF51): Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz.
    need("JPEG 2000", o, 4 + 2 + 2 + 16);
    if (b.be16(o + 2) != 0xFF51) fail("JPEG 2000", "has no SIZ marker");
    const int64_t xs = b.be32(o + 8), ys = b.be32(o + 12);
    const int64_t xo = b.be32(o + 16), yo = b.be32(o + 20);
    return make("JPEG 2000", xs - xo, ys - yo);
  }

  ImageHeader jp2() const {
    // Boxes (length, type); the size is in jp2h/ihdr: height, width.
    size_t o = 0;
    size_t end = b.n;
    for (int k = 0; k < 256; ++k) {
      need("JPEG 2000", o, 8);
      uint64_t len = b.be32(o);
      size_t head = 8;
      if (len == 1) {
        need("JPEG 2000", o, 16);
        len = (uint64_t{b.be32(o + 8)} << 32) | b.be32(o + 12);
        head = 16;
      } else if (len == 0) {
        len = end - o;
      }
      if (len < head || len > end - o) fail("JPEG 2000", "has a box longer than the file");
      if (b.starts(o + 4, "jp2h")) {  // a super box: look inside
        end = o + static_cast<size_t>(len);
        o += head;
        continue;
      }
      if (b.starts(o + 4, "ihdr")) {
        need("JPEG 2000", o + head, 8);
        return make("JPEG 2000", b.be32(o + head + 4), b.be32(o + head));
      }
      o += static_cast<size_t>(len);
    }
    fail("JPEG 2000", "has no ihdr box");
  }
};

std::string shorten(const std::string& s) {
  // OpenCV's messages carry its version, source line and function
  // ("OpenCV(4.6.0) /path:77: error: (-215:Assertion failed) WHAT in function
  // 'f'"): keep WHAT.
  std::string r = s;
  const size_t e = s.find("error: (");
  if (e != std::string::npos) {
    const size_t p = s.find(") ", e);
    if (p != std::string::npos) r = s.substr(p + 2);
  }
  while (!r.empty() && (r.back() == '\n' || r.back() == ' ')) r.pop_back();
  return r.size() > 200 ? r.substr(0, 200) + "..." : r;
}

}  // namespace

std::optional<ImageHeader> probe_image_header(const uint8_t* data, size_t size,
                                              const std::string& source) {
  const Probe p{Bytes{data, size}, source};
  const Bytes& b = p.b;
  if (b.starts(0, "\x89PNG\r\n\x1a\n")) return p.png();
  if (b.starts(0, "\xFF\xD8\xFF")) return p.jpeg();
  if (b.starts(0, "BM")) return p.bmp();
  if (b.starts(0, "RIFF") && b.starts(8, "WEBP")) return p.webp();
  if (b.starts(0, std::string_view("II*\0", 4)) || b.starts(0, std::string_view("MM\0*", 4)))
    return p.tiff();
  if (b.has(0, 2) && b.p[0] == 'P' && b.p[1] >= '1' && b.p[1] <= '7') return p.pnm();
  if (b.starts(0, "PF") || b.starts(0, "Pf")) {
    size_t o = 2;
    int64_t w, h;
    if (!p.pnm_number(o, w) || !p.pnm_number(o, h)) p.fail("PFM", "has no size");
    return p.make("PFM", w, h);
  }
  if (b.starts(0, "#?RADIANCE") || b.starts(0, "#?RGBE")) return p.hdr();
  if (b.starts(0, "\x76\x2f\x31\x01")) return p.exr();
  if (b.starts(0, std::string_view("\0\0\0\x0cjP  \r\n\x87\n", 12))) return p.jp2();
  if (b.starts(0, "\xFF\x4F\xFF\x51")) return p.j2k_codestream(0);
  if (b.starts(0, "\x59\xa6\x6a\x95")) {
    p.need("Sun raster", 4, 8);
    return p.make("Sun raster", b.be32(4), b.be32(8));
  }
  return std::nullopt;
}

void check_image_size(const ImageHeader& h, const ImageLimits& limits, const std::string& source) {
  const std::string size = std::to_string(h.width) + " x " + std::to_string(h.height) + " pixels";
  if (h.width < 1 || h.height < 1)
    throw ImageError(source + ": " + h.format + " header declares " + size);
  // A division, not a product: PNM sizes may be up to 10^11 each.
  if (h.width > limits.max_pixels / h.height) {
    throw ImageError(source + ": " + size + " (" + h.format + ") is more than the " +
                     std::to_string(limits.max_pixels) +
                     " pixels allowed (--max-image-pixels); not decoded");
  }
}

cv::Mat decode_image(const uint8_t* data, size_t size, const std::string& source,
                     const ImageLimits& limits, int flags) {
  const std::optional<ImageHeader> header = probe_image_header(data, size, source);
  if (!header) throw ImageError(source + ": not a picture in a format this program reads");
  check_image_size(*header, limits, source);
  if (size > static_cast<size_t>(INT32_MAX)) throw ImageError(source + ": too large to decode");
  cv::Mat out;
  try {
    // imdecode wants a Mat header over the bytes; it does not modify them.
    const cv::Mat buf(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data));
    out = cv::imdecode(buf, flags);
  } catch (const cv::Exception& e) {
    throw ImageError(source + ": cannot decode the " + header->format + " picture: " +
                     shorten(e.what()));
  }
  if (out.empty())
    throw ImageError(source + ": cannot decode the " + std::string(header->format) +
                     " picture (corrupt or unsupported)");
  return out;
}

cv::Mat read_image(const std::string& path, const ImageLimits& limits, int flags) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw ImageError(path + ": cannot open file (" + std::strerror(errno) + ")");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0)
    throw ImageError(path + ": cannot open file (" + std::strerror(errno) + ")");
  if (S_ISDIR(st.st_mode)) throw ImageError(path + ": is a folder, not a picture");
  if (!S_ISREG(st.st_mode))
    throw ImageError(path + ": is not a regular file (a FIFO, socket or device); not read");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size > limits.max_file_bytes) {
    throw ImageError(path + ": " + std::to_string(file_size) + " bytes is more than the " +
                     std::to_string(limits.max_file_bytes) + " allowed for a picture");
  }
  if (file_size > static_cast<uint64_t>(INT32_MAX))
    throw ImageError(path + ": too large for the image decoder");
  std::vector<uint8_t> bytes(static_cast<size_t>(file_size));
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ImageError(path + ": cannot read file (" + std::strerror(errno) + ")");
    if (n == 0) break;  // shrank while we read: decode what is there
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  if (bytes.empty()) throw ImageError(path + ": is empty");
  return decode_image(bytes.data(), bytes.size(), path, limits, flags);
}

}  // namespace intershape::core
