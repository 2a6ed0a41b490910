#include <doctest/doctest.h>

#include <cmath>

#include "core/overlay_fit.h"

using namespace intershape::core;

namespace {
std::vector<float> some_joints() {
  std::vector<float> j(kJointsPerHand * 3);
  for (int i = 0; i < kJointsPerHand; ++i) {
    j[i * 3 + 0] = 30.f * std::sin(0.7f * i) + 2.f * i;
    j[i * 3 + 1] = 25.f * std::cos(1.3f * i) - 3.f * i;
    j[i * 3 + 2] = 10.f * i;
  }
  return j;
}
}  // namespace

TEST_CASE("recovers a known scale and offset") {
  const auto joints = some_joints();
  std::array<std::array<float, 3>, kJointsPerHand> kp{};
  for (int i = 0; i < kJointsPerHand; ++i)
    kp[i] = {1.7f * joints[i * 3] + 320.f, 1.7f * joints[i * 3 + 1] + 140.f, 0.8f};
  const OverlayFit fit = fit_overlay(joints, kp.data());
  REQUIRE(fit.ok);
  CHECK(fit.scale == doctest::Approx(1.7f).epsilon(1e-4));
  CHECK(fit.tx == doctest::Approx(320.f).epsilon(1e-4));
  CHECK(fit.ty == doctest::Approx(140.f).epsilon(1e-4));
  const auto placed = apply_overlay(joints, fit);
  CHECK(placed[5 * 3 + 0] == doctest::Approx(kp[5][0]).epsilon(1e-4));
  CHECK(placed[5 * 3 + 2] == doctest::Approx(1.7f * joints[5 * 3 + 2]).epsilon(1e-4));
}

TEST_CASE("confidence weights: an outlier with low confidence barely moves the fit") {
  const auto joints = some_joints();
  std::array<std::array<float, 3>, kJointsPerHand> kp{};
  for (int i = 0; i < kJointsPerHand; ++i)
    kp[i] = {2.f * joints[i * 3] + 10.f, 2.f * joints[i * 3 + 1] - 5.f, 1.f};
  kp[3] = {900.f, -900.f, 0.01f};  // wild and unsure
  OverlayFit fit = fit_overlay(joints, kp.data());
  REQUIRE(fit.ok);
  CHECK(fit.scale == doctest::Approx(2.f).epsilon(0.01));
  CHECK(fit.tx == doctest::Approx(10.f).epsilon(0.05));
  // The same outlier at full confidence does move it (the weights matter).
  kp[3][2] = 1.f;
  fit = fit_overlay(joints, kp.data());
  CHECK(std::fabs(fit.tx - 10.f) > 1.f);
  // Below min_confidence a joint is ignored altogether.
  kp[3][2] = 0.2f;
  fit = fit_overlay(joints, kp.data(), 0.5f);
  CHECK(fit.tx == doctest::Approx(10.f).epsilon(1e-3));
}

TEST_CASE("a negative scale turns the hand by half a turn: depth keeps its sign") {
  const auto joints = some_joints();
  std::array<std::array<float, 3>, kJointsPerHand> kp{};
  for (int i = 0; i < kJointsPerHand; ++i)
    kp[i] = {-0.5f * joints[i * 3] + 100.f, -0.5f * joints[i * 3 + 1] + 50.f, 1.f};
  const OverlayFit fit = fit_overlay(joints, kp.data());
  REQUIRE(fit.ok);
  CHECK(fit.scale == doctest::Approx(-0.5f).epsilon(1e-4));
  const auto placed = apply_overlay(joints, fit);
  CHECK(placed[7 * 3 + 0] == doctest::Approx(kp[7][0]).epsilon(1e-4));
  CHECK(placed[7 * 3 + 2] == doctest::Approx(0.5f * joints[7 * 3 + 2]).epsilon(1e-4));
}

TEST_CASE("too few confident joints or degenerate joints give no fit") {
  const auto joints = some_joints();
  std::array<std::array<float, 3>, kJointsPerHand> kp{};
  kp[0] = {1, 2, 0.9f};
  CHECK_FALSE(fit_overlay(joints, kp.data()).ok);
  std::vector<float> same(kJointsPerHand * 3, 1.f);
  for (auto& k : kp) k = {5.f, 5.f, 1.f};
  CHECK_FALSE(fit_overlay(same, kp.data()).ok);
  CHECK_FALSE(fit_overlay(std::vector<float>(6), kp.data()).ok);
}
