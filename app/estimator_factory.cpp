// The product's estimator: the LibTorch network when this build has one.

#include "app/allocator.h"
#include "app/gui.h"

namespace intershape::app {

core::EstimatorFactory product_estimator_factory() {
  return [](const core::ModelConfig& config) -> std::unique_ptr<core::HandEstimator> {
#if INTERSHAPE_HAVE_NET
    std::unique_ptr<core::HandEstimator> estimator = core::create_estimator(config);
    release_free_memory();  // the load's transient buffers (heap trimming is off)
    return estimator;
#else
    (void)config;
    throw core::ModelError(
        "No model backend in this build (built without LibTorch). The video still plays; "
        "rebuild with -DINTERSHAPE_WITH_TORCH=ON to see hands.");
#endif
  };
}

}  // namespace intershape::app
