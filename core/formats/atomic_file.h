#pragma once
// Files that appear complete or not at all. Data goes to a temporary file in
// the destination's folder (".NAME.tmp.PID.N"), is fsync'ed, then renamed over
// the destination (and the folder fsync'ed), so a process killed at any point
// leaves either the previous file, the complete new one, or no file, never a
// truncated one. A temporary may be left behind by a kill; it never carries the
// destination's name.
//
// Errors (unwritable folder, full disk, file size limit) throw ExportError
// naming the destination as the caller spelled it and the system's reason:
// "cannot write out/frame_000012.json: No space left on device". Files written
// before stay valid; the failed one is removed.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace intershape::core::formats {

class ExportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Streaming form, for files built piece by piece. Not thread-safe; move-only.
// Destroying an uncommitted AtomicFile removes its temporary.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // creates the temporary; throws ExportError
  ~AtomicFile();
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);  // throws ExportError
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  // fsync, close, rename onto the destination. Throws ExportError.
  void commit();
  size_t bytes_written() const { return written_; }
  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void fail(int err);
  void discard() noexcept;
  std::string path_;
  std::string temp_;
  int fd_ = -1;
  size_t written_ = 0;
};

// One call: the whole content at once.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Creates `dir` and its parents if missing; throws ExportError naming it.
void ensure_directory(const std::string& dir);

// Throws ExportError ("cannot write into DIR: Read-only file system") unless a
// file can be created in the existing folder `dir` (tried with a temporary,
// removed at once: permission bits alone do not tell root or a read-only
// mount). For checks before long work (a model load, a whole run).
void check_writable_folder(const std::string& dir);

}  // namespace intershape::core::formats
