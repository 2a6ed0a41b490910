#include "app/model_options.h"

#include <cerrno>
#include <cstdlib>
#include <thread>

namespace intershape::app {

int max_cpu_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return 4 * static_cast<int>(cores == 0 ? 1 : cores);
}

CLI::Option* add_device_option(CLI::App& cmd, std::string& device, const std::string& help_suffix) {
  return cmd.add_option("--device", device, "auto | cpu | cuda | cuda:N" + help_suffix)
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}) |
              CLI::Validator(
                  [](std::string& v) {
                    return v.rfind("cuda:", 0) == 0 && v.size() > 5 ? std::string()
                                                                    : std::string("not cuda:N");
                  },
                  "cuda:N"));
}

CLI::Option* add_threads_option(CLI::App& cmd, int& threads, const std::string& help_suffix) {
  // Bounded: each thread is a real OS thread in LibTorch's pool; 10000 of
  // them took minutes to start and never ran a frame (issue 14, item 6).
  const int max_threads = max_cpu_threads();
  return cmd
      .add_option("--threads", threads,
                  "CPU threads, 0..4 x cores = " + std::to_string(max_threads) +
                      " (0 = all cores)" + help_suffix)
      ->capture_default_str()
      ->check(CLI::Validator(
          [max_threads](std::string& v) {
            // CLI11 has converted nothing yet: parse here so -1 and 1e9 get the
            // same short message instead of a range of 300 digits.
            char* end = nullptr;
            errno = 0;
            const long long n = std::strtoll(v.c_str(), &end, 10);
            if (v.empty() || *end != '\0' || errno != 0 || n < 0 || n > max_threads)
              return "must be a whole number from 0 (all cores) to " + std::to_string(max_threads) +
                     " (4 x " + std::to_string(max_threads / 4) + " cores), not " + v;
            return std::string();
          },
          "0.." + std::to_string(max_threads)));
}

void add_model_options(CLI::App& cmd, core::net::NetworkConfig& config,
                       const std::string& help_suffix, bool train_bf16) {
  const std::string& s = help_suffix;
  cmd.add_option("--checkpoint", config.checkpoint, "Model checkpoint (snapshot_99.pth.tar)" + s);
  cmd.add_option("--mano", config.mano_dir, "Folder with MANO_RIGHT.pkl and MANO_LEFT.pkl" + s);
  add_device_option(cmd, config.device, s);
  if (train_bf16)
    cmd.add_option("--precision", config.precision,
                   "fp32 | fp16 (CUDA only) | bf16 (with --train: autocast, CPU or CUDA)" + s)
        ->capture_default_str()
        ->check(CLI::IsMember({"fp32", "fp16", "bf16"}));
  else
    cmd.add_option("--precision", config.precision, "fp32 | fp16 (CUDA only)" + s)
        ->capture_default_str()
        ->check(CLI::IsMember({"fp32", "fp16"}));
  add_threads_option(cmd, config.threads, s);
  cmd.add_flag(
      "--synthetic", config.synthetic,
      "Deterministic rule weights instead of a checkpoint (tests, benchmarks); needs --mano" + s);
}

}  // namespace intershape::app
