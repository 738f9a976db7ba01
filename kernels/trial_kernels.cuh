// The device code of the cuda backend: the trial kernel (one trial per thread through the shared trial core)
// and the transpose to the Batch's row-major layout, with the constant memory that holds small data sets.
// Included by cuda_backend.cu alone: the __constant__ symbols live in its translation unit.
#pragma once

#include "core/library_rules.hpp"
#include "core/trial.hpp"

#include <cstdint>

namespace lrf::detail {

constexpr int kBlock = 128;           // trials per block; trials are independent, so any size works
constexpr int kTile = 32;             // transpose tile edge (a warp's width)
constexpr int kTileRows = 8;          // transpose block rows: 256 threads, 4 elements each per tile
constexpr int kConstantPoints = 4096; // x and y: 2 * 4096 * 8 bytes = the whole 64 KiB of constant memory

__constant__ double c_x[kConstantPoints];
__constant__ double c_y[kConstantPoints];

// Trials [0, count) of a chunk. traj holds three step-major arrays (loss, weight, lr), each row * stride.
// With kConstantData the data comes from c_x/c_y: naming the symbols here (not through a pointer argument)
// is what lets the compiler emit constant-space loads once run_trial is inlined.
template <bool kConstantData>
__global__ void __launch_bounds__(kBlock)
    trial_kernel(RunConfig config, DataView data, const TrialParams *params, std::int64_t count, double *traj,
                 std::int64_t stride, TrialResult *results) {
  const std::int64_t t = std::int64_t{blockIdx.x} * kBlock + threadIdx.x;
  if (t >= count)
    return;
  if constexpr (kConstantData) {
    data.x = c_x;
    data.y = c_y;
  }
  const std::int64_t plane = (std::int64_t{config.epochs} + 1) * stride;
  const TrajectoryOut out{traj + t, traj + plane + t, traj + 2 * plane + t, stride};
  results[t] = run_trial(config, data, params[t], out);
}

// in: three arrays [row][stride] (step-major); out: three arrays [count][row] (row-major, as in Batch).
// Through a shared tile so that both the reads and the writes coalesce; the +1 column keeps the column
// reads free of bank conflicts. blockIdx.z picks the array; y loops because gridDim.y stops at 65535.
__global__ void __launch_bounds__(kTile *kTileRows)
    to_row_major(const double *in, std::int64_t stride, std::int64_t row, std::int64_t count, double *out) {
  __shared__ double tile[kTile][kTile + 1];
  in += std::int64_t{blockIdx.z} * row * stride;
  out += std::int64_t{blockIdx.z} * row * count;
  const std::int64_t t0 = std::int64_t{blockIdx.x} * kTile;
  for (std::int64_t k0 = std::int64_t{blockIdx.y} * kTile; k0 < row; k0 += std::int64_t{gridDim.y} * kTile) {
    for (int j = threadIdx.y; j < kTile; j += kTileRows) {
      const std::int64_t k = k0 + j, t = t0 + threadIdx.x;
      if (k < row && t < count)
        tile[j][threadIdx.x] = in[k * stride + t];
    }
    __syncthreads();
    for (int j = threadIdx.y; j < kTile; j += kTileRows) {
      const std::int64_t t = t0 + j, k = k0 + threadIdx.x;
      if (t < count && k < row)
        out[t * row + k] = tile[threadIdx.x][j];
    }
    __syncthreads();
  }
}

// Every rule's answer for trials [0, count), one trial per thread through the host's own rules
// (core/library_rules.hpp): loss and lr row-major [count][row], scratch rule_scratch(epochs) doubles a
// trial, answers [rule][count].
__global__ void __launch_bounds__(kBlock)
    suggest_kernel(const double *loss, const double *lr, std::int64_t row, const std::int32_t *steps,
                   const Status *status, const Scan *scan, const double *factor, std::int64_t count,
                   std::int32_t epochs, CurveOptions own, RuleTables tables, double *scratch, double *answers) {
  const std::int64_t t = std::int64_t{blockIdx.x} * kBlock + threadIdx.x;
  if (t >= count)
    return;
  const TrialView view = trial_view(loss + t * row, lr + t * row, 1, steps[t], status[t], scan[t], factor[t], epochs);
  double out[kRuleCount];
  suggest_all(view, own, tables, scratch + t * rule_scratch(epochs), out);
  for (int r = 0; r < kRuleCount; ++r)
    answers[r * count + t] = out[r];
}

} // namespace lrf::detail
