#pragma once
// Each subcommand registers itself on the CLI11 app; its callback sets the
// exit code of a run that went to its end (kOk or kFailure, app/exit_codes.h).
// Everything else is thrown and mapped to an exit code once, by main().

#include <CLI/CLI.hpp>

namespace intershape::app {

void add_mano_command(CLI::App& app, int& exit_code);
void add_infer_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_eval_command(CLI::App& app, int& exit_code);
// The GUI is the default when no subcommand is given.
void add_gui_options(CLI::App& app, int& exit_code);

}  // namespace intershape::app
