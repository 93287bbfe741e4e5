// Kernel table: every hot loop is reached through one of these function pointers, filled once at
// load by CPU detection (see common/cpu.h). kernels_scalar.cpp compiles for any target;
// kernels_avx2.cpp is the only file built with -mavx2 -mfma -mf16c (x86-64 only).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace tamsaek {

// Register tile of the GEMM micro-kernel: MR rows of A (broadcast) x NR columns of packed B.
constexpr int kMR = 6;
constexpr int kNR = 16;     // panel width of the scalar and AVX2 micro-kernels
constexpr int kMaxNR = 32;  // widest panel (AVX-512)
// dot_i16_i8 sums int32 lanes over blocks of at most this many elements before widening to int64: a
// lane then holds at most 128 pair sums of |q| <= 32767 times |x| <= 128, half of 2^31.
constexpr size_t kI8Block = 2048;

struct Kernels {
  const char* name;
  int nr;  // panel width (columns of packed B) of this family's micro-kernel
  float (*dot_f32)(const float* a, const float* b, size_t n);
  float (*dot_f16)(const float* q, const uint16_t* x, size_t n);   // x is IEEE binary16
  // sum_i q[i] * x[i], exactly (integer arithmetic: the same result from every kernel family). The
  // query is quantized to int16 by the caller (search.cpp), so an int8 row costs widening and a
  // multiply-add of integers instead of a conversion to float per element.
  int64_t (*dot_i16_i8)(const int16_t* q, const int8_t* x, size_t n);
  // C[r*ldc+c] (+)= sum_p A[r*lda+p] * Bp[p*NR+c] for r < mr (<= kMR), c < nr (<= NR = this->nr).
  // A rows are read in place (no packing); Bp is a packed kc x kNR panel (zero padded).
  void (*ukr)(size_t kc, const float* A, size_t lda, const float* Bp, float* C, size_t ldc,
              int mr, int nr, int accumulate);
  void (*f16_to_f32)(const uint16_t* src, float* dst, size_t n);
  void (*f32_to_f16)(const float* src, uint16_t* dst, size_t n);
  void (*i8_to_f32)(const int8_t* src, float scale, float* dst, size_t n);
  // y[i] = exp(x[i]) (relative error < 3e-7; exp(-inf) = 0 exactly; in place allowed).
  void (*vexp)(const float* x, float* y, size_t n);
  // Returns m = max_i x[i] and writes *sum = sum_i exp(x[i] - m) (-inf entries count 0; m = -inf and
  // *sum = 0 when all are -inf). Uses y (n floats) as scratch.
  float (*max_sumexp)(const float* x, size_t n, float* sum, float* y);
  // Bandwidth baseline: reads every float once (sum returned so it is not optimized away).
  float (*stream_read)(const float* x, size_t n);
  // FMA-bound loop: 12 independent accumulators, no memory traffic; returns flops performed.
  double (*peak_fma)(size_t iters, float* sink);
};

const Kernels& scalar_kernels();
const Kernels* avx2_kernels();    // nullptr when not compiled in (non-x86 builds)
const Kernels* avx512_kernels();  // nullptr when not compiled in
const Kernels& active_kernels();
// "auto" | "scalar" | "avx2" | "avx512"; returns false when the name is unknown or the CPU lacks it.
bool set_active_kernels(const std::string& name);
std::string available_kernels();

}  // namespace tamsaek
