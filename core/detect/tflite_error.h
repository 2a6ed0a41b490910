#pragma once
#include <stdexcept>

namespace intershape::core::detect {

// Every problem with a TFLite model file: unreadable, malformed, unsupported.
// The message names the file and the problem (and the op, when one is at fault).
class TfliteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace intershape::core::detect
