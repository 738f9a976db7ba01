#include "fp64_peak.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace lrf {
namespace {

// The same vector type the cpu backend uses (src/backends/cpu.cpp): eight doubles, one zmm register with AVX-512.
typedef double Lanes __attribute__((vector_size(8 * sizeof(double))));

// 12 independent chains: each step of a chain is a multiply then an add (2 dependent ops, 4 cycles each
// on current x86), and the two vector FP ports need about 8 ops in flight; 12 chains measured 22% faster
// than 8 and as fast as 16 on a Sapphire Rapids core, and still fit in AVX-512's 32 registers.
constexpr int kChains = 12;
constexpr double kOpsPerIteration = kChains * 8 * 2; // chains * lanes * (multiply + add)

// acc = acc * m + a with m just below 1: values stay near 1, so no overflow or denormals.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
double
chains(std::int64_t iterations, double m, double a) {
  Lanes acc[kChains];
  for (int k = 0; k < kChains; ++k)
    acc[k] = (1.0 + k * 1e-3) - Lanes{};
  const Lanes mv = m - Lanes{}, av = a - Lanes{};
  for (std::int64_t i = 0; i < iterations; ++i)
    for (int k = 0; k < kChains; ++k)
      acc[k] = acc[k] * mv + av;
  Lanes sum = {};
  for (int k = 0; k < kChains; ++k)
    sum += acc[k];
  double total = 0;
  for (int j = 0; j < 8; ++j)
    total += sum[j];
  return total; // returned so that the chains are not optimised away
}

std::string widest_simd() {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  if (__builtin_cpu_supports("avx512f"))
    return "avx512f";
  if (__builtin_cpu_supports("avx2"))
    return "avx2";
#endif
  return "default";
}

// Seconds for every thread to run `iterations`, started together.
double timed_run(int threads, std::int64_t iterations) {
  volatile double m = 0.999999, a = 1e-6; // volatile: not folded at compile time
  std::atomic<bool> go{false};
  std::atomic<double> sink{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      while (!go.load())
        std::this_thread::yield();
      sink = chains(iterations, m, a);
    });
  const auto start = std::chrono::steady_clock::now();
  go = true;
  for (auto &t : pool)
    t.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

Fp64Peak measure_fp64_peak(int threads) {
  if (threads <= 0)
    threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Calibrate on a short run, then take the best of three runs of about 0.12 s each.
  std::int64_t iterations = 1 << 20;
  const double probe = std::max(timed_run(threads, iterations), 1e-4);
  iterations = std::max<std::int64_t>(iterations, static_cast<std::int64_t>(static_cast<double>(iterations) * 0.12 / probe));
  double best = 1e300;
  for (int rep = 0; rep < 3; ++rep)
    best = std::min(best, timed_run(threads, iterations));
  return Fp64Peak{threads * static_cast<double>(iterations) * kOpsPerIteration / best, threads,
                  widest_simd()};
}

} // namespace lrf
