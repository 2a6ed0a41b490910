// Acceptance with the real network (synthetic rule weights, the test MANO
// files): a 60-frame generated video exported in every format; files parsed
// back agree with the in-memory results. About 20-40 s on 2 CPU cores.
#include <doctest/doctest.h>

#include "core/hand_estimator.h"
#include "tests/export/acceptance.h"

TEST_CASE("60-frame video, every format, parsed back (synthetic network)") {
  intershape::core::ModelConfig config;
  config.synthetic = true;
  config.mano_dir = std::string(INTERSHAPE_TEST_DATA) + "/mano";
  config.device = "cpu";
  config.threads = 2;
  auto estimator = intershape::core::create_estimator(config);
  REQUIRE(estimator);
  intershape::test::TempDir dir("acceptance_net");
  intershape::test::check_every_format(*estimator, dir.path());
}
