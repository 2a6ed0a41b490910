// Something that is not a regular file where a model file should be (a folder,
// a FIFO, a device): every reader says so and names it. Before, a folder named
// MANO_RIGHT.pkl made the reader allocate its ext4 "size" (2^63 - 1) and fail
// with a bare std::bad_alloc.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/formats/checkpoint.h"
#include "core/formats/file_io.h"
#include "mano/mano_model.h"
#include "core/formats/pickle.h"
#include "tests/test_util.h"

using namespace intershape::core::formats;
using namespace intershape::mano;
namespace fs = std::filesystem;
using intershape::test::TempDir;

namespace {

template <typename Error, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "read_file_bytes: a regular file whole; a folder, a FIFO, a device or a missing path named") {
  TempDir dir("file_io");
  const fs::path root = dir.path();
  const std::string file = (root / "a.bin").string();
  {
    std::ofstream out(file, std::ios::binary);
    out << std::string("ab\0c", 4);
  }
  CHECK(read_file_bytes(file) == std::vector<uint8_t>{'a', 'b', 0, 'c'});
  CHECK(read_file_text(file) == std::string("ab\0c", 4));
  CHECK(contains(error_of<FileError>([&] { read_file_bytes(file, 3); }),
                 file + ": is 4 bytes, more than the 3"));

  const std::string folder = (root / "MANO_RIGHT.pkl").string();
  fs::create_directories(folder);
  CHECK(error_of<FileError>([&] { read_file_bytes(folder); }) ==
        folder + ": is a folder, not a file");
  CHECK(error_of<FileError>([&] { check_regular_file(folder); }) ==
        folder + ": is a folder, not a file");

  const std::string fifo = (root / "fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(error_of<FileError>([&] { read_file_text(fifo); }) ==
        fifo + ": is not a regular file");  // does not block
  CHECK(error_of<FileError>([&] { read_file_text("/dev/zero"); }) ==
        "/dev/zero: is not a regular file");

  const std::string missing = (root / "missing").string();
  CHECK(contains(error_of<FileError>([&] { read_file_text(missing); }),
                 missing + ": cannot open file (No such file"));
  CHECK(contains(error_of<FileError>([&] { check_regular_file(missing); }),
                 missing + ": cannot open file"));
}

TEST_CASE("a MANO folder whose pkl is a folder, and a checkpoint that is a folder: named errors") {
  TempDir dir("file_io");
  const fs::path root = dir.path();
  fs::create_directories(root / "MANO_RIGHT.pkl");
  const std::string right = (root / "MANO_RIGHT.pkl").string();
  CHECK(error_of<ManoError>([&] { load_mano_dir(root.string()); }) ==
        right + ": is a folder, not a file");
  CHECK(error_of<pickle::PickleError>([&] { pickle::read_file_bytes(right); }) ==
        right + ": is a folder, not a file");
  CHECK(error_of<CheckpointError>([&] { Checkpoint::open(right); }) ==
        right + ": is a folder, not a file");
  const std::string fifo = (root / "ck.pth").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(error_of<CheckpointError>([&] { Checkpoint::open(fifo); }) ==
        fifo + ": is not a regular file");
}
