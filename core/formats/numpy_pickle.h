#pragma once
// Array-like values of unpickled scientific-Python files, without Python:
// numpy.ndarray (numpy.core.multiarray._reconstruct + BUILD state; C or
// Fortran order, either byte order; f2/f4/f8, i1..i8, u1..u8 (widened to the
// next signed type; u8 must fit int64), b1), chumpy Ch (its `x`), chumpy
// Select (`a.r.ravel()[idxs].reshape(preferred_shape)`), scipy
// csc_matrix (to dense float64). No LibTorch.

#include <stdexcept>
#include <string>

#include "core/formats/array.h"
#include "core/formats/pickle.h"

namespace intershape::core::formats {

// An array value that is malformed or inconsistent; what() is "SOURCE: 'WHAT': problem".
class ArrayError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// C-ordered, native-endian copy of `value`. Throws ArrayError "SOURCE: 'WHAT':
// problem" when the value is not such an array or is inconsistent (data size,
// index ranges, dtype).
Array array_from_pickle(const pickle::Value* value, const std::string& source,
                        const std::string& what);

}  // namespace intershape::core::formats
