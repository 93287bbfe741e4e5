// Blocked single-precision GEMM on top of the kernel table's 6x16 micro-kernel.
// B is packed into NR-wide column strips (k x NR each, NR = the kernel family's panel width, zero padded); A rows are read in place,
// which suits both uses here: database rows x packed queries (search) and the loss tiles.
#pragma once
#include <cstddef>

#include "../simd/kernels.h"

namespace tamsaek {

constexpr size_t kKC = 384;  // k-blocking: one packed B strip slice (kKC x kNR floats = 24 KiB) stays in L1

inline size_t packed_b_floats(size_t k, size_t n, size_t nr) { return ((n + nr - 1) / nr) * nr * k; }

// Packs B (k x n, element (p, j) at B[p*rs_p + j*cs_j]) into strips.
// nr must be the panel width of the kernel family that will consume the panels (K.nr).
void pack_b(size_t k, size_t n, const float* B, size_t rs_p, size_t cs_j, float* dst, size_t nr);

// C[i*ldc + j] (+)= sum_p A[i*lda + p] * B(p, j) for i < m, j < n (edge tiles store only valid
// rows and columns).
// Optional prefetch: the pf_bytes at pf (e.g. the next block of rows) are prefetched into cache in
// small slices spread across the micro-kernel calls, so the memory traffic overlaps the FMAs.
void gemm_packed(const Kernels& K, size_t m, size_t n, size_t k, const float* A, size_t lda, const float* Bp, float* C,
                 size_t ldc, bool accumulate, const void* pf = nullptr, size_t pf_bytes = 0);

}  // namespace tamsaek
