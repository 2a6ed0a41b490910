#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "core/one_euro.h"

using namespace intershape::core;

TEST_CASE("first sample passes through; a constant stays constant") {
  OneEuroFilter f({1.0f, 0.0f, 1.0f});
  CHECK(f.filter(5.f, 0.0) == 5.f);
  for (int i = 1; i < 50; ++i) CHECK(f.filter(5.f, i / 30.0) == doctest::Approx(5.f));
}

TEST_CASE("jitter is reduced when the signal is still") {
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.f, 1.f);
  OneEuroFilter f(one_euro_from_strength(0.8f));
  double in_var = 0, out_var = 0;
  for (int i = 0; i < 300; ++i) {
    const float x = 10.f + noise(rng);
    const float y = f.filter(x, i / 30.0);
    if (i > 30) {
      in_var += (x - 10.f) * (x - 10.f);
      out_var += (y - 10.f) * (y - 10.f);
    }
  }
  CHECK(out_var < 0.2 * in_var);
}

TEST_CASE("strength 0 follows the input almost exactly") {
  OneEuroFilter f(one_euro_from_strength(0.f));
  f.filter(0.f, 0.0);
  CHECK(f.filter(100.f, 1 / 30.0) == doctest::Approx(100.f).epsilon(0.01));
}

TEST_CASE("a step is followed: the output converges to the new value") {
  OneEuroFilter f(one_euro_from_strength(0.5f));
  for (int i = 0; i < 10; ++i) f.filter(0.f, i / 30.0);
  float y = 0;
  for (int i = 10; i < 100; ++i) y = f.filter(50.f, i / 30.0);
  CHECK(y == doctest::Approx(50.f).epsilon(0.01));
  // ...but not instantly.
  OneEuroFilter g(one_euro_from_strength(0.9f));
  g.filter(0.f, 0.0);
  CHECK(g.filter(50.f, 1 / 30.0) < 40.f);
}

TEST_CASE("time that does not advance returns the last output") {
  OneEuroFilter f(one_euro_from_strength(0.5f));
  f.filter(1.f, 1.0);
  const float y = f.filter(9.f, 2.0);
  CHECK(f.filter(100.f, 2.0) == y);
}

TEST_CASE("vector filter handles each element and restarts on a size change") {
  OneEuroVector v(one_euro_from_strength(0.9f));
  std::vector<float> a = {0.f, 10.f};
  v.filter(a, 0.0);
  std::vector<float> b = {5.f, 5.f};
  v.filter(b, 1 / 30.0);
  CHECK(b[0] > 0.f);
  CHECK(b[0] < 5.f);
  CHECK(b[1] < 10.f);
  CHECK(b[1] > 5.f);
  std::vector<float> c = {1.f, 2.f, 3.f};
  v.filter(c, 2 / 30.0);
  CHECK(c[2] == 3.f);  // new length: first sample passes through
}
