#pragma once
// Each subcommand registers itself on the CLI11 app; its callback sets the
// process exit code. Setup failures are thrown and reported once by main().

#include <CLI/CLI.hpp>

namespace intershape::app {

void add_mano_command(CLI::App& app, int& exit_code);
void add_infer_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_eval_command(CLI::App& app, int& exit_code);
void add_train_command(CLI::App& app, int& exit_code);
// The GUI is the default when no subcommand is given.
void add_gui_options(CLI::App& app, int& exit_code);

}  // namespace intershape::app
