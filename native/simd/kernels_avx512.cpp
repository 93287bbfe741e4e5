// AVX-512 (F + BW + VL) kernels: 512-bit scans and a 6x32 GEMM micro-kernel. The only translation
// unit built with -mavx512f -mavx512bw -mavx512vl; selected by kernels_scalar.cpp (choose_auto) only
// when the CPU and OS support it AND a calibration at load shows its FMA throughput beating AVX2
// (true on cores with a full-width 512-bit datapath such as AMD Zen 5; not on double-pumped ones).
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels.h"

namespace tamsaek {
namespace {

constexpr int kNR512 = 32;

// The fp32 scan is memory-bound; 256-bit loads split fewer cache lines on unaligned rows than
// 512-bit ones and measured faster here, so the fp32 dot stays 256-bit (same code as the AVX2 family).
inline float hsum256(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  __m128 sh = _mm_movehdup_ps(lo);
  __m128 s = _mm_add_ps(lo, sh);
  sh = _mm_movehl_ps(sh, s);
  s = _mm_add_ss(s, sh);
  return _mm_cvtss_f32(s);
}

float dot_f32(const float* a, const float* b, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  if (i < n) {
    const __mmask8 m = static_cast<__mmask8>((1u << (n - i)) - 1u);
    s1 = _mm256_fmadd_ps(_mm256_maskz_loadu_ps(m, a + i), _mm256_maskz_loadu_ps(m, b + i), s1);
  }
  return hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

inline __m512 ld_f16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
inline __m512 ld_i8(const int8_t* p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}

float dot_f16(const float* q, const uint16_t* x, size_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), ld_f16(x + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), ld_f16(x + i + 16), s1);
    s2 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 32), ld_f16(x + i + 32), s2);
    s3 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 48), ld_f16(x + i + 48), s3);
  }
  for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), ld_f16(x + i), s0);
  float t = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  for (; i < n; ++i) t += q[i] * _cvtsh_ss(x[i]);
  return t;
}

// 32 products per step: x widened to int16, _mm512_madd_epi16 adds adjacent pairs into 16 int32 lanes.
int64_t dot_i16_i8(const int16_t* q, const int8_t* x, size_t n) {
  int64_t total = 0;
  size_t i = 0;
  while (i + 32 <= n) {
    const size_t end = std::min(n, i + kI8Block);
    __m512i s0 = _mm512_setzero_si512(), s1 = s0;
    for (; i + 64 <= end; i += 64) {
      const __m512i x0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)));
      const __m512i x1 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i + 32)));
      s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(_mm512_loadu_si512(q + i), x0));
      s1 = _mm512_add_epi32(s1, _mm512_madd_epi16(_mm512_loadu_si512(q + i + 32), x1));
    }
    for (; i + 32 <= end; i += 32) {
      const __m512i x0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)));
      s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(_mm512_loadu_si512(q + i), x0));
    }
    const __m512i s = _mm512_add_epi32(s0, s1);
    total += _mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(s)),
                                                      _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(s, 1))));
  }
  for (; i < n; ++i) total += static_cast<int32_t>(q[i]) * static_cast<int32_t>(x[i]);
  return total;
}

void ukr(size_t kc, const float* A, size_t lda, const float* Bp, float* C, size_t ldc, int mr, int nr,
         int accumulate) {
  const float* a0 = A;
  const float* a1 = mr > 1 ? A + lda : A;
  const float* a2 = mr > 2 ? A + 2 * lda : A;
  const float* a3 = mr > 3 ? A + 3 * lda : A;
  const float* a4 = mr > 4 ? A + 4 * lda : A;
  const float* a5 = mr > 5 ? A + 5 * lda : A;
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (size_t p = 0; p < kc; ++p) {
    __m512 b0 = _mm512_load_ps(Bp), b1 = _mm512_load_ps(Bp + 16);
    Bp += kNR512;
    __m512 a;
    a = _mm512_set1_ps(a0[p]); c00 = _mm512_fmadd_ps(a, b0, c00); c01 = _mm512_fmadd_ps(a, b1, c01);
    a = _mm512_set1_ps(a1[p]); c10 = _mm512_fmadd_ps(a, b0, c10); c11 = _mm512_fmadd_ps(a, b1, c11);
    a = _mm512_set1_ps(a2[p]); c20 = _mm512_fmadd_ps(a, b0, c20); c21 = _mm512_fmadd_ps(a, b1, c21);
    a = _mm512_set1_ps(a3[p]); c30 = _mm512_fmadd_ps(a, b0, c30); c31 = _mm512_fmadd_ps(a, b1, c31);
    a = _mm512_set1_ps(a4[p]); c40 = _mm512_fmadd_ps(a, b0, c40); c41 = _mm512_fmadd_ps(a, b1, c41);
    a = _mm512_set1_ps(a5[p]); c50 = _mm512_fmadd_ps(a, b0, c50); c51 = _mm512_fmadd_ps(a, b1, c51);
  }
  if (mr == kMR && nr == kNR512) {
#define TSK_ST(r, x0, x1)                                                                   \
  do {                                                                                      \
    float* d = C + (r) * ldc;                                                               \
    if (accumulate) {                                                                       \
      _mm512_storeu_ps(d, _mm512_add_ps(_mm512_loadu_ps(d), x0));                           \
      _mm512_storeu_ps(d + 16, _mm512_add_ps(_mm512_loadu_ps(d + 16), x1));                 \
    } else {                                                                                \
      _mm512_storeu_ps(d, x0);                                                              \
      _mm512_storeu_ps(d + 16, x1);                                                         \
    }                                                                                       \
  } while (0)
    TSK_ST(0, c00, c01); TSK_ST(1, c10, c11); TSK_ST(2, c20, c21);
    TSK_ST(3, c30, c31); TSK_ST(4, c40, c41); TSK_ST(5, c50, c51);
#undef TSK_ST
    return;
  }
  alignas(64) float t[kMR][kNR512];
  _mm512_store_ps(t[0], c00); _mm512_store_ps(t[0] + 16, c01);
  _mm512_store_ps(t[1], c10); _mm512_store_ps(t[1] + 16, c11);
  _mm512_store_ps(t[2], c20); _mm512_store_ps(t[2] + 16, c21);
  _mm512_store_ps(t[3], c30); _mm512_store_ps(t[3] + 16, c31);
  _mm512_store_ps(t[4], c40); _mm512_store_ps(t[4] + 16, c41);
  _mm512_store_ps(t[5], c50); _mm512_store_ps(t[5] + 16, c51);
  for (int r = 0; r < mr; ++r)
    for (int c = 0; c < nr; ++c) {
      float* d = C + r * ldc + c;
      *d = accumulate ? *d + t[r][c] : t[r][c];
    }
}

void f16_to_f32(const uint16_t* s, float* d, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(d + i, ld_f16(s + i));
  for (; i < n; ++i) d[i] = _cvtsh_ss(s[i]);
}
void f32_to_f16(const float* s, uint16_t* d, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + i), _mm512_cvtps_ph(_mm512_loadu_ps(s + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) d[i] = _cvtss_sh(s[i], _MM_FROUND_TO_NEAREST_INT);
}
void i8_to_f32(const int8_t* s, float scale, float* d, size_t n) {
  const __m512 sc = _mm512_set1_ps(scale);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(d + i, _mm512_mul_ps(sc, ld_i8(s + i)));
  for (; i < n; ++i) d[i] = scale * static_cast<float>(s[i]);
}

// Same Cephes-style expf as the AVX2 kernels, 16 lanes.
inline __m512 exp16(__m512 x) {
  const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.33f), _CMP_LT_OQ);
  x = _mm512_min_ps(x, _mm512_set1_ps(88.37f));
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.33f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 y = _mm512_set1_ps(1.9875691500e-4f);
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.3981999507e-3f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(8.3334519073e-3f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(4.1665795894e-2f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.6666665459e-1f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(5.0000001201e-1f));
  y = _mm512_fmadd_ps(y, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  y = _mm512_mul_ps(y, _mm512_castsi512_ps(e));
  return _mm512_maskz_mov_ps(static_cast<__mmask16>(~tiny), y);
}

void vexp(const float* x, float* y, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, exp16(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, m, exp16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

float max_sumexp(const float* x, size_t n, float* sum, float* y) {
  (void)y;
  __m512 mv = _mm512_set1_ps(-INFINITY);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) mv = _mm512_max_ps(mv, _mm512_loadu_ps(x + i));
  __mmask16 tm = 0;
  if (i < n) {
    tm = static_cast<__mmask16>((1u << (n - i)) - 1u);
    mv = _mm512_max_ps(mv, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tm, x + i));
  }
  const float m = _mm512_reduce_max_ps(mv);
  if (m == -INFINITY) { *sum = 0; return m; }
  const __m512 mb = _mm512_set1_ps(m);
  __m512 acc = _mm512_setzero_ps();
  for (i = 0; i + 16 <= n; i += 16) acc = _mm512_add_ps(acc, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), mb)));
  if (i < n) acc = _mm512_add_ps(acc, _mm512_maskz_mov_ps(tm, exp16(_mm512_sub_ps(_mm512_mask_loadu_ps(mb, tm, x + i), mb))));
  *sum = _mm512_reduce_add_ps(acc);
  return m;
}

float stream_read(const float* x, size_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i));
    s1 = _mm512_add_ps(s1, _mm512_loadu_ps(x + i + 16));
    s2 = _mm512_add_ps(s2, _mm512_loadu_ps(x + i + 32));
    s3 = _mm512_add_ps(s3, _mm512_loadu_ps(x + i + 48));
  }
  float t = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  for (; i < n; ++i) t += x[i];
  return t;
}

double peak_fma(size_t iters, float* sink) {
  __m512 c[12];
  for (int i = 0; i < 12; ++i) c[i] = _mm512_set1_ps(0.001f * static_cast<float>(i));
  const __m512 m = _mm512_set1_ps(0.9999f), a = _mm512_set1_ps(1e-7f);
  for (size_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) c[i] = _mm512_fmadd_ps(c[i], m, a);
  }
  __m512 s = c[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, c[i]);
  *sink = _mm512_reduce_add_ps(s);
  return static_cast<double>(iters) * 12 * 16 * 2;
}

const Kernels kAvx512 = {"avx512", kNR512, dot_f32, dot_f16, dot_i16_i8, ukr, f16_to_f32, f32_to_f16, i8_to_f32, vexp,
                         max_sumexp, stream_read, peak_fma};

}  // namespace

const Kernels* avx512_kernels() { return &kAvx512; }

}  // namespace tamsaek
