#include "fp64_peak.hpp"

#include "backends/backend.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

namespace lrf {
namespace {

// 12 independent chains of one register each, 3 to 4 cycles a step on current x86 and Arm cores: exact,
// six of multiplies and six of adds, the trial core's mix (a multiply chained to an add would wait for both
// latencies); fused, twelve of fused multiply-adds. Either keeps every port of a core with two multiply
// and two add pipes (Zen) or two FMA pipes (Intel, Neoverse) busy, and with the two constants they fit in
// the 16 registers of AVX2 and SSE2.
constexpr int kChains = 12;

// Multiplies by m just below 1 and adds a small a (or acc * m + a, fused): values stay near 1, so no
// overflow or denormals. Returns a sum so that the chains are not optimised away.
template <int N, bool kFused> LRF_INLINE double chains(std::int64_t iterations, double m, double a) {
  using V = typename VectorOf<N>::V;
  V acc[kChains];
  for (int k = 0; k < kChains; ++k)
    acc[k] = (1.0 + k * 1e-3) - V{};
  const V mv = m - V{}, av = a - V{};
  for (std::int64_t i = 0; i < iterations; ++i)
    for (int k = 0; k < kChains; ++k) {
      if constexpr (kFused) {
        for (int j = 0; j < N; ++j) // one vector FMA where the target has one
          acc[k][j] = __builtin_fma(acc[k][j], mv[j], av[j]);
      } else {
        acc[k] = k % 2 == 0 ? acc[k] * mv : acc[k] + av;
      }
    }
  V sum = {};
  for (int k = 0; k < kChains; ++k)
    sum += acc[k];
  double total = 0;
  for (int j = 0; j < N; ++j)
    total += sum[j];
  return total;
}

using Chains = double (*)(std::int64_t, double, double);

// The probe for each of the cpu backend's builds (backends/cpu.cpp), with the same lane width and target.
#if defined(__x86_64__) && defined(__GNUC__)
template <bool F>
__attribute__((target("avx512f,fma"))) double chains_avx512(std::int64_t n, double m, double a) {
  return chains<8, F>(n, m, a);
}
template <bool F> __attribute__((target("avx2,fma"))) double chains_avx2(std::int64_t n, double m, double a) {
  return chains<4, F>(n, m, a);
}
#endif
template <bool F> double chains_baseline(std::int64_t n, double m, double a) {
  return chains<2, F>(n, m, a);
}

Chains chains_for(const CpuIsa &isa, bool fused) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (isa.lanes == 8)
    return fused ? chains_avx512<true> : chains_avx512<false>;
  if (isa.lanes == 4)
    return fused ? chains_avx2<true> : chains_avx2<false>;
#endif
  (void)isa;
  return fused ? chains_baseline<true> : chains_baseline<false>;
}

// Pins the calling thread to the k-th CPU this process may use, where it can.
void pin_to(int k) {
#if defined(__linux__)
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
    return;
  for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &allowed) && seen++ == k) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      pthread_setaffinity_np(pthread_self(), sizeof one, &one);
      return;
    }
#else
  (void)k;
#endif
}

// Seconds for every thread to run `iterations`, started together, each pinned to a CPU of its own.
double timed_run(Chains run, int threads, std::int64_t iterations) {
  volatile double m = 0.999999, a = 1e-6; // volatile: not folded at compile time
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<double> sink{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      pin_to(t);
      ++ready;
      while (!go.load())
        std::this_thread::yield();
      sink = run(iterations, m, a);
    });
  while (ready.load() < threads)
    std::this_thread::yield();
  const auto start = std::chrono::steady_clock::now();
  go = true;
  for (auto &t : pool)
    t.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

Fp64Peak measure_fp64_peak(const CpuIsa &isa, bool fused, int threads) {
  if (threads <= 0)
    threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const Chains run = chains_for(isa, fused);
  // Calibrate on a short run, then take the best of kRuns runs of about 0.1 s each.
  constexpr int kRuns = 5;
  std::int64_t iterations = 1 << 18;
  const double probe = std::max(timed_run(run, threads, iterations), 1e-4);
  iterations = std::max<std::int64_t>(
      iterations, static_cast<std::int64_t>(static_cast<double>(iterations) * 0.1 / probe));
  double best = 1e300;
  for (int rep = 0; rep < kRuns; ++rep)
    best = std::min(best, timed_run(run, threads, iterations));
  const double ops_per_iteration = kChains * isa.lanes * (fused ? 2.0 : 1.0); // a fused multiply-add is 2
  Fp64Peak peak;
  peak.flops = threads * static_cast<double>(iterations) * ops_per_iteration / best;
  peak.threads = threads;
  peak.method = std::to_string(kChains) + " independent chains of " +
                (fused ? "fused multiply-adds (2 ops each)"
                       : "multiplies (half) and adds (half), no fused multiply-add") +
                ", " + isa.name + " build: " + std::to_string(isa.lanes) + " doubles per vector, " +
                std::to_string(threads) + " threads pinned to CPUs, best of " + std::to_string(kRuns) +
                " runs of " + std::to_string(static_cast<long long>(iterations)) + " iterations";
  return peak;
}

} // namespace lrf
