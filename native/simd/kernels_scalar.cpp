// Portable kernels: correct on every target, and the reference the SIMD kernels are tested against.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>

#include "../common/cpu.h"
#include "half.h"
#include "kernels.h"

namespace tamsaek {
namespace {

float dot_f32(const float* a, const float* b, size_t n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) s[j] += a[i + j] * b[i + j];
  float t = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
  for (; i < n; ++i) t += a[i] * b[i];
  return t;
}

float dot_f16(const float* q, const uint16_t* x, size_t n) {
  float s = 0;
  for (size_t i = 0; i < n; ++i) s += q[i] * half_to_float(x[i]);
  return s;
}

int64_t dot_i16_i8(const int16_t* q, const int8_t* x, size_t n) {
  int64_t s = 0;
  for (size_t i = 0; i < n; ++i) s += static_cast<int32_t>(q[i]) * static_cast<int32_t>(x[i]);
  return s;
}

void ukr(size_t kc, const float* A, size_t lda, const float* Bp, float* C, size_t ldc, int mr, int nr,
         int accumulate) {
  float acc[kMR][kNR] = {};
  for (size_t p = 0; p < kc; ++p) {
    const float* b = Bp + p * kNR;
    for (int r = 0; r < mr; ++r) {
      float a = A[r * lda + p];
      for (int c = 0; c < kNR; ++c) acc[r][c] += a * b[c];
    }
  }
  for (int r = 0; r < mr; ++r)
    for (int c = 0; c < nr; ++c) {
      float* dst = C + r * ldc + c;
      *dst = accumulate ? *dst + acc[r][c] : acc[r][c];
    }
}

void f16_to_f32(const uint16_t* s, float* d, size_t n) {
  for (size_t i = 0; i < n; ++i) d[i] = half_to_float(s[i]);
}
void f32_to_f16(const float* s, uint16_t* d, size_t n) {
  for (size_t i = 0; i < n; ++i) d[i] = float_to_half(s[i]);
}
void i8_to_f32(const int8_t* s, float scale, float* d, size_t n) {
  for (size_t i = 0; i < n; ++i) d[i] = scale * static_cast<float>(s[i]);
}

void vexp(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}

float max_sumexp(const float* x, size_t n, float* sum, float* y) {
  (void)y;
  float m = -INFINITY;
  for (size_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  float s = 0;
  if (m != -INFINITY)
    for (size_t i = 0; i < n; ++i) s += std::exp(x[i] - m);
  *sum = s;
  return m;
}

float stream_read(const float* x, size_t n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) s[j] += x[i + j];
  for (; i < n; ++i) s[0] += x[i];
  return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

double peak_fma(size_t iters, float* sink) {
  float acc[12][4];
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j < 4; ++j) acc[i][j] = 0.001f * static_cast<float>(i + j);
  const float m = 0.9999f, a = 1e-7f;
  for (size_t it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i)
      for (int j = 0; j < 4; ++j) acc[i][j] = acc[i][j] * m + a;
  float s = 0;
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j < 4; ++j) s += acc[i][j];
  *sink = s;
  return static_cast<double>(iters) * 12 * 4 * 2;
}

const Kernels kScalar = {"scalar", kNR, dot_f32, dot_f16, dot_i16_i8, ukr, f16_to_f32, f32_to_f16, i8_to_f32, vexp,
                         max_sumexp, stream_read, peak_fma};

bool avx2_ok() {
  const auto& f = cpu_features();
  return avx2_kernels() && f.avx2 && f.fma && f.f16c;
}
bool avx512_ok() {
  const auto& f = cpu_features();
  return avx2_ok() && avx512_kernels() && f.avx512f && f.avx512bw && f.avx512vl;
}

// AVX-512 is used only where it is faster: a ~2 ms calibration compares the FMA throughput of the two
// families (cores that split 512-bit ops in two show no gain, and then AVX2 is kept).
bool avx512_faster() {
  float sink = 0;
  auto rate = [&](const Kernels* k) {
    double best = 0;
    for (int rep = 0; rep < 3; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      double fl = k->peak_fma(100000, &sink);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (s > 0) best = std::max(best, fl / s);
    }
    return best;
  };
  return rate(avx512_kernels()) > 1.3 * rate(avx2_kernels());
}

const Kernels* choose_auto() {
  if (avx512_ok()) {
    static const bool faster = avx512_faster();
    if (faster) return avx512_kernels();
  }
  if (avx2_ok()) return avx2_kernels();
  return &kScalar;
}

const Kernels* g_active = nullptr;

const Kernels* initial() {
  const char* env = std::getenv("TAMSAEK_KERNEL");
  if (env && std::string(env) == "scalar") return &kScalar;
  if (env && std::string(env) == "avx2" && avx2_ok()) return avx2_kernels();
  return choose_auto();
}

}  // namespace

const Kernels& scalar_kernels() { return kScalar; }

const Kernels& active_kernels() {
  if (!g_active) g_active = initial();
  return *g_active;
}

bool set_active_kernels(const std::string& name) {
  if (name == "auto") { g_active = choose_auto(); return true; }
  if (name == "scalar") { g_active = &kScalar; return true; }
  if (name == "avx2") {
    if (!avx2_ok()) return false;
    g_active = avx2_kernels();
    return true;
  }
  if (name == "avx512") {
    if (!avx512_ok()) return false;
    g_active = avx512_kernels();
    return true;
  }
  return false;
}

std::string available_kernels() {
  std::string s = "scalar";
  if (avx2_ok()) s += ",avx2";
  if (avx512_ok()) s += ",avx512";
  return s;
}

#ifndef TAMSAEK_HAVE_AVX2
const Kernels* avx2_kernels() { return nullptr; }
#endif
#ifndef TAMSAEK_HAVE_AVX512
const Kernels* avx512_kernels() { return nullptr; }
#endif

}  // namespace tamsaek
