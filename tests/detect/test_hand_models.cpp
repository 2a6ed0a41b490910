// The hand models' lookup and check (LibTorch-free): found from the build
// folder with no option, and a missing, truncated or altered file is an error
// naming the file and the command that fetches the models.
#include <doctest/doctest.h>

#include <unistd.h>
#include <filesystem>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/detect/hand_models.h"

using namespace intershape::core::detect;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::string& dir) {
  try {
    find_hand_models(dir);
  } catch (const HandModelError& e) {
    return e.what();
  }
  return {};
}

struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("intershape_hand_models_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

void copy_bytes(const std::vector<char>& bytes, const fs::path& to) {
  std::ofstream out(to, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("sha256 of a known file") {
  TempDir tmp;
  copy_bytes({'a', 'b', 'c'}, tmp.path / "abc");
  CHECK(sha256_file((tmp.path / "abc").string()) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_THROWS_AS(sha256_file((tmp.path / "none").string()), HandModelError);
}

TEST_CASE("the models are found with no option (fetched by scripts/fetch_hand_models.sh)") {
  std::string dir;
  REQUIRE_NOTHROW(dir = find_hand_models(""));
  CHECK(fs::equivalent(dir, fs::path(INTERSHAPE_SOURCE_DIR) / "assets/models"));
  CHECK(fs::equivalent(find_hand_models(INTERSHAPE_SOURCE_DIR "/assets/models"),
                       fs::path(INTERSHAPE_SOURCE_DIR) / "assets/models"));
}

TEST_CASE("a missing folder or file names the file and the fetch command") {
  TempDir tmp;
  const std::string msg = error_of((tmp.path / "nowhere").string());
  CHECK(msg.find("palm_detection_full.tflite") != std::string::npos);
  CHECK(msg.find("scripts/fetch_hand_models.sh") != std::string::npos);
  CHECK(msg.find("missing") != std::string::npos);
}

TEST_CASE("a truncated or altered model is refused, naming the file") {
  const fs::path src = fs::path(find_hand_models("")) / kPalmDetectionFull.name;
  std::ifstream in(src, std::ios::binary);
  std::vector<char> bytes(std::istreambuf_iterator<char>(in), {});
  REQUIRE(bytes.size() == kPalmDetectionFull.size);
  TempDir tmp;
  fs::copy_file(fs::path(find_hand_models("")) / kHandLandmarkFull.name,
                tmp.path / kHandLandmarkFull.name);

  std::vector<char> cut(bytes.begin(), bytes.begin() + bytes.size() / 2);
  copy_bytes(cut, tmp.path / kPalmDetectionFull.name);
  std::string msg = error_of(tmp.path.string());
  CHECK(msg.find((tmp.path / kPalmDetectionFull.name).string()) != std::string::npos);
  CHECK(msg.find("altered") != std::string::npos);
  CHECK(msg.find("scripts/fetch_hand_models.sh") != std::string::npos);

  bytes[bytes.size() / 3] ^= 0x10;  // one bit in the weights: same size, other sha256
  copy_bytes(bytes, tmp.path / kPalmDetectionFull.name);
  msg = error_of(tmp.path.string());
  CHECK(msg.find((tmp.path / kPalmDetectionFull.name).string()) != std::string::npos);
  CHECK(msg.find("sha256") != std::string::npos);

  bytes[bytes.size() / 3] ^= 0x10;
  copy_bytes(bytes, tmp.path / kPalmDetectionFull.name);
  CHECK(error_of(tmp.path.string()).empty());
}
