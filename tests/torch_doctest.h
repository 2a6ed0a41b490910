#pragma once
// doctest for test files that use LibTorch: LibTorch
// (c10/util/logging_is_not_google_glog.h) defines glog-style CHECK macros that
// would silently replace doctest's, so LibTorch comes first, its macros are
// dropped, then doctest. Include this instead of both.
#include <torch/torch.h>
#undef CHECK
#undef CHECK_EQ
#undef CHECK_NE
#undef CHECK_LT
#undef CHECK_LE
#undef CHECK_GT
#undef CHECK_GE
#include <doctest/doctest.h>
