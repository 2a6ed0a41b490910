// intershape: live two-hand reconstruction (GUI, the default) and its headless
// commands (mano, infer, bench). One engine behind all of them.

#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "app/allocator.h"
#include "app/commands.h"

int main(int argc, char** argv) {
  // Process-wide allocator policy for the network's per-frame tensors (app/allocator.h).
  intershape::app::configure_allocator();
  CLI::App app{"Intershape Live: 3D pose and shape of two interacting hands, from a camera or video"};
  app.require_subcommand(0, 1);
  int exit_code = 0;
  try {
    // Subcommands are registered here as they are implemented.
#if INTERSHAPE_WITH_TORCH
    intershape::app::add_mano_command(app, exit_code);
    intershape::app::add_bench_command(app, exit_code);
#endif
#if !INTERSHAPE_ENGINE_ONLY
    intershape::app::add_infer_command(app, exit_code);
    intershape::app::add_gui_options(app, exit_code);
#endif
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // usage errors: 2
  } catch (const std::exception& e) {
    std::fprintf(stderr, "intershape: %s\n", e.what());
    return 1;
  }
  return exit_code;
}
