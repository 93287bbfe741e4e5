// Final merge of a query's candidate lists (one per scan block, fused-kernel split or baseline chunk):
// one warp per query. Each lane folds every 32nd list into its own list, the lanes' lists merge as a
// tree (select.h's topk_merge, the same function the CPU tests exercise), and, for the tensor-core
// paths, the surviving candidates are rescored exactly in fp32 before the best k are written.
#include <algorithm>

#include "common.cuh"
#include "rows.cuh"
#include "score.h"
#include "select.h"

namespace tamsaek {
namespace cuda {
namespace {

__device__ void fold(float* s, uint32_t* ix, int* len, float* ts, uint32_t* ti, const float* bs, const uint32_t* bi,
                     int nb, int cap) {
  const int n = rec::topk_merge(s, ix, *len, bs, bi, nb, ts, ti, cap);
  for (int i = 0; i < n; ++i) {
    s[i] = ts[i];
    ix[i] = ti[i];
  }
  *len = n;
}

// Rescores list (s, ix, len) in fp32 and writes the best k to out (kNoRow-padded).
__device__ void rescore_and_write(const ScanArgs& ex, int j, float* s, uint32_t* ix, int len, float* ts, uint32_t* ti,
                                  int k, float* os, uint32_t* oi) {
  const int lane = threadIdx.x;
  const MatrixData& mx = ex.mx;
  const float* q = ex.queries + static_cast<size_t>(j) * mx.dim;
  const float qn2 = ex.qnorm2[j];
  const float qinv = qn2 > 0.0f ? rsqrtf(qn2) : 0.0f;
  for (int c = 0; c < len; ++c) {
    if (ix[c] == rec::kNoRow) continue;
    const float dot = warp_sum(lane_dot_any(mx, ix[c], q, lane));
    if (lane == 0) s[c] = rec::finish_score(ex.metric, dot, ex.metric == rec::kDot ? 0.0f : mx.norms2[ix[c]], qn2, qinv);
  }
  __syncwarp();
  if (lane == 0) {
    int n = 0;
    for (int c = 0; c < len; ++c)
      if (ix[c] != rec::kNoRow) rec::topk_insert(ts, ti, &n, k, s[c], ix[c]);
    for (int r = 0; r < k; ++r) {
      os[r] = r < n ? ts[r] : rec::neg_inf();
      oi[r] = r < n ? ti[r] : rec::kNoRow;
    }
  }
}

__global__ void __launch_bounds__(32) merge_kernel(const float* cand_s, const uint32_t* cand_i, int lists, int cap, int k,
                                                   bool rescore, ScanArgs ex, float* out_s, uint32_t* out_i) {
  extern __shared__ __align__(16) unsigned char smem[];
  float* ls = reinterpret_cast<float*>(smem);  // 32 lists of cap
  uint32_t* li = reinterpret_cast<uint32_t*>(ls + 32 * cap);
  float* ts = reinterpret_cast<float*>(li + 32 * cap);  // 32 merge temporaries of cap
  uint32_t* ti = reinterpret_cast<uint32_t*>(ts + 32 * cap);
  __shared__ int len[32];
  const int j = blockIdx.x, lane = threadIdx.x;
  float* my_s = ls + lane * cap;
  uint32_t* my_i = li + lane * cap;
  len[lane] = 0;
  for (int l = lane; l < lists; l += 32) {
    const size_t at = (static_cast<size_t>(j) * lists + l) * cap;
    fold(my_s, my_i, &len[lane], ts + lane * cap, ti + lane * cap, cand_s + at, cand_i + at, cap, cap);
  }
  for (int stride = 16; stride > 0; stride >>= 1) {
    __syncwarp();
    if (lane < stride)
      fold(my_s, my_i, &len[lane], ts + lane * cap, ti + lane * cap, ls + (lane + stride) * cap, li + (lane + stride) * cap,
           len[lane + stride], cap);
  }
  __syncwarp();
  float* os = out_s + static_cast<size_t>(j) * k;
  uint32_t* oi = out_i + static_cast<size_t>(j) * k;
  if (rescore) {
    rescore_and_write(ex, j, ls, li, len[0], ts, ti, k, os, oi);
  } else if (lane == 0) {
    for (int r = 0; r < k; ++r) {
      const bool has = r < len[0];
      os[r] = has ? ls[r] : rec::neg_inf();
      oi[r] = has ? li[r] : rec::kNoRow;
    }
  }
}

}  // namespace

void launch_merge(const float* cand_s, const uint32_t* cand_i, int lists, int cap, int m, int k, bool rescore,
                  const ScanArgs& exact, float* out_s, uint32_t* out_i, cudaStream_t st) {
  const size_t smem = static_cast<size_t>(4) * 32 * cap * 4;
  check(cudaFuncSetAttribute(merge_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
        "cudaFuncSetAttribute (merge)");
  merge_kernel<<<m, 32, smem, st>>>(cand_s, cand_i, lists, cap, k, rescore, exact, out_s, out_i);
  check_launch("merge_kernel");
}

}  // namespace cuda
}  // namespace tamsaek
