// Internals shared by the .cu files: error checks that throw cuda::Error, RAII device and pinned
// buffers, the per-thread stream, the resident Matrix, and small device helpers.
#pragma once
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "api.h"

namespace tamsaek {
namespace cuda {

[[noreturn]] void throw_cuda(cudaError_t e, const char* what);
inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw_cuda(e, what);
}
// After a kernel launch: launch configuration errors now, execution errors at the next sync.
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

// Makes device 0 current for this thread, or throws Unavailable with the reason.
void ensure_device();
const cudaDeviceProp& device_props();

// The calling thread's stream (non-blocking, created on first use; worker threads each get their own).
cudaStream_t thread_stream();

// Stream-ordered device allocation (cudaMallocAsync), freed on the same stream when it goes out of scope.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(size_t n, cudaStream_t st) { reset(n, st); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void reset(size_t n, cudaStream_t st) {
    release();
    st_ = st;
    n_ = n;
    if (n) check(cudaMallocAsync(reinterpret_cast<void**>(&p_), n * sizeof(T), st), "cudaMallocAsync");
  }
  T* get() const { return p_; }
  size_t size() const { return n_; }
  size_t bytes() const { return n_ * sizeof(T); }

 private:
  void release() {
    if (p_) cudaFreeAsync(p_, st_);  // errors here would be sticky ones already reported
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  size_t n_ = 0;
  cudaStream_t st_ = nullptr;
};

// Host -> device copy through two pinned staging buffers: the memcpy into one buffer overlaps the DMA
// of the other, so pageable JS memory reaches the device at close to the PCIe rate.
void upload(void* dst, const void* src, size_t bytes, cudaStream_t st);
// Device -> host through the same staging buffers (waits for the copy).
void download(void* dst, const void* src, size_t bytes, cudaStream_t st);

// Device-resident row store. data: n x dim in the dtype's layout; norms2: |x|^2 as stored; rowscale:
// the factor the batched kernel multiplies a tile dot by (f32: max|x| of the row, the tile holds x/max;
// i8: the row scale, the tile holds the integers; f16: 1).
struct MatrixData {
  DType dtype = DType::F32;
  size_t dim = 0, n = 0, cap = 0;
  void* data = nullptr;
  float* norms2 = nullptr;
  float* scales = nullptr;   // i8 only
  float* rowscale = nullptr;
};

size_t dtype_bytes(DType d);

// Launchers (defined in the .cu file of their concern).
// Passed to kernels by value: everything in it must be a device pointer or a plain value.
struct ScanArgs {
  MatrixData mx;
  const float* queries;      // m x dim fp32 (device)
  const float* qnorm2;       // m (device)
  const uint8_t* allow;      // bitmap or null (device)
  int metric;
  int m;
  int k;
};
// Per-block candidate lists (cand_s/cand_i: m x blocks_per_query x cap), returns blocks_per_query.
int launch_scan(const ScanArgs& a, float* cand_s, uint32_t* cand_i, int cap, cudaStream_t st);
int scan_blocks_per_query(size_t n, int m);

struct FusedArgs {
  const MatrixData* mx;      // host-side only (the launcher passes *mx to the kernel by value)
  const __half* qh;          // mpad x dpad fp16 (scaled by 1/max|q|), zero padded
  const float* qscale;       // mpad: max|q|
  const float* qnorm2;       // m
  const uint8_t* allow;
  int metric, m, dpad;
};
int fused_splits(size_t n, int m, int cap);
void launch_fused(const FusedArgs& a, float* cand_s, uint32_t* cand_i, int cap, int splits, cudaStream_t st);
void launch_prepare_queries(const float* q, int m, int dim, int dpad, __half* qh, float* qscale, float* qnorm2,
                            cudaStream_t st);

// Merges `lists` sorted lists of `cap` per query into the best k, optionally rescoring the candidates
// exactly in fp32 first (fused / baseline paths, whose tile scores are fp16 products).
void launch_merge(const float* cand_s, const uint32_t* cand_i, int lists, int cap, int m, int k, bool rescore,
                  const ScanArgs& exact, float* out_s, uint32_t* out_i, cudaStream_t st);

// cuBLAS GEMM (fp16 in, fp32 out) then selection: the baseline the fused kernel is measured against.
void baseline_search(const MatrixData& mx, const __half* qh, const float* qscale, const ScanArgs& exact, int cap,
                     float* out_s, uint32_t* out_i, cudaStream_t st);

void launch_rowscale(MatrixData& mx, size_t row0, size_t count, cudaStream_t st);
void launch_read(const void* data, size_t bytes, float* sink, cudaStream_t st);

// ---- device helpers
#if defined(__CUDACC__)
__device__ __forceinline__ bool row_allowed(const uint8_t* allow, uint32_t row) {
  return allow == nullptr || ((allow[row >> 3] >> (row & 7)) & 1);
}
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
#endif

}  // namespace cuda
}  // namespace tamsaek
