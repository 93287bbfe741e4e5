#include "gemm.h"

#include <algorithm>
#include <cstring>

#include "../simd/kernels.h"

namespace tamsaek {

void pack_b(size_t k, size_t n, const float* B, size_t rs_p, size_t cs_j, float* dst, size_t NR) {
  const size_t strips = (n + NR - 1) / NR;
  for (size_t s = 0; s < strips; ++s) {
    float* d = dst + s * k * NR;
    const size_t j0 = s * NR;
    const size_t nr = std::min<size_t>(NR, n - j0);
    if (cs_j == 1) {
      for (size_t p = 0; p < k; ++p) {
        const float* src = B + p * rs_p + j0;
        float* o = d + p * NR;
        std::memcpy(o, src, nr * sizeof(float));
        for (size_t j = nr; j < NR; ++j) o[j] = 0.f;
      }
    } else {
      for (size_t j = 0; j < NR; ++j) {
        if (j < nr) {
          const float* src = B + (j0 + j) * cs_j;
          for (size_t p = 0; p < k; ++p) d[p * NR + j] = src[p * rs_p];
        } else {
          for (size_t p = 0; p < k; ++p) d[p * NR + j] = 0.f;
        }
      }
    }
  }
}

void gemm_packed(const Kernels& K, size_t m, size_t n, size_t k, const float* A, size_t lda, const float* Bp, float* C,
                 size_t ldc, bool accumulate, const void* pf, size_t pf_bytes) {
  const size_t NR = static_cast<size_t>(K.nr);
  // k-blocking (measured on Zen 5): 384 for 16-wide panels (24 KiB slice in L1); 32-wide AVX-512
  // panels ran best unblocked up to k = 768 (0.84 vs 0.76 of peak at 192), the slice streaming from L2.
  const size_t KC = NR > kNR ? 2 * kKC : kKC;
  const size_t strips = (n + NR - 1) / NR;
  if (k == 0) {
    if (!accumulate)
      for (size_t i = 0; i < m; ++i) std::memset(C + i * ldc, 0, n * sizeof(float));
    return;
  }
  const size_t calls = ((k + KC - 1) / KC) * strips * ((m + kMR - 1) / kMR);
  const size_t pf_lines = (pf_bytes + 63) / 64;
  const size_t per_call = pf ? (pf_lines + calls - 1) / calls : 0;
  const char* pfp = static_cast<const char*>(pf);
  size_t pf_done = 0;
  for (size_t pc = 0; pc < k; pc += KC) {
    const size_t kc = std::min(KC, k - pc);
    const int acc = (accumulate || pc > 0) ? 1 : 0;
    for (size_t s = 0; s < strips; ++s) {
      const float* b = Bp + s * k * NR + pc * NR;
      const int nr = static_cast<int>(std::min<size_t>(NR, n - s * NR));
      for (size_t i = 0; i < m; i += kMR) {
        const int mr = static_cast<int>(std::min<size_t>(kMR, m - i));
        for (size_t q = 0; q < per_call && pf_done < pf_lines; ++q, ++pf_done) __builtin_prefetch(pfp + pf_done * 64, 0, 2);
        K.ukr(kc, A + i * lda + pc, lda, b, C + i * ldc + s * NR, ldc, mr, nr, acc);
      }
    }
  }
}

}  // namespace tamsaek
