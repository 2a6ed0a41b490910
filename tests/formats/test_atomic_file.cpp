// Safe file writing: complete files or none, clear errors naming the file.
//
// Full disk: as root (CI and this machine), a child process unshares its mount
// namespace and mounts a 64 KiB tmpfs, so the real ENOSPC path runs. Where that
// is not allowed, the child instead lowers RLIMIT_FSIZE with SIGXFSZ ignored,
// which makes write() fail with EFBIG through the same error path; the test
// says which one ran.

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/formats/atomic_file.h"
#include "tests/test_util.h"

using namespace intershape::core::formats;
using intershape::test::mount_private_tmpfs;
using intershape::test::read_file;
using intershape::test::run_in_child;
using intershape::test::split;
using intershape::test::TempDir;

namespace {

size_t count_entries(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a written file has exactly the content and no temporary remains") {
  TempDir dir;
  const std::string path = dir / "a.json";
  write_file_atomic(path, "{\"x\": 1}\n");
  CHECK(read_file(path) == "{\"x\": 1}\n");
  write_file_atomic(path, "second");
  CHECK(read_file(path) == "second");
  CHECK(count_entries(dir.path()) == 1);
}

TEST_CASE("an uncommitted file never appears under its name") {
  TempDir dir;
  const std::string path = dir / "b.bin";
  write_file_atomic(path, "old");
  {
    AtomicFile f(path);
    f.write("new content that is never committed");
    CHECK(read_file(path) == "old");  // while writing, the old file is intact
    CHECK(count_entries(dir.path()) == 2);
  }  // destroyed without commit, e.g. an exception on the way
  CHECK(read_file(path) == "old");
  CHECK(count_entries(dir.path()) == 1);
}

TEST_CASE("a killed writer leaves the complete previous file or none") {
  TempDir dir;
  const std::string path = dir / "c.bin";
  write_file_atomic(path, "complete");
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    AtomicFile f(path);
    f.write(std::string(1 << 20, 'x'));
    ::kill(::getpid(), SIGKILL);  // dies mid-file, before commit
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  CHECK(read_file(path) == "complete");
}

TEST_CASE("an unwritable folder gives an error naming the file") {
  // A folder path that is really a regular file: fails for root too (ENOTDIR),
  // unlike chmod.
  TempDir dir;
  write_file_atomic(dir / "not_a_folder", "x");
  const std::string path = dir / "not_a_folder/frame_000012.json";
  try {
    write_file_atomic(path, "{}");
    FAIL("expected ExportError");
  } catch (const ExportError& e) {
    CHECK(std::string(e.what()) == "cannot write " + path + ": Not a directory");
  }
  CHECK_THROWS_WITH_AS(write_file_atomic("/proc/intershape_test.json", "{}"),
                       doctest::Contains("cannot write /proc/intershape_test.json: "), ExportError);
  CHECK_THROWS_WITH_AS(ensure_directory(dir / "not_a_folder/sub"),
                       doctest::Contains("not_a_folder/sub"), ExportError);
}

namespace {

void check_full_disk(bool force_rlimit) {
  TempDir dir;
  const std::string mount_point = dir / "small";
  std::filesystem::create_directories(mount_point);
  // Child: everything is reported as "method|message|ok".
  bool exited = false;
  const std::string report = run_in_child(
      [&] {
        std::string method = "tmpfs";
        if (force_rlimit || !mount_private_tmpfs(mount_point, "64k")) {
          method = "rlimit";
          ::signal(SIGXFSZ, SIG_IGN);
          struct rlimit lim {
            64 * 1024, RLIM_INFINITY
          };
          ::getrlimit(RLIMIT_FSIZE, &lim);
          lim.rlim_cur = 64 * 1024;
          ::setrlimit(RLIMIT_FSIZE, &lim);
        }
        std::string message, ok = "1";
        const std::string earlier = mount_point + "/frame_000011.json";
        const std::string failing = mount_point + "/frame_000012.json";
        try {
          write_file_atomic(earlier, std::string(8 * 1024, 'a'));
          write_file_atomic(failing, std::string(256 * 1024, 'b'));
          message = "no error";
        } catch (const ExportError& e) {
          message = e.what();
        }
        try {
          if (read_file(earlier) != std::string(8 * 1024, 'a')) ok = "0";
        } catch (...) {
          ok = "0";
        }
        if (std::filesystem::exists(failing)) ok = "0";
        for (const auto& e : std::filesystem::directory_iterator(mount_point))
          if (e.path().filename().string().find(".tmp.") != std::string::npos)
            ok = "0";  // temporary cleaned up
        return method + "|" + message + "|" + ok;
      },
      &exited);
  REQUIRE(exited);
  const std::vector<std::string> parts = split(report, '|');
  REQUIRE(parts.size() == 3);
  const std::string& method = parts[0];
  const std::string& message = parts[1];
  MESSAGE("full-disk path exercised with: " << method);
  const std::string failing = mount_point + "/frame_000012.json";
  if (method == "tmpfs")
    CHECK(message == "cannot write " + failing + ": No space left on device");
  else
    CHECK(message == "cannot write " + failing + ": File too large");
  CHECK(parts[2] == "1");
}

}  // namespace

TEST_CASE("a full disk gives a clear error and earlier files stay valid") {
  check_full_disk(false);
}

TEST_CASE("a file size limit (EFBIG) takes the same error path") { check_full_disk(true); }

TEST_CASE("ensure_directory creates nested folders") {
  TempDir dir;
  ensure_directory(dir / "a/b/c");
  CHECK(std::filesystem::is_directory(dir / "a/b/c"));
  ensure_directory(dir / "a/b/c");  // existing: fine
}

TEST_CASE("check_writable_folder: a read-only folder is found before any work, with the reason") {
  // Issue 14, item 12: infer found an existing read-only output folder only
  // after the model load. Permission bits do not stop root: a read-only mount does.
  intershape::test::TempDir dir("writable");
  CHECK_NOTHROW(check_writable_folder(dir.path()));
  CHECK_THROWS_WITH_AS(check_writable_folder(dir / "missing"),
                       doctest::Contains("missing: No such file or directory"), ExportError);
  const std::string mnt = dir / "ro";
  std::filesystem::create_directories(mnt);
  const std::string report = intershape::test::run_in_child([&]() -> std::string {
    if (::unshare(CLONE_NEWNS) != 0 || ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", mnt.c_str(), "tmpfs", MS_RDONLY, "size=64k") != 0)
      return "skip";
    try {
      check_writable_folder(mnt);
    } catch (const ExportError& e) {
      return e.what();
    }
    return "no error";
  });
  if (report == "skip") {
    MESSAGE("skipped: cannot mount here (needs root)");
    return;
  }
  CHECK(report == "cannot write into " + mnt + ": Read-only file system");
}
