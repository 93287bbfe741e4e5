// Single-query exact search: one bandwidth-bound pass over the resident rows. A warp reduces one row's
// dot product at a time (vector loads, shuffle reduction), its lane 0 keeps the warp's top-k list in
// shared memory (select.h), and the block merges its eight warp lists into one list per block; a last
// kernel (merge.cu) merges the block lists of each query. Scores are exact fp32 (CUDA-core FMAs).
#include <algorithm>

#include "common.cuh"
#include "rows.cuh"
#include "score.h"
#include "select.h"

namespace tamsaek {
namespace cuda {
namespace {


template <int DT>
__global__ void __launch_bounds__(kScanThreads) scan_kernel(ScanArgs a, MatrixData mx, float* cand_s, uint32_t* cand_i,
                                                            int cap, int rows_per_block, bool vec) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int dim = static_cast<int>(mx.dim);
  float* q = reinterpret_cast<float*>(smem);                       // dim (padded to 4)
  float* ls = q + ((dim + 3) & ~3);                                 // kScanWarps x cap
  uint32_t* li = reinterpret_cast<uint32_t*>(ls + kScanWarps * cap);
  float* ts = reinterpret_cast<float*>(li + kScanWarps * cap);      // kScanWarps / 2 x cap (merge temp)
  uint32_t* ti = reinterpret_cast<uint32_t*>(ts + kScanWarps / 2 * cap);
  __shared__ int len[kScanWarps];
  const int j = blockIdx.y, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int t = threadIdx.x; t < dim; t += blockDim.x) q[t] = a.queries[static_cast<size_t>(j) * dim + t];
  if (lane == 0) len[warp] = 0;
  const float qn2 = a.qnorm2[j];
  const float qinv = qn2 > 0.0f ? rsqrtf(qn2) : 0.0f;
  __syncthreads();

  const size_t row_bytes = static_cast<size_t>(dim) * (DT == 0 ? 4 : DT == 1 ? 2 : 1);
  const size_t r0 = static_cast<size_t>(blockIdx.x) * rows_per_block;
  const size_t r1 = min(mx.n, r0 + rows_per_block);
  float* my_s = ls + warp * cap;
  uint32_t* my_i = li + warp * cap;
  float thr = rec::neg_inf();
  for (size_t row = r0 + warp; row < r1; row += kScanWarps) {
    const void* rp = static_cast<const char*>(mx.data) + row * row_bytes;
    float dot = warp_sum(lane_dot<DT>(rp, q, dim, lane, vec));
    if (lane == 0) {
      if (DT == 2) dot *= mx.scales[row];
      const float s = rec::finish_score(a.metric, dot, a.metric == rec::kDot ? 0.0f : mx.norms2[row], qn2, qinv);
      if (s >= thr && row_allowed(a.allow, static_cast<uint32_t>(row))) {
        rec::topk_insert(my_s, my_i, &len[warp], cap, s, static_cast<uint32_t>(row));
        thr = rec::topk_threshold(my_s, len[warp], cap);
      }
    }
  }
  merge_warp_lists(ls, li, len, ts, ti, cap);
  float* os = cand_s + (static_cast<size_t>(j) * gridDim.x + blockIdx.x) * cap;
  uint32_t* oi = cand_i + (static_cast<size_t>(j) * gridDim.x + blockIdx.x) * cap;
  for (int t = threadIdx.x; t < cap; t += blockDim.x) {
    const bool has = t < len[0];
    os[t] = has ? ls[t] : rec::neg_inf();
    oi[t] = has ? li[t] : rec::kNoRow;
  }
}

__global__ void rowscale_kernel(MatrixData mx, size_t row0, size_t count) {
  const size_t row = row0 + blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= row0 + count) return;
  float v = 1.0f;
  if (mx.dtype == DType::F32) {
    const float* x = static_cast<const float*>(mx.data) + row * mx.dim;
    float mxabs = 0.0f;
    for (size_t t = lane; t < mx.dim; t += 32) mxabs = fmaxf(mxabs, fabsf(x[t]));
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) mxabs = fmaxf(mxabs, __shfl_xor_sync(0xffffffffu, mxabs, o));
    v = mxabs > 0.0f ? mxabs : 1.0f;
  } else if (mx.dtype == DType::I8) {
    v = mx.scales[row];
  }
  if (lane == 0) mx.rowscale[row] = v;
}

__global__ void read_kernel(const uint4* p, size_t n16, float* sink) {
  uint32_t acc = 0;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n16; i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const uint4 v = __ldcs(p + i);
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (acc == 0x9e3779b9u) *sink = 1.0f;  // never true in practice; keeps the loads
}

}  // namespace

int scan_blocks_per_query(size_t n, int m) {
  const int sms = device_props().multiProcessorCount;
  // about 4 resident blocks per SM in all, at least 2048 rows per block
  const int want = std::max(1, sms * 4 / std::max(1, m));
  const int by_rows = static_cast<int>(std::max<size_t>(1, (n + 2047) / 2048));
  return std::max(1, std::min(want, by_rows));
}

int launch_scan(const ScanArgs& a, float* cand_s, uint32_t* cand_i, int cap, cudaStream_t st) {
  const MatrixData& mx = a.mx;
  const int bpq = scan_blocks_per_query(mx.n, a.m);
  const int rows_per_block = static_cast<int>((mx.n + bpq - 1) / bpq);
  const int dim = static_cast<int>(mx.dim);
  const size_t smem = ((dim + 3) & ~3) * 4 + static_cast<size_t>(kScanWarps) * cap * 8 + static_cast<size_t>(kScanWarps / 2) * cap * 8;
  const int vec_of[3] = {4, 8, 16};
  const bool vec = dim % vec_of[static_cast<int>(mx.dtype)] == 0;
  dim3 grid(bpq, a.m);
  switch (mx.dtype) {
    case DType::F32:
      check(cudaFuncSetAttribute(scan_kernel<0>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)), "cudaFuncSetAttribute");
      scan_kernel<0><<<grid, kScanThreads, smem, st>>>(a, mx, cand_s, cand_i, cap, rows_per_block, vec);
      break;
    case DType::F16:
      check(cudaFuncSetAttribute(scan_kernel<1>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)), "cudaFuncSetAttribute");
      scan_kernel<1><<<grid, kScanThreads, smem, st>>>(a, mx, cand_s, cand_i, cap, rows_per_block, vec);
      break;
    case DType::I8:
      check(cudaFuncSetAttribute(scan_kernel<2>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)), "cudaFuncSetAttribute");
      scan_kernel<2><<<grid, kScanThreads, smem, st>>>(a, mx, cand_s, cand_i, cap, rows_per_block, vec);
      break;
  }
  check_launch("scan_kernel");
  return bpq;
}

void launch_rowscale(MatrixData& mx, size_t row0, size_t count, cudaStream_t st) {
  const int rows_per_block = 8;
  const unsigned blocks = static_cast<unsigned>((count + rows_per_block - 1) / rows_per_block);
  rowscale_kernel<<<blocks, rows_per_block * 32, 0, st>>>(mx, row0, count);
  check_launch("rowscale_kernel");
}

void launch_read(const void* data, size_t bytes, float* sink, cudaStream_t st) {
  const int sms = device_props().multiProcessorCount;
  read_kernel<<<sms * 8, 256, 0, st>>>(static_cast<const uint4*>(data), bytes / 16, sink);
  check_launch("read_kernel");
}

}  // namespace cuda
}  // namespace tamsaek
