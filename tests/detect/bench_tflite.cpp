// Times a TFLite model in our runtime: bench_tflite MODEL [device] [iterations].
// Not a test: run by hand (see README "Hand models") with OPENBLAS_NUM_THREADS=1.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/detect/tflite_graph.h"

using namespace intershape::core::detect;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL [device] [iterations] [threads]\n", argv[0]);
    return 2;
  }
  const std::string device = argc > 2 ? argv[2] : "cpu";
  const int iterations = argc > 3 ? std::atoi(argv[3]) : 50;
  at::set_num_threads(argc > 4 ? std::atoi(argv[4]) : 2);
  try {
    const auto t0 = std::chrono::steady_clock::now();
    auto graph = TfliteGraph::load(argv[1], device);
    const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::vector<at::Tensor> in;
    for (const auto& i : graph->inputs()) in.push_back(at::rand(i.shape).to(at::Device(device)));
    for (int i = 0; i < 5; ++i) graph->run(in);
    std::vector<double> ms;
    for (int i = 0; i < iterations; ++i) {
      const auto a = std::chrono::steady_clock::now();
      auto out = graph->run(in);
      if (out[0].is_cuda()) out[0].cpu();
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%s on %s, %d threads: load %.0f ms, run median %.2f ms, min %.2f ms\n", argv[1], device.c_str(),
                at::get_num_threads(), load_ms, ms[ms.size() / 2], ms[0]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
