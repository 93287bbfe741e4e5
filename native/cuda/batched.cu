// Batched exact search on tensor cores. A block multiplies 128 resident rows by 64 queries (WMMA
// 16x16x16, fp16 inputs, fp32 accumulation, k-steps of 32 with the next step's global loads in flight
// during the current step's MMAs), turns the 128 x 64 score tile into final scores in shared memory and
// folds it into one bounded list per query (select.h) before the next tile; blocks stride over row
// tiles, so each block ends with one list per query and the score matrix never exists. merge.cu merges
// the lists and rescores the surviving candidates in fp32.
//
// fp16 inputs: f16 rows as stored; int8 rows as their integers (exact in fp16), the scale applied to the
// tile; f32 rows divided by their max |x| (so any magnitude fits fp16), the factor applied to the tile;
// queries divided by their max |q|.
#include <mma.h>

#include <algorithm>

#include "common.cuh"
#include "score.h"
#include "select.h"

namespace tamsaek {
namespace cuda {
namespace {

using namespace nvcuda;

constexpr int BM = 128, BN = 64, BK = 32;
constexpr int LDA = BK + 8, LDB = BK + 8;  // padded leading dimensions (bank spread)
// The score tile's leading dimension: padded, except with 128-hit lists, where the 2 KiB of padding
// would push the block past the 99 KiB of shared memory that sm_86/sm_89 allow.
template <int CAP>
constexpr int ldc_of() { return CAP > 32 ? BN : BN + 4; }
constexpr int kThreads = 256;

template <int CAP>
constexpr size_t tile_smem() { return std::max<size_t>((BM * LDA + BN * LDB) * 2, BM * ldc_of<CAP>() * 4); }
template <int CAP>
constexpr size_t fused_smem() {
  return tile_smem<CAP>() + static_cast<size_t>(BN) * CAP * 8;
}

// Raw global loads for one thread's share of an A tile (two chunks of 8 elements), converted to fp16
// only when stored, so the loads stay in flight while the previous k-step multiplies.
template <int DT>
struct ARaw {
  uint4 v[2][DT == 0 ? 2 : 1];
};

template <int DT>
__device__ __forceinline__ void load_a(ARaw<DT>& raw, const MatrixData& mx, size_t r0, int k0, bool vec) {
  const int dim = static_cast<int>(mx.dim);
  const uint4 zero = make_uint4(0, 0, 0, 0);
#pragma unroll
  for (int p = 0; p < 2; ++p) {
    const int c = threadIdx.x + p * kThreads;
    const size_t row = r0 + c / 4;
    const int col = k0 + (c % 4) * 8;
    const bool in = row < mx.n && col < dim;
    if (vec) {
      if constexpr (DT == 0) {
        const uint4* src = reinterpret_cast<const uint4*>(static_cast<const float*>(mx.data) + row * dim + col);
        raw.v[p][0] = in ? __ldg(src) : zero;
        raw.v[p][1] = in ? __ldg(src + 1) : zero;
      } else if constexpr (DT == 1) {
        const uint4* src = reinterpret_cast<const uint4*>(static_cast<const __half*>(mx.data) + row * dim + col);
        raw.v[p][0] = in ? __ldg(src) : zero;
      } else {
        const uint2* src = reinterpret_cast<const uint2*>(static_cast<const int8_t*>(mx.data) + row * dim + col);
        const uint2 b = in ? __ldg(src) : make_uint2(0, 0);
        raw.v[p][0] = make_uint4(b.x, b.y, 0, 0);
      }
      continue;
    }
    // any dimension: element by element, zero past the row's end (f32 kept as fp32 bits, others as fp16)
    float f[8];
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      const bool ok = row < mx.n && col + e < dim;
      const size_t at = row * dim + col + e;
      if constexpr (DT == 0) f[e] = ok ? static_cast<const float*>(mx.data)[at] : 0.0f;
      else if constexpr (DT == 1) f[e] = ok ? __half2float(static_cast<const __half*>(mx.data)[at]) : 0.0f;
      else f[e] = ok ? static_cast<float>(static_cast<const int8_t*>(mx.data)[at]) : 0.0f;
    }
    if constexpr (DT == 0) {
      raw.v[p][0] = make_uint4(__float_as_uint(f[0]), __float_as_uint(f[1]), __float_as_uint(f[2]), __float_as_uint(f[3]));
      raw.v[p][1] = make_uint4(__float_as_uint(f[4]), __float_as_uint(f[5]), __float_as_uint(f[6]), __float_as_uint(f[7]));
    } else {
      __half2 h[4];
#pragma unroll
      for (int e = 0; e < 4; ++e) h[e] = __floats2half2_rn(f[2 * e], f[2 * e + 1]);
      raw.v[p][0] = *reinterpret_cast<uint4*>(h);
    }
  }
}

template <int DT>
__device__ __forceinline__ void store_a(const ARaw<DT>& raw, __half* As, const float* inv_scale, bool vec) {
#pragma unroll
  for (int p = 0; p < 2; ++p) {
    const int c = threadIdx.x + p * kThreads;
    __half2 h[4];
    if constexpr (DT == 0) {
      const float inv = inv_scale[p];
      const float* f = reinterpret_cast<const float*>(&raw.v[p][0]);
#pragma unroll
      for (int e = 0; e < 4; ++e) h[e] = __floats2half2_rn(f[2 * e] * inv, f[2 * e + 1] * inv);
    } else if (DT == 1 || !vec) {
      *reinterpret_cast<uint4*>(h) = raw.v[p][0];
    } else {
      const int8_t* b = reinterpret_cast<const int8_t*>(&raw.v[p][0]);
#pragma unroll
      for (int e = 0; e < 4; ++e) h[e] = __floats2half2_rn(static_cast<float>(b[2 * e]), static_cast<float>(b[2 * e + 1]));
    }
    *reinterpret_cast<uint4*>(As + (c / 4) * LDA + (c % 4) * 8) = *reinterpret_cast<uint4*>(h);
  }
}

// Folds a finished 128 x 64 tile of raw products (Cs) into the per-query lists (threads 0..63).
template <int CAP>
__device__ __forceinline__ void select_tile(const FusedArgs& a, const MatrixData& mx, const float* Cs, size_t r0,
                                            const float* tscale, const float* tnorm, float* ls, uint32_t* li, int* len) {
  const int t = threadIdx.x;
  const int jq = blockIdx.x * BN + t;
  if (t >= BN || jq >= a.m) return;
  const float qs = a.qscale[jq], qn2 = a.qnorm2[jq];
  const float qinv = qn2 > 0.0f ? rsqrtf(qn2) : 0.0f;
  float* my_s = ls + t * CAP;
  uint32_t* my_i = li + t * CAP;
  int n = len[t];
  float thr = rec::topk_threshold(my_s, n, CAP);
  const int rows = static_cast<int>(min(static_cast<size_t>(BM), mx.n - r0));
  for (int r = 0; r < rows; ++r) {
    const float dot = Cs[r * ldc_of<CAP>() + t] * tscale[r] * qs;
    const float s = rec::finish_score(a.metric, dot, tnorm[r], qn2, qinv);
    if (s >= thr && row_allowed(a.allow, static_cast<uint32_t>(r0 + r))) {
      rec::topk_insert(my_s, my_i, &n, CAP, s, static_cast<uint32_t>(r0 + r));
      thr = rec::topk_threshold(my_s, n, CAP);
    }
  }
  len[t] = n;
}

// One row tile: C(128 x 64) = A_tile . Q_tile^T over the padded dimension, left in Cs.
template <int DT, int LDC>
__device__ __forceinline__ void multiply_tile(const FusedArgs& a, const MatrixData& mx, size_t r0, __half* As, __half* Bs,
                                              float* Cs, const float* inv_scale, bool vec) {
  const int warp = threadIdx.x / 32, wm = warp % 4, wn = warp / 4;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
  const __half* qbase = a.qh + static_cast<size_t>(blockIdx.x) * BN * a.dpad;
  const int c = threadIdx.x;
  ARaw<DT> raw;
  load_a<DT>(raw, mx, r0, 0, vec);
  uint4 braw = *reinterpret_cast<const uint4*>(qbase + (c / 4) * a.dpad + (c % 4) * 8);
  for (int k0 = 0; k0 < a.dpad; k0 += BK) {
    __syncthreads();  // the previous step's fragments are loaded
    store_a<DT>(raw, As, inv_scale, vec);
    *reinterpret_cast<uint4*>(Bs + (c / 4) * LDB + (c % 4) * 8) = braw;
    __syncthreads();
    if (k0 + BK < a.dpad) {  // next step's loads fly during these MMAs
      load_a<DT>(raw, mx, r0, k0 + BK, vec);
      braw = *reinterpret_cast<const uint4*>(qbase + (c / 4) * a.dpad + k0 + BK + (c % 4) * 8);
    }
#pragma unroll
    for (int kk = 0; kk < BK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa[2];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> fb[2];
#pragma unroll
      for (int i = 0; i < 2; ++i) wmma::load_matrix_sync(fa[i], As + (wm * 32 + i * 16) * LDA + kk, LDA);
#pragma unroll
      for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(fb[j], Bs + (wn * 32 + j * 16) * LDB + kk, LDB);
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
    }
  }
  __syncthreads();  // Cs overlays As/Bs
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      wmma::store_matrix_sync(Cs + (wm * 32 + i * 16) * LDC + wn * 32 + j * 16, acc[i][j], LDC, wmma::mem_row_major);
}

template <int DT, int CAP>
__global__ void __launch_bounds__(kThreads) fused_kernel(FusedArgs a, MatrixData mx, float* cand_s, uint32_t* cand_i,
                                                         int splits, bool vec) {
  extern __shared__ __align__(16) unsigned char smem[];
  __half* As = reinterpret_cast<__half*>(smem);
  __half* Bs = As + BM * LDA;
  float* Cs = reinterpret_cast<float*>(smem);  // overlays As/Bs once the tile is multiplied
  float* ls = reinterpret_cast<float*>(smem + tile_smem<CAP>());
  uint32_t* li = reinterpret_cast<uint32_t*>(ls + BN * CAP);
  __shared__ int len[BN];
  __shared__ float tscale[BM], tnorm[BM];
  if (threadIdx.x < BN) len[threadIdx.x] = 0;
  const size_t tiles = (mx.n + BM - 1) / BM;
  for (size_t tile = blockIdx.y; tile < tiles; tile += splits) {
    const size_t r0 = tile * BM;
    float inv_scale[2];
#pragma unroll
    for (int p = 0; p < 2; ++p) {
      const size_t row = r0 + (threadIdx.x + p * kThreads) / 4;
      inv_scale[p] = DT == 0 && row < mx.n ? 1.0f / mx.rowscale[row] : 1.0f;
    }
    multiply_tile<DT, ldc_of<CAP>()>(a, mx, r0, As, Bs, Cs, inv_scale, vec);
    if (threadIdx.x < BM) {
      const size_t row = r0 + threadIdx.x;
      tscale[threadIdx.x] = row < mx.n ? mx.rowscale[row] : 0.0f;
      tnorm[threadIdx.x] = row < mx.n ? mx.norms2[row] : 0.0f;
    }
    __syncthreads();
    select_tile<CAP>(a, mx, Cs, r0, tscale, tnorm, ls, li, len);
    __syncthreads();  // the next tile's loads overwrite Cs
  }
  const int t = threadIdx.x, jq = blockIdx.x * BN + t;
  if (t < BN && jq < a.m) {
    float* os = cand_s + (static_cast<size_t>(jq) * splits + blockIdx.y) * CAP;
    uint32_t* oi = cand_i + (static_cast<size_t>(jq) * splits + blockIdx.y) * CAP;
    for (int i = 0; i < CAP; ++i) {
      const bool has = i < len[t];
      os[i] = has ? ls[t * CAP + i] : rec::neg_inf();
      oi[i] = has ? li[t * CAP + i] : rec::kNoRow;
    }
  }
}

__global__ void prepare_queries_kernel(const float* q, int m, int dim, int dpad, __half* qh, float* qscale) {
  const int j = blockIdx.x;
  __shared__ float red[32];
  float mx = 0.0f;
  if (j < m)
    for (int t = threadIdx.x; t < dim; t += blockDim.x) mx = fmaxf(mx, fabsf(q[static_cast<size_t>(j) * dim + t]));
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
  if (threadIdx.x % 32 == 0) red[threadIdx.x / 32] = mx;
  __syncthreads();
  if (threadIdx.x < 32) {
    float v = threadIdx.x < blockDim.x / 32 ? red[threadIdx.x] : 0.0f;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    if (threadIdx.x == 0) red[0] = v > 0.0f ? v : 1.0f;
  }
  __syncthreads();
  const float s = red[0], inv = 1.0f / s;
  for (int t = threadIdx.x; t < dpad; t += blockDim.x)
    qh[static_cast<size_t>(j) * dpad + t] = __float2half_rn(j < m && t < dim ? q[static_cast<size_t>(j) * dim + t] * inv : 0.0f);
  if (threadIdx.x == 0) qscale[j] = j < m ? s : 0.0f;
}

// Issue-rate probe: WMMA on register fragments only, four independent accumulators per warp.
__global__ void tensor_peak_kernel(int iters, float* sink) {
  __shared__ __align__(32) __half z[16 * 16];
  for (int t = threadIdx.x; t < 256; t += blockDim.x) z[t] = __float2half(0.001f * (t % 7));
  __syncthreads();
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> fb;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4];
  wmma::load_matrix_sync(fa, z, 16);
  wmma::load_matrix_sync(fb, z, 16);
#pragma unroll
  for (int i = 0; i < 4; ++i) wmma::fill_fragment(acc[i], 0.0f);
  for (int it = 0; it < iters; ++it)
#pragma unroll
    for (int i = 0; i < 4; ++i) wmma::mma_sync(acc[i], fa, fb, acc[i]);
  float v = 0.0f;
#pragma unroll
  for (int i = 0; i < 4; ++i) v += acc[i].x[0];
  if (v == 12345.0f) *sink = v;
}

template <int DT, int CAP>
void launch_one(const FusedArgs& a, float* cs, uint32_t* ci, int splits, bool vec, cudaStream_t st) {
  const size_t smem = fused_smem<CAP>();
  check(cudaFuncSetAttribute(fused_kernel<DT, CAP>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
        "cudaFuncSetAttribute (fused)");
  dim3 grid((a.m + BN - 1) / BN, splits);
  fused_kernel<DT, CAP><<<grid, kThreads, smem, st>>>(a, *a.mx, cs, ci, splits, vec);
  check_launch("fused_kernel");
}

}  // namespace

int fused_splits(size_t n, int m, int cap) {
  const int sms = device_props().multiProcessorCount;
  const size_t smem = cap <= 32 ? fused_smem<32>() : fused_smem<128>();
  const int per_sm = std::max(1, static_cast<int>(device_props().sharedMemPerMultiprocessor / (smem + 2048)));
  const int qtiles = (m + BN - 1) / BN;
  const size_t tiles = (n + BM - 1) / BM;
  const int want = std::max(1, sms * per_sm * 2 / qtiles);
  return static_cast<int>(std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(want), tiles)));
}

void launch_fused(const FusedArgs& a, float* cs, uint32_t* ci, int cap, int splits, cudaStream_t st) {
  const bool vec = a.mx->dim % 8 == 0;
  const bool small = cap <= 32;
  switch (a.mx->dtype) {
    case DType::F32: small ? launch_one<0, 32>(a, cs, ci, splits, vec, st) : launch_one<0, 128>(a, cs, ci, splits, vec, st); break;
    case DType::F16: small ? launch_one<1, 32>(a, cs, ci, splits, vec, st) : launch_one<1, 128>(a, cs, ci, splits, vec, st); break;
    case DType::I8: small ? launch_one<2, 32>(a, cs, ci, splits, vec, st) : launch_one<2, 128>(a, cs, ci, splits, vec, st); break;
  }
}

void launch_prepare_queries(const float* q, int m, int dim, int dpad, __half* qh, float* qscale, float*, cudaStream_t st) {
  const int mpad = (m + BN - 1) / BN * BN;
  prepare_queries_kernel<<<mpad, 256, 0, st>>>(q, m, dim, dpad, qh, qscale);
  check_launch("prepare_queries_kernel");
}

double bench_tensor_peak(int reps) {
  ensure_device();
  cudaStream_t st = thread_stream();
  DeviceBuffer<float> sink(1, st);
  const int sms = device_props().multiProcessorCount, blocks = sms * 4, threads = 256, iters = 4096;
  tensor_peak_kernel<<<blocks, threads, 0, st>>>(iters, sink.get());  // warm-up
  check_launch("tensor_peak_kernel");
  cudaEvent_t a, b;
  check(cudaEventCreate(&a), "cudaEventCreate");
  check(cudaEventCreate(&b), "cudaEventCreate");
  check(cudaEventRecord(a, st), "cudaEventRecord");
  for (int r = 0; r < reps; ++r) tensor_peak_kernel<<<blocks, threads, 0, st>>>(iters, sink.get());
  check_launch("tensor_peak_kernel");
  check(cudaEventRecord(b, st), "cudaEventRecord");
  check(cudaEventSynchronize(b), "cudaEventSynchronize");
  float ms = 0;
  check(cudaEventElapsedTime(&ms, a, b), "cudaEventElapsedTime");
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  const double flops = 2.0 * 16 * 16 * 16 * 4 * iters * (threads / 32) * static_cast<double>(blocks) * reps;
  return flops / (ms / 1e3);
}

}  // namespace cuda
}  // namespace tamsaek
