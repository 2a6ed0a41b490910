#pragma once
// The model options every entry point takes (the GUI, `infer`, `bench`),
// registered in one place so their names, checks and help agree.

#include <string>

#include <CLI/CLI.hpp>

#include "core/net/network_config.h"

namespace intershape::app {

// The largest --threads accepted: 4 x the cores std::thread reports (4 when
// it reports none). More threads than that only add contention.
int max_cpu_threads();

// Binds --checkpoint, --mano, --device, --precision, --threads and --synthetic
// on `cmd` to `config` (which must outlive parsing). `help_suffix` is appended
// to each help text (" (GUI)" where the options sit beside subcommands).
// `train_bf16`: --precision also takes bf16 (`bench --train` only; the
// caller refuses it elsewhere).
void add_model_options(CLI::App& cmd, core::net::NetworkConfig& config,
                       const std::string& help_suffix = "", bool train_bf16 = false);

// --threads, 0 (all cores) to max_cpu_threads(), with one short message for
// anything else; add_model_options uses it, and so does `intershape train`.
CLI::Option* add_threads_option(CLI::App& cmd, int& threads, const std::string& help_suffix = "");

// --device (auto | cpu | cuda | cuda:N), checked as core/net/device.h parses it;
// add_model_options uses it, and so does `intershape mano`.
CLI::Option* add_device_option(CLI::App& cmd, std::string& device,
                               const std::string& help_suffix = "");

}  // namespace intershape::app
