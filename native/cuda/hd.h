// One source, two targets: functions marked TSK_HD compile as __host__ __device__ under nvcc and as
// plain inline C++ in the CPU build, so the CPU tests run the very recurrences the GPU kernels use.
#pragma once

#if defined(__CUDACC__)
#define TSK_HD __host__ __device__ __forceinline__
#else
#define TSK_HD inline
#endif

#include <cmath>

namespace tamsaek {
namespace rec {
// −inf on both targets (INFINITY is a compiler builtin that nvcc also accepts in device code).
TSK_HD float neg_inf() { return -INFINITY; }
}  // namespace rec
}  // namespace tamsaek
