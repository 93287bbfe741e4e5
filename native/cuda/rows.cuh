// Device building blocks shared by the scan, merge and baseline kernels: one row's dot product split over
// a warp (vector loads where the dimension allows), and the in-block merge of per-warp top-k lists.
#pragma once
#include "common.cuh"
#include "select.h"

namespace tamsaek {
namespace cuda {

constexpr int kScanThreads = 256;
constexpr int kScanWarps = kScanThreads / 32;

__device__ __forceinline__ float2 half2_bits_to_float2(uint32_t u) {
  return make_float2(__half2float(__ushort_as_half(static_cast<unsigned short>(u & 0xffffu))),
                     __half2float(__ushort_as_half(static_cast<unsigned short>(u >> 16))));
}

// Partial dot product of one row (this lane's share); q is the query in shared memory.
template <int DT>
__device__ __forceinline__ float lane_dot(const void* rowp, const float* q, int dim, int lane, bool vec) {
  float acc = 0.0f;
  if (DT == 0) {
    const float* x = static_cast<const float*>(rowp);
    if (vec) {
      const float4* x4 = reinterpret_cast<const float4*>(x);
      const float4* q4 = reinterpret_cast<const float4*>(q);
#pragma unroll 4
      for (int i = lane; i < dim / 4; i += 32) {
        const float4 a = __ldg(x4 + i), b = q4[i];
        acc += a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w;
      }
    } else {
      for (int i = lane; i < dim; i += 32) acc += __ldg(x + i) * q[i];
    }
  } else if (DT == 1) {
    const __half* x = static_cast<const __half*>(rowp);
    if (vec) {
      const uint4* x8 = reinterpret_cast<const uint4*>(x);
#pragma unroll 2
      for (int i = lane; i < dim / 8; i += 32) {
        const uint4 raw = __ldg(x8 + i);
        const uint32_t w[4] = {raw.x, raw.y, raw.z, raw.w};
        const float* qq = q + i * 8;
#pragma unroll
        for (int t = 0; t < 4; ++t) {
          const float2 f = half2_bits_to_float2(w[t]);
          acc += f.x * qq[2 * t] + f.y * qq[2 * t + 1];
        }
      }
    } else {
      for (int i = lane; i < dim; i += 32) acc += __half2float(x[i]) * q[i];
    }
  } else {
    const int8_t* x = static_cast<const int8_t*>(rowp);
    if (vec) {
      const int4* x16 = reinterpret_cast<const int4*>(x);
#pragma unroll 2
      for (int i = lane; i < dim / 16; i += 32) {
        const int4 raw = __ldg(x16 + i);
        const int8_t* b = reinterpret_cast<const int8_t*>(&raw);
        const float* qq = q + i * 16;
#pragma unroll
        for (int t = 0; t < 16; ++t) acc += static_cast<float>(b[t]) * qq[t];
      }
    } else {
      for (int i = lane; i < dim; i += 32) acc += static_cast<float>(x[i]) * q[i];
    }
  }
  return acc;
}

// Merges the warp lists of a block (tree of pairwise merges) into list 0.
__device__ inline void merge_warp_lists(float* ls, uint32_t* li, int* len, float* ts, uint32_t* ti, int cap) {
  for (int stride = kScanWarps / 2; stride > 0; stride >>= 1) {
    __syncthreads();
    const int t = threadIdx.x;
    if (t < stride) {
      const int n = rec::topk_merge(ls + t * cap, li + t * cap, len[t], ls + (t + stride) * cap, li + (t + stride) * cap,
                                    len[t + stride], ts + t * cap, ti + t * cap, cap);
      for (int i = 0; i < n; ++i) {
        ls[t * cap + i] = ts[t * cap + i];
        li[t * cap + i] = ti[t * cap + i];
      }
      len[t] = n;
    }
  }
  __syncthreads();
}

// Row dot for a runtime dtype (the merge kernel's fp32 rescoring).
__device__ __forceinline__ float lane_dot_any(const MatrixData& mx, size_t row, const float* q, int lane) {
  const int dim = static_cast<int>(mx.dim);
  switch (mx.dtype) {
    case DType::F32: return lane_dot<0>(static_cast<const float*>(mx.data) + row * dim, q, dim, lane, false);
    case DType::F16: return lane_dot<1>(static_cast<const __half*>(mx.data) + row * dim, q, dim, lane, false);
    default: return lane_dot<2>(static_cast<const int8_t*>(mx.data) + row * dim, q, dim, lane, false) * mx.scales[row];
  }
}

}  // namespace cuda
}  // namespace tamsaek
