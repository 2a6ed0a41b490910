#include "core/detect/hand_models.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>
#include <vector>

namespace intershape::core::detect {

namespace fs = std::filesystem;

namespace {

std::string fetch_hint() {
  return std::string("; run ") + kFetchHandModelsCommand +
         " from the repository root to fetch it, or pass --hand-models DIR";
}

// The folder of the running executable, or empty when unknown.
fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path();
}

bool has_both(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / kPalmDetectionFull.name, ec) &&
         fs::is_regular_file(dir / kHandLandmarkFull.name, ec);
}

}  // namespace

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw HandModelError(path + ": cannot open the hand model" + fetch_hint());
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw HandModelError(path + ": sha256 unavailable (OpenSSL)");
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const std::streamsize n = in.gcount();
    if (n > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
  }
  if (in.bad()) throw HandModelError(path + ": cannot read the hand model" + fetch_hint());
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md.data(), &len);
  std::string hex;
  char two[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(two, sizeof two, "%02x", md[i]);
    hex += two;
  }
  return hex;
}

std::string verified_hand_model_path(const std::string& dir, const HandModelFile& file) {
  const std::string path = (fs::path(dir) / file.name).string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw HandModelError(path + ": hand model missing" + fetch_hint());
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) throw HandModelError(path + ": cannot read the hand model" + fetch_hint());
  if (size != file.size)
    throw HandModelError(path + ": hand model altered (" + std::to_string(size) +
                         " bytes, expected " + std::to_string(file.size) + ")" + fetch_hint());
  const std::string sha = sha256_file(path);
  if (sha != file.sha256)
    throw HandModelError(path + ": hand model altered (sha256 " + sha + ", expected " +
                         file.sha256 + ")" + fetch_hint());
  return path;
}

std::string find_hand_models(const std::string& option_dir) {
  fs::path dir;
  if (!option_dir.empty()) {
    dir = option_dir;
  } else {
    std::vector<fs::path> candidates{fs::path("assets/models")};
    // From the executable's folder upwards: build/release/app/intershape,
    // build/release/tests/detect/test_x, an installed bin/ next to assets/.
    fs::path up = executable_dir();
    for (int i = 0; i < 5 && !up.empty(); ++i) {
      candidates.push_back(up / "assets/models");
      if (up == up.parent_path()) break;
      up = up.parent_path();
    }
    for (const fs::path& c : candidates) {
      if (has_both(c)) {
        dir = c;
        break;
      }
    }
    if (dir.empty()) {
      std::string where;
      for (const fs::path& c : candidates) where += (where.empty() ? "" : ", ") + c.string();
      throw HandModelError(std::string("hand models ") + kPalmDetectionFull.name + " and " +
                           kHandLandmarkFull.name + " not found (looked in " + where + ")" +
                           fetch_hint());
    }
  }
  verified_hand_model_path(dir.string(), kPalmDetectionFull);
  verified_hand_model_path(dir.string(), kHandLandmarkFull);
  return dir.string();
}

}  // namespace intershape::core::detect
