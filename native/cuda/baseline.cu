// The baseline the fused kernel must beat: cuBLAS GEMM (fp16 inputs, fp32 scores, tensor cores) into a
// score matrix for a chunk of rows, then a selection kernel over it, chunk after chunk. cuBLAS is
// opened at run time (dlopen), so the addon neither needs cuBLAS to build nor to load; without it only
// this baseline (a bench comparison) is unavailable.
#include <dlfcn.h>
#include <library_types.h>

#include <algorithm>
#include <mutex>

#include "common.cuh"
#include "rows.cuh"
#include "score.h"
#include "select.h"

namespace tamsaek {
namespace cuda {
namespace {

// The few cuBLAS entry points used, declared by their documented C signatures.
using Handle = void*;
using CreateFn = int (*)(Handle*);
using SetStreamFn = int (*)(Handle, cudaStream_t);
using GemmExFn = int (*)(Handle, int, int, int, int, int, const void*, const void*, cudaDataType, int, const void*,
                         cudaDataType, int, const void*, void*, cudaDataType, int, int, int);
constexpr int kOpN = 0, kOpT = 1, kCompute32F = 68, kGemmDefault = -1;

struct Cublas {
  void* lib = nullptr;
  CreateFn create = nullptr;
  SetStreamFn set_stream = nullptr;
  GemmExFn gemm = nullptr;
  std::string why;
};

Cublas& cublas() {
  static Cublas c = [] {
    Cublas x;
    const char* env = getenv("TAMSAEK_CUBLAS_PATH");
    const char* names[] = {env, "libcublas.so.13", "libcublas.so.12", "libcublas.so"};
    for (const char* n : names) {
      if (n && (x.lib = dlopen(n, RTLD_NOW | RTLD_LOCAL))) break;
    }
    if (!x.lib) {
      x.why = "libcublas.so (12 or 13) not found; set TAMSAEK_CUBLAS_PATH";
      return x;
    }
    x.create = reinterpret_cast<CreateFn>(dlsym(x.lib, "cublasCreate_v2"));
    x.set_stream = reinterpret_cast<SetStreamFn>(dlsym(x.lib, "cublasSetStream_v2"));
    x.gemm = reinterpret_cast<GemmExFn>(dlsym(x.lib, "cublasGemmEx"));
    if (!x.create || !x.set_stream || !x.gemm) x.why = "libcublas lacks cublasCreate_v2/cublasSetStream_v2/cublasGemmEx";
    return x;
  }();
  return c;
}

// One handle per host thread (cuBLAS handles are not meant to be shared across threads).
Handle thread_handle() {
  thread_local Handle h = [] {
    Handle x = nullptr;
    if (int e = cublas().create(&x)) throw Error("cublasCreate failed with status " + std::to_string(e));
    return x;
  }();
  return h;
}

// Scores of one chunk: S (rows x m, column-major: each query's scores contiguous) -> per-block lists.
__global__ void __launch_bounds__(kScanThreads) select_kernel(const float* S, size_t rows, size_t row0, ScanArgs a,
                                                              const float* qscale, float* cand_s, uint32_t* cand_i, int cap,
                                                              int lists_per_query, int list0, int rows_per_block) {
  extern __shared__ __align__(16) unsigned char smem[];
  float* ls = reinterpret_cast<float*>(smem);
  uint32_t* li = reinterpret_cast<uint32_t*>(ls + kScanWarps * cap);
  float* ts = reinterpret_cast<float*>(li + kScanWarps * cap);
  uint32_t* ti = reinterpret_cast<uint32_t*>(ts + kScanWarps / 2 * cap);
  __shared__ int len[kScanWarps];
  const int j = blockIdx.y, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) len[warp] = 0;
  __syncthreads();
  const MatrixData& mx = a.mx;
  const float qs = qscale[j], qn2 = a.qnorm2[j];
  const float qinv = qn2 > 0.0f ? rsqrtf(qn2) : 0.0f;
  const size_t b0 = static_cast<size_t>(blockIdx.x) * rows_per_block, b1 = min(rows, b0 + rows_per_block);
  float thr = rec::neg_inf();
  for (size_t base = b0 + warp * 32; base < b1; base += kScanWarps * 32) {
    const size_t r = base + lane, row = row0 + r;
    float s = rec::neg_inf();
    bool ok = r < b1 && row_allowed(a.allow, static_cast<uint32_t>(row));
    if (ok) s = rec::finish_score(a.metric, S[static_cast<size_t>(j) * rows + r] * qs, mx.norms2[row], qn2, qinv);
    unsigned hits = __ballot_sync(0xffffffffu, ok && s >= thr);
    while (hits) {  // lane 0 inserts the lanes that may enter, in row order
      const int src = __ffs(hits) - 1;
      hits &= hits - 1;
      const float v = __shfl_sync(0xffffffffu, s, src);
      if (lane == 0) {
        rec::topk_insert(ls + warp * cap, li + warp * cap, &len[warp], cap, v, static_cast<uint32_t>(row0 + base + src));
        thr = rec::topk_threshold(ls + warp * cap, len[warp], cap);
      }
    }
    thr = __shfl_sync(0xffffffffu, thr, 0);
  }
  merge_warp_lists(ls, li, len, ts, ti, cap);
  const size_t at = (static_cast<size_t>(j) * lists_per_query + list0 + blockIdx.x) * cap;
  for (int t = threadIdx.x; t < cap; t += blockDim.x) {
    cand_s[at + t] = t < len[0] ? ls[t] : rec::neg_inf();
    cand_i[at + t] = t < len[0] ? li[t] : rec::kNoRow;
  }
}

}  // namespace

bool cublas_available(std::string* why) {
  Cublas& c = cublas();
  if (why) *why = c.why;
  return c.why.empty();
}

void baseline_search(const MatrixData& mx, const __half* qh, const float* qscale, const ScanArgs& exact, int cap,
                     float* out_s, uint32_t* out_i, cudaStream_t st) {
  std::string why;
  if (!cublas_available(&why)) throw Unavailable(why);
  if (mx.dtype != DType::F16) throw std::invalid_argument("the cuBLAS baseline searches fp16 rows only");
  const int m = exact.m, dim = static_cast<int>(mx.dim), dpad = (dim + 31) / 32 * 32;
  Handle h = thread_handle();
  if (int e = cublas().set_stream(h, st)) throw Error("cublasSetStream failed with status " + std::to_string(e));
  // chunks of rows whose score matrix stays under 256 MiB
  const size_t chunk = std::min(mx.n, std::max<size_t>(4096, (size_t(64) << 20) / static_cast<size_t>(m)));
  const size_t chunks = (mx.n + chunk - 1) / chunk;
  const int bpc = static_cast<int>(std::min<size_t>(8, (chunk + 2047) / 2048));  // select blocks per chunk and query
  const int lists = static_cast<int>(chunks) * bpc;
  DeviceBuffer<float> S(chunk * m, st);
  DeviceBuffer<float> cs(static_cast<size_t>(m) * lists * cap, st);
  DeviceBuffer<uint32_t> ci(static_cast<size_t>(m) * lists * cap, st);
  const float one = 1.0f, zero = 0.0f;
  const size_t smem = static_cast<size_t>(kScanWarps) * cap * 8 + static_cast<size_t>(kScanWarps / 2) * cap * 8;
  check(cudaFuncSetAttribute(select_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)), "cudaFuncSetAttribute");
  for (size_t c = 0; c < chunks; ++c) {
    const size_t row0 = c * chunk, rows = std::min(chunk, mx.n - row0);
    const __half* A = static_cast<const __half*>(mx.data) + row0 * dim;
    // S (rows x m, col-major) = X_chunk (rows x dim, row-major = dim x rows col-major)^T . Qh (dpad x m col-major)
    int e = cublas().gemm(h, kOpT, kOpN, static_cast<int>(rows), m, dim, &one, A, CUDA_R_16F, dim, qh, CUDA_R_16F, dpad,
                          &zero, S.get(), CUDA_R_32F, static_cast<int>(rows), kCompute32F, kGemmDefault);
    if (e) throw Error("cublasGemmEx failed with status " + std::to_string(e));
    const int rpb = static_cast<int>((rows + bpc - 1) / bpc);
    select_kernel<<<dim3(bpc, m), kScanThreads, smem, st>>>(S.get(), rows, row0, exact, qscale, cs.get(), ci.get(), cap, lists,
                                                          static_cast<int>(c) * bpc, rpb);
    check_launch("select_kernel");
  }
  launch_merge(cs.get(), ci.get(), lists, cap, m, exact.k, true, exact, out_s, out_i, st);
}

}  // namespace cuda
}  // namespace tamsaek
