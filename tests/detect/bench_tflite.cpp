// Times a TFLite model in our runtime: bench_tflite MODEL [device] [iterations].
// Not a test: run by hand (see README "Hand models") with OPENBLAS_NUM_THREADS=1.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
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
    const double load_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::vector<at::Tensor> in;
    for (const auto& i : graph->inputs()) in.push_back(at::rand(i.shape).to(at::Device(device)));
    for (int i = 0; i < 5; ++i) graph->run(in);
    // Wall time, and the process's CPU time: on a shared machine the wall
    // time of one run scatters, the CPU time of a 1-thread run much less.
    auto cpu_ms = [] {
      timespec t{};
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
      return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
    };
    std::vector<double> ms, cpu;
    for (int i = 0; i < iterations; ++i) {
      const double c = cpu_ms();
      const auto a = std::chrono::steady_clock::now();
      auto out = graph->run(in);
      if (out[0].is_cuda()) out[0].cpu();
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
      cpu.push_back(cpu_ms() - c);
    }
    std::sort(ms.begin(), ms.end());
    std::sort(cpu.begin(), cpu.end());
    std::printf(
        "%s on %s, %d threads: load %.0f ms, run median %.2f ms, min %.2f ms, cpu median %.2f ms\n",
        argv[1], device.c_str(), at::get_num_threads(), load_ms, ms[ms.size() / 2], ms[0],
        cpu[cpu.size() / 2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
