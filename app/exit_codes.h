#pragma once
// The process exit status, decided once, in main(): commands return kOk or
// kFailure for a run that went to its end, and throw for everything else.
//
//   0  everything was processed
//   1  a failure: some input could not be processed, a file could not be written
//   2  a usage error: bad options or a bad combination of them
//   3  the model or the source could not be opened (missing/corrupt checkpoint
//      or MANO files, no such camera, a video that cannot be read)

#include <stdexcept>

namespace intershape::app {

enum ExitCode : int { kOk = 0, kFailure = 1, kUsage = 2, kModelOrSource = 3 };

// Bad options, or a bad combination of them (exit 2). what() is the message
// without a prefix; main() prints "intershape COMMAND: " before it.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace intershape::app
