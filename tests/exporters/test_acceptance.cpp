// Acceptance: a 60-frame generated video exported in every format with the
// fake estimator; files parsed back agree with the in-memory results.
#include <doctest/doctest.h>

#include "tests/exporters/acceptance.h"
#include "tests/exporters/fake_estimator.h"

TEST_CASE("60-frame video, every format, parsed back (fake estimator)") {
  intershape::test::FakeEstimator est;
  intershape::test::TempDir dir("acceptance");
  intershape::test::check_every_format(est, dir.path());
  CHECK(est.calls == 60);
}
