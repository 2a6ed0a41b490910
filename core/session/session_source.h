#pragma once
// Replay of a recorded session as a source: its video, frame by frame, paired
// with the results stored for those frames (core/sources.h StoredResults).
// The engine publishes the stored results instead of running the network,
// unless rerun is on.

#include <string>

#include "core/sources.h"

namespace intershape::core::session {

// The source for a session folder (kind kSession): `make` opens its video on
// the capture thread, `stored` returns its stored results. Throws SourceError
// when `dir` holds no manifest.json.
SourceSpec session_spec(const std::string& dir);

// What the user typed, with recorded sessions opened here (classify_source
// leaves them unopened, since core cannot read them).
SourceSpec resolve_source(const std::string& text);

}  // namespace intershape::core::session
