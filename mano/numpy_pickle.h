#pragma once
// Array-like values of unpickled scientific-Python files, without Python:
// numpy.ndarray (numpy.core.multiarray._reconstruct + BUILD state; C or
// Fortran order, either byte order; f2/f4/f8, i1..i8, u1..u8 (widened to the
// next signed type; u8 must fit int64), b1), chumpy Ch (its `x`), chumpy
// Select (`a.r.ravel()[idxs].reshape(preferred_shape)`), scipy
// csc_matrix (to dense float64). No LibTorch.

#include <string>

#include "mano/array.h"
#include "mano/pickle.h"

namespace intershape::mano {

// C-ordered, native-endian copy of `value`. Throws ManoError "SOURCE: 'WHAT':
// problem" when the value is not such an array or is inconsistent (data size,
// index ranges, dtype).
Array array_from_pickle(const pickle::Value* value, const std::string& source, const std::string& what);

}  // namespace intershape::mano
