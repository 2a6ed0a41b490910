// intershape: live two-hand reconstruction (GUI, the default) and its headless
// commands (mano, infer, bench, eval). The GUI and every command run on the one
// engine of core/pipeline.h. The exit status is decided here, once
// (app/exit_codes.h).

#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "app/allocator.h"
#include "app/commands.h"
#include "app/exit_codes.h"
#include "core/net/network_config.h"
#if !INTERSHAPE_ENGINE_ONLY
#include "core/sources.h"
#endif

namespace {

// "intershape infer: " for a subcommand's error, "intershape: " for the GUI's.
std::string prefix(const CLI::App& app) {
  const auto subs = app.get_subcommands();
  return subs.empty() ? "intershape: " : "intershape " + subs.front()->get_name() + ": ";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace intershape;
  // Process-wide allocator policy for the network's per-frame tensors (app/allocator.h).
  app::configure_allocator();
  CLI::App app{"Intershape Live: 3D pose and shape of two interacting hands, from a camera or video"};
  // The GUI is the default; the engine-only build has none, so it needs a command.
  app.require_subcommand(INTERSHAPE_ENGINE_ONLY ? 1 : 0, 1);
  int exit_code = app::kOk;
  try {
#if INTERSHAPE_WITH_TORCH
    app::add_mano_command(app, exit_code);
    app::add_bench_command(app, exit_code);
#endif
#if INTERSHAPE_WITH_TORCH && !INTERSHAPE_ENGINE_ONLY
    app::add_eval_command(app, exit_code);
    app::add_train_command(app, exit_code);
#endif
#if !INTERSHAPE_ENGINE_ONLY
    app::add_infer_command(app, exit_code);
    app::add_gui_options(app, exit_code);
#endif
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? app::kOk : app::kUsage;
  } catch (const app::UsageError& e) {
    std::fprintf(stderr, "%s%s\n", prefix(app).c_str(), e.what());
    return app::kUsage;
  } catch (const core::net::ModelError& e) {
    std::fprintf(stderr, "%scannot load the model: %s\n", prefix(app).c_str(), e.what());
    return app::kModelOrSource;
#if !INTERSHAPE_ENGINE_ONLY
  } catch (const core::SourceError& e) {
    std::fprintf(stderr, "%s%s\n", prefix(app).c_str(), e.what());
    return app::kModelOrSource;
#endif
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s%s\n", prefix(app).c_str(), e.what());
    return app::kFailure;
  }
  return exit_code;
}
