#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <cmath>
#include <cstring>
#include <limits>

#include "../common/aligned.h"
#include "../common/threads.h"
#include "../simd/half.h"
#include "../simd/kernels.h"
#include "gemm.h"
#include "search.h"

namespace tamsaek {
namespace {

inline bool allowed(const Store& st, size_t i) {
  return st.allow == nullptr || (st.allow[i >> 3] >> (i & 7)) & 1;
}

struct QueryInfo {
  float norm2;    // |q|^2
  float inv_norm; // 1/|q| (0 when |q| = 0)
};

QueryInfo query_info(const Kernels& K, const float* q, size_t dim) {
  float n2 = K.dot_f32(q, q, dim);
  return {n2, n2 > 0 ? 1.0f / std::sqrt(n2) : 0.0f};
}

inline float finish_score(Metric metric, float dot, size_t row, const Store& st, const QueryInfo& qi) {
  switch (metric) {
    case Metric::Dot:
      return dot;
    case Metric::Cosine: {
      float n2 = st.norms2[row];
      return n2 > 0 ? dot * qi.inv_norm / std::sqrt(n2) : 0.0f;
    }
    case Metric::L2:
    default:
      return -(st.norms2[row] - 2.0f * dot + qi.norm2);
  }
}

// The query of an int8 scan in int16 codes (q[i] ~ codes[i] * step): integer products cost a fraction of
// converting every int8 element to float, and 16 bits keep the query's rounding (at most half a step,
// max|q| / 65534) far below the rows' own 8-bit rounding.
struct QueryCodes {
  std::vector<int16_t> codes;
  float step = 0;
};

QueryCodes query_codes(const Store& st, const float* q) {
  QueryCodes c;
  if (st.dtype != DType::I8) return c;
  float m = 0;
  for (size_t i = 0; i < st.dim; ++i) m = std::max(m, std::fabs(q[i]));
  c.codes.assign(st.dim, 0);
  if (!std::isfinite(m)) {
    c.step = std::numeric_limits<float>::quiet_NaN();  // as the float product would: no hits
    return c;
  }
  if (m == 0) return c;
  const float inv = 32767.0f / m;
  for (size_t i = 0; i < st.dim; ++i) c.codes[i] = static_cast<int16_t>(std::lrintf(q[i] * inv));
  c.step = m / 32767.0f;
  return c;
}

inline float row_dot(const Kernels& K, const Store& st, const float* q, const QueryCodes& qc, size_t i) {
  switch (st.dtype) {
    case DType::F32:
      return K.dot_f32(q, static_cast<const float*>(st.data) + i * st.dim, st.dim);
    case DType::F16:
      return K.dot_f16(q, static_cast<const uint16_t*>(st.data) + i * st.dim, st.dim);
    case DType::I8:
    default: {
      const int64_t dot = K.dot_i16_i8(qc.codes.data(), static_cast<const int8_t*>(st.data) + i * st.dim, st.dim);
      return st.scales[i] * (static_cast<float>(dot) * qc.step);
    }
  }
}

std::vector<Hit> search_one(const Store& st, Metric metric, const float* q, size_t k, int threads) {
  const Kernels& K = active_kernels();
  const QueryInfo qi = query_info(K, q, st.dim);
  const QueryCodes qc = query_codes(st, q);
  const int T = std::max(1, std::min<int>(threads, static_cast<int>((st.n + 1023) / 1024)));
  std::vector<TopK> heaps(static_cast<size_t>(T), TopK(k));
  parallel_run(T, [&](int t) {
    size_t b, e;
    split_range(st.n, T, t, 64, b, e);
    TopK& h = heaps[static_cast<size_t>(t)];
    float thr = h.threshold();
    for (size_t i = b; i < e; ++i) {
      if (!allowed(st, i)) continue;
      float s = finish_score(metric, row_dot(K, st, q, qc, i), i, st, qi);
      if (s >= thr) {
        h.push(s, static_cast<uint32_t>(i));
        thr = h.threshold();
      }
    }
  });
  std::vector<const std::vector<Hit>*> parts;
  for (auto& h : heaps) parts.push_back(&h.items());
  return merge_topk(parts, k);
}

constexpr size_t kRowBlock = 96;  // database rows per score tile (multiple of kMR)

std::vector<std::vector<Hit>> search_batched(const Store& st, Metric metric, const float* Q, size_t m, size_t k,
                                             int threads) {
  const Kernels& K = active_kernels();
  const size_t dim = st.dim;
  const size_t NR = static_cast<size_t>(K.nr);
  const size_t ldc = ((m + NR - 1) / NR) * NR;
  AlignedBuffer<float> qp(packed_b_floats(dim, m, NR));
  pack_b(dim, m, Q, 1, dim, qp.data(), NR);
  std::vector<QueryInfo> qi(m);
  for (size_t j = 0; j < m; ++j) qi[j] = query_info(K, Q + j * dim, dim);
  AlignedBuffer<float> qnorm2(ldc, true), qinv(ldc, true);
  for (size_t j = 0; j < m; ++j) { qnorm2[j] = qi[j].norm2; qinv[j] = qi[j].inv_norm; }

  const int T = std::max(1, std::min<int>(threads, static_cast<int>((st.n + kRowBlock - 1) / kRowBlock)));
  std::vector<std::vector<TopK>> heaps(static_cast<size_t>(T), std::vector<TopK>(m, TopK(k)));
  parallel_run(T, [&](int t) {
    size_t b, e;
    split_range(st.n, T, t, kRowBlock, b, e);
    std::vector<TopK>& hs = heaps[static_cast<size_t>(t)];
    AlignedBuffer<float> tile(kRowBlock * ldc, true);  // zeroed: padded query columns are never written
    AlignedBuffer<float> thr(ldc);
    for (size_t j = 0; j < ldc; ++j) thr[j] = std::numeric_limits<float>::infinity();
    for (size_t j = 0; j < m; ++j) thr[j] = -std::numeric_limits<float>::infinity();
    AlignedBuffer<float> deq;
    if (st.dtype != DType::F32) deq.reset(kRowBlock * dim);
    for (size_t r0 = b; r0 < e; r0 += kRowBlock) {
      const size_t rows = std::min(kRowBlock, e - r0);
      const float* A;
      if (st.dtype == DType::F32) {
        A = static_cast<const float*>(st.data) + r0 * dim;
      } else {
        decode_rows(K, st, r0, rows, deq.data());
        A = deq.data();
      }
      // prefetch the next block of rows while this one is multiplied (f32 rows are read in place)
      const size_t next_rows = r0 + rows < e ? std::min(kRowBlock, e - r0 - rows) : 0;
      const void* pf = nullptr;
      size_t pf_bytes = 0;
      if (next_rows && st.dtype == DType::F32) {
        pf = static_cast<const float*>(st.data) + (r0 + rows) * dim;
        pf_bytes = next_rows * dim * sizeof(float);
      }
      gemm_packed(K, rows, m, dim, A, dim, qp.data(), tile.data(), ldc, false, pf, pf_bytes);
      for (size_t r = 0; r < rows; ++r) {
        const size_t row = r0 + r;
        if (!allowed(st, row)) continue;
        float* s = tile.data() + r * ldc;
        if (metric == Metric::Cosine) {
          const float n2 = st.norms2[row];
          const float rinv = n2 > 0 ? 1.0f / std::sqrt(n2) : 0.0f;
          for (size_t j = 0; j < ldc; ++j) s[j] = s[j] * qinv[j] * rinv;
        } else if (metric == Metric::L2) {
          const float n2 = st.norms2[row];
          for (size_t j = 0; j < ldc; ++j) s[j] = -(n2 - 2.0f * s[j] + qnorm2[j]);
        }
        int any = 0;
        for (size_t j = 0; j < ldc; ++j) any |= (s[j] >= thr[j]);
        if (!any) continue;
        for (size_t j = 0; j < m; ++j) {
          if (s[j] >= thr[j]) {
            hs[j].push(s[j], static_cast<uint32_t>(row));
            thr[j] = hs[j].threshold();
          }
        }
      }
    }
  });
  std::vector<std::vector<Hit>> out(m);
  for (size_t j = 0; j < m; ++j) {
    std::vector<const std::vector<Hit>*> parts;
    for (auto& hs : heaps) parts.push_back(&hs[j].items());
    out[j] = merge_topk(parts, k);
  }
  return out;
}

}  // namespace

void decode_rows(const Kernels& K, const Store& st, size_t row0, size_t count, float* dst) {
  const size_t dim = st.dim;
  switch (st.dtype) {
    case DType::F32:
      std::memcpy(dst, static_cast<const float*>(st.data) + row0 * dim, count * dim * sizeof(float));
      break;
    case DType::F16:
      K.f16_to_f32(static_cast<const uint16_t*>(st.data) + row0 * dim, dst, count * dim);
      break;
    case DType::I8:
      for (size_t r = 0; r < count; ++r)
        K.i8_to_f32(static_cast<const int8_t*>(st.data) + (row0 + r) * dim, st.scales[row0 + r], dst + r * dim, dim);
      break;
  }
}

std::vector<std::vector<Hit>> exact_search(const Store& st, Metric metric, const float* queries, size_t m, size_t k,
                                           int threads) {
  if (m == 0 || st.n == 0 || k == 0) return std::vector<std::vector<Hit>>(m);
  if (m < 4) {
    std::vector<std::vector<Hit>> out(m);
    for (size_t j = 0; j < m; ++j) out[j] = search_one(st, metric, queries + j * st.dim, k, threads);
    return out;
  }
  return search_batched(st, metric, queries, m, k, threads);
}

void encode_rows(const float* src, size_t n, size_t dim, DType dtype, void* dst, float* scales, float* norms2,
                 int threads) {
  const Kernels& K = active_kernels();
  const int T = std::max(1, std::min<int>(threads, static_cast<int>((n + 255) / 256)));
  std::atomic<size_t> bad{n};
  parallel_run(T, [&](int t) {
    size_t b, e;
    split_range(n, T, t, 1, b, e);
    std::vector<float> tmp(dim);
    for (size_t i = b; i < e; ++i) {
      const float* x = src + i * dim;
      uint32_t nonfinite = 0;  // exponent bits all ones <=> NaN or +-Inf (integer OR: vectorizes)
      for (size_t d = 0; d < dim; ++d) {
        uint32_t u;
        std::memcpy(&u, x + d, 4);
        nonfinite |= static_cast<uint32_t>((u & 0x7f800000u) == 0x7f800000u);
      }
      if (nonfinite) {
        size_t cur = bad.load();
        while (i < cur && !bad.compare_exchange_weak(cur, i)) {
        }
        continue;
      }
      switch (dtype) {
        case DType::F32: {
          std::memcpy(static_cast<float*>(dst) + i * dim, x, dim * sizeof(float));
          norms2[i] = K.dot_f32(x, x, dim);
          break;
        }
        case DType::F16: {
          uint16_t* o = static_cast<uint16_t*>(dst) + i * dim;
          K.f32_to_f16(x, o, dim);
          K.f16_to_f32(o, tmp.data(), dim);
          norms2[i] = K.dot_f32(tmp.data(), tmp.data(), dim);
          break;
        }
        case DType::I8: {
          float mx = 0;
          for (size_t d = 0; d < dim; ++d) mx = std::max(mx, std::fabs(x[d]));
          const float scale = mx > 0 ? mx / 127.0f : 1.0f;
          const float inv = mx > 0 ? 127.0f / mx : 0.0f;
          int8_t* o = static_cast<int8_t*>(dst) + i * dim;
          for (size_t d = 0; d < dim; ++d) {
            float v = std::nearbyint(x[d] * inv);
            v = std::min(127.0f, std::max(-127.0f, v));
            o[d] = static_cast<int8_t>(v);
          }
          scales[i] = scale;
          K.i8_to_f32(o, scale, tmp.data(), dim);
          norms2[i] = K.dot_f32(tmp.data(), tmp.data(), dim);
          break;
        }
      }
    }
  });
  if (bad.load() < n)
    throw std::invalid_argument("row " + std::to_string(bad.load()) + " holds NaN or Infinity (not allowed)");
}

}  // namespace tamsaek
