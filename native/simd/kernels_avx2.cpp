// AVX2 + FMA + F16C kernels. This is the only translation unit compiled with -mavx2 -mfma -mf16c;
// nothing here runs unless cpu detection found all three (see kernels_scalar.cpp: choose_auto).
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels.h"

namespace tamsaek {
namespace {

inline float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  __m128 sh = _mm_movehdup_ps(lo);
  __m128 s = _mm_add_ps(lo, sh);
  sh = _mm_movehl_ps(sh, s);
  s = _mm_add_ss(s, sh);
  return _mm_cvtss_f32(s);
}

inline __m256 tail_mask(size_t rem) {  // first rem lanes set
  alignas(32) static const int m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_castsi256_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(m + 8 - rem)));
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
    __m256 m = tail_mask(n - i);
    __m256 x = _mm256_maskload_ps(a + i, _mm256_castps_si256(m));
    __m256 y = _mm256_maskload_ps(b + i, _mm256_castps_si256(m));
    s1 = _mm256_fmadd_ps(x, y, s1);
  }
  return hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

float dot_f16(const float* q, const uint16_t* x, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(x + i))), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(x + i + 8))), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 16), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(x + i + 16))), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 24), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(x + i + 24))), s3);
  }
  for (; i + 8 <= n; i += 8)
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(x + i))), s0);
  float t = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; i < n; ++i) t += q[i] * _cvtsh_ss(x[i]);
  return t;
}

inline __m256 ld_i8(const int8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

// 16 products per step: x widened to int16, _mm256_madd_epi16 adds adjacent pairs into 8 int32 lanes.
int64_t dot_i16_i8(const int16_t* q, const int8_t* x, size_t n) {
  int64_t total = 0;
  size_t i = 0;
  while (i + 16 <= n) {
    const size_t end = std::min(n, i + kI8Block);
    __m256i s0 = _mm256_setzero_si256(), s1 = s0;
    for (; i + 32 <= end; i += 32) {
      const __m256i x0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
      const __m256i x1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i + 16)));
      s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i)), x0));
      s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i + 16)), x1));
    }
    for (; i + 16 <= end; i += 16) {
      const __m256i x0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
      s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i)), x0));
    }
    alignas(32) int32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), _mm256_add_epi32(s0, s1));
    for (int32_t v : lanes) total += v;
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
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (size_t p = 0; p < kc; ++p) {
    __m256 b0 = _mm256_load_ps(Bp), b1 = _mm256_load_ps(Bp + 8);
    Bp += kNR;
    __m256 a;
    a = _mm256_broadcast_ss(a0 + p); c00 = _mm256_fmadd_ps(a, b0, c00); c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(a1 + p); c10 = _mm256_fmadd_ps(a, b0, c10); c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(a2 + p); c20 = _mm256_fmadd_ps(a, b0, c20); c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(a3 + p); c30 = _mm256_fmadd_ps(a, b0, c30); c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(a4 + p); c40 = _mm256_fmadd_ps(a, b0, c40); c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(a5 + p); c50 = _mm256_fmadd_ps(a, b0, c50); c51 = _mm256_fmadd_ps(a, b1, c51);
  }
  if (mr == kMR && nr == kNR) {
#define TSK_ST(r, x0, x1)                                                                   \
  do {                                                                                      \
    float* d = C + (r) * ldc;                                                               \
    if (accumulate) {                                                                       \
      _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), x0));                           \
      _mm256_storeu_ps(d + 8, _mm256_add_ps(_mm256_loadu_ps(d + 8), x1));                   \
    } else {                                                                                \
      _mm256_storeu_ps(d, x0);                                                              \
      _mm256_storeu_ps(d + 8, x1);                                                          \
    }                                                                                       \
  } while (0)
    TSK_ST(0, c00, c01); TSK_ST(1, c10, c11); TSK_ST(2, c20, c21);
    TSK_ST(3, c30, c31); TSK_ST(4, c40, c41); TSK_ST(5, c50, c51);
#undef TSK_ST
    return;
  }
  alignas(32) float t[kMR][kNR];
  _mm256_store_ps(t[0], c00); _mm256_store_ps(t[0] + 8, c01);
  _mm256_store_ps(t[1], c10); _mm256_store_ps(t[1] + 8, c11);
  _mm256_store_ps(t[2], c20); _mm256_store_ps(t[2] + 8, c21);
  _mm256_store_ps(t[3], c30); _mm256_store_ps(t[3] + 8, c31);
  _mm256_store_ps(t[4], c40); _mm256_store_ps(t[4] + 8, c41);
  _mm256_store_ps(t[5], c50); _mm256_store_ps(t[5] + 8, c51);
  for (int r = 0; r < mr; ++r)
    for (int c = 0; c < nr; ++c) {
      float* d = C + r * ldc + c;
      *d = accumulate ? *d + t[r][c] : t[r][c];
    }
}

void f16_to_f32(const uint16_t* s, float* d, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(s + i))));
  for (; i < n; ++i) d[i] = _cvtsh_ss(s[i]);
}
void f32_to_f16(const float* s, uint16_t* d, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128((__m128i*)(d + i), _mm256_cvtps_ph(_mm256_loadu_ps(s + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) d[i] = _cvtss_sh(s[i], _MM_FROUND_TO_NEAREST_INT);
}
void i8_to_f32(const int8_t* s, float scale, float* d, size_t n) {
  const __m256 sc = _mm256_set1_ps(scale);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_mul_ps(sc, ld_i8(s + i)));
  for (; i < n; ++i) d[i] = scale * static_cast<float>(s[i]);
}

// Cephes-style expf: n = round(x log2 e), r = x - n ln 2 (two-part), degree-6 polynomial, times 2^n.
inline __m256 exp8(__m256 x) {
  const __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(-87.33f), _CMP_LT_OQ);  // also true for -inf
  x = _mm256_min_ps(x, _mm256_set1_ps(88.37f));
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.33f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  y = _mm256_mul_ps(y, _mm256_castsi256_ps(e));
  return _mm256_andnot_ps(tiny, y);
}

void vexp(const float* x, float* y, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float t[8];
    for (size_t j = 0; j < 8; ++j) t[j] = i + j < n ? x[i + j] : 0.0f;
    _mm256_store_ps(t, exp8(_mm256_load_ps(t)));
    for (size_t j = 0; i + j < n; ++j) y[i + j] = t[j];
  }
}

float max_sumexp(const float* x, size_t n, float* sum, float* y) {
  __m256 mv = _mm256_set1_ps(-INFINITY);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(x + i));
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
  float m = _mm_cvtss_f32(m4);
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  if (m == -INFINITY) { *sum = 0; return m; }
  const __m256 mb = _mm256_set1_ps(m);
  __m256 acc = _mm256_setzero_ps();
  for (i = 0; i + 8 <= n; i += 8) acc = _mm256_add_ps(acc, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), mb)));
  float s = hsum(acc);
  if (i < n) {
    size_t r = n - i;
    for (size_t j = 0; j < r; ++j) y[j] = x[i + j] - m;
    vexp(y, y, r);
    for (size_t j = 0; j < r; ++j) s += y[j];
  }
  *sum = s;
  return m;
}

float stream_read(const float* x, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_loadu_ps(x + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_loadu_ps(x + i + 24));
  }
  float t = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; i < n; ++i) t += x[i];
  return t;
}

double peak_fma(size_t iters, float* sink) {
  __m256 c[12];
  for (int i = 0; i < 12; ++i) c[i] = _mm256_set1_ps(0.001f * static_cast<float>(i));
  const __m256 m = _mm256_set1_ps(0.9999f), a = _mm256_set1_ps(1e-7f);
  for (size_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) c[i] = _mm256_fmadd_ps(c[i], m, a);
  }
  __m256 s = c[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, c[i]);
  *sink = hsum(s);
  return static_cast<double>(iters) * 12 * 8 * 2;
}

const Kernels kAvx2 = {"avx2", kNR, dot_f32, dot_f16, dot_i16_i8, ukr, f16_to_f32, f32_to_f16, i8_to_f32, vexp,
                       max_sumexp, stream_read, peak_fma};

}  // namespace

const Kernels* avx2_kernels() { return &kAvx2; }

}  // namespace tamsaek
