// Marks for the code every backend shares: LRF_HD compiles a function for the host and, under nvcc, for
// the device too; LRF_INLINE inlines it into its caller.
#pragma once

#if defined(__CUDACC__)
#define LRF_HD __host__ __device__
#define LRF_INLINE __forceinline__
#else
#define LRF_HD
#define LRF_INLINE inline __attribute__((always_inline))
#endif
