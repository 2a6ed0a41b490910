#include "app/model_options.h"

namespace intershape::app {

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

void add_model_options(CLI::App& cmd, core::net::NetworkConfig& config,
                       const std::string& help_suffix) {
  const std::string& s = help_suffix;
  cmd.add_option("--checkpoint", config.checkpoint, "Model checkpoint (snapshot_99.pth.tar)" + s);
  cmd.add_option("--mano", config.mano_dir, "Folder with MANO_RIGHT.pkl and MANO_LEFT.pkl" + s);
  add_device_option(cmd, config.device, s);
  cmd.add_option("--precision", config.precision, "fp32 | fp16 (CUDA only)" + s)
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "fp16"}));
  cmd.add_option("--threads", config.threads, "CPU threads (0 = all cores)" + s)
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd.add_flag(
      "--synthetic", config.synthetic,
      "Deterministic rule weights instead of a checkpoint (tests, benchmarks); needs --mano" + s);
}

}  // namespace intershape::app
