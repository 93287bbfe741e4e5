#include "sparse.h"

#include <cmath>
#include <stdexcept>
#include <vector>

#include "../common/threads.h"

namespace tamsaek {
namespace sparse {

namespace {
inline float weight_of(const Csr& x, size_t j) { return x.w ? x.w[j] : 1.0f; }

void check_ids(const Csr& x, size_t rows) {
  if (x.off[0] != 0) throw std::invalid_argument("offsets must start at 0");
  for (size_t t = 0; t < x.n; ++t)
    if (x.off[t + 1] < x.off[t]) throw std::invalid_argument("offsets must be non-decreasing");
  const size_t nnz = static_cast<size_t>(x.off[x.n]);
  for (size_t j = 0; j < nnz; ++j)
    if (x.ids[j] < 0 || static_cast<size_t>(x.ids[j]) >= rows) throw std::invalid_argument("feature id out of range");
}
}  // namespace

void pool_forward(const Csr& x, const float* tf, const int8_t* ti, const float* scales, size_t rows, size_t dim,
                  bool normalize, float* out, int threads) {
  check_ids(x, rows);
  parallel_run(threads, [&](int tid) {
    size_t b, e;
    split_range(x.n, threads, tid, 8, b, e);
    for (size_t t = b; t < e; ++t) {
      float* o = out + t * dim;
      for (size_t k = 0; k < dim; ++k) o[k] = 0.f;
      float wsum = 0.f;
      for (int32_t j = x.off[t]; j < x.off[t + 1]; ++j) {
        const float w = weight_of(x, static_cast<size_t>(j));
        const size_t r = static_cast<size_t>(x.ids[j]);
        wsum += w;
        if (tf) {
          const float* row = tf + r * dim;
          for (size_t k = 0; k < dim; ++k) o[k] += w * row[k];
        } else {
          const int8_t* row = ti + r * dim;
          const float ws = w * scales[r];
          for (size_t k = 0; k < dim; ++k) o[k] += ws * static_cast<float>(row[k]);
        }
      }
      float mul = wsum > 0 ? 1.f / wsum : 0.f;
      if (normalize) {
        double s = 0;
        for (size_t k = 0; k < dim; ++k) s += static_cast<double>(o[k]) * o[k];
        mul = s > 0 ? static_cast<float>(1.0 / std::sqrt(s)) : 0.f;
      }
      for (size_t k = 0; k < dim; ++k) o[k] *= mul;
    }
  });
}

// Scatter of the text gradients onto rows: threads own disjoint column ranges, so no two threads
// write the same float.
template <typename RowOf>
static void scatter(const Csr& x, const float* g, size_t dim, int threads, RowOf row_of) {
  std::vector<float> inv(x.n);
  for (size_t t = 0; t < x.n; ++t) {
    float s = 0;
    for (int32_t j = x.off[t]; j < x.off[t + 1]; ++j) s += weight_of(x, static_cast<size_t>(j));
    inv[t] = s > 0 ? 1.f / s : 0.f;
  }
  parallel_run(threads, [&](int tid) {
    size_t c0, c1;
    split_range(dim, threads, tid, 8, c0, c1);
    if (c0 >= c1) return;
    for (size_t t = 0; t < x.n; ++t) {
      const float* gt = g + t * dim;
      for (int32_t j = x.off[t]; j < x.off[t + 1]; ++j) {
        const float w = weight_of(x, static_cast<size_t>(j)) * inv[t];
        float* dst = row_of(static_cast<size_t>(j));
        for (size_t k = c0; k < c1; ++k) dst[k] += w * gt[k];
      }
    }
  });
}

void pool_backward_dense(const Csr& x, const float* g, size_t rows, size_t dim, float* grad_table, int threads) {
  check_ids(x, rows);
  scatter(x, g, dim, threads, [&](size_t j) { return grad_table + static_cast<size_t>(x.ids[j]) * dim; });
}

size_t pool_backward_adam(const Csr& x, const float* g, size_t rows, size_t dim, float* table, float* m, float* v,
                          int32_t* slot, const AdamParams& p, int threads) {
  check_ids(x, rows);
  // Distinct rows in first-seen order; slot[r] = index in uniq while this call runs (-1 otherwise).
  const size_t nnz = static_cast<size_t>(x.off[x.n]);
  std::vector<int32_t> slot_of_j(nnz);
  std::vector<int32_t> uniq;
  uniq.reserve(nnz);
  for (size_t j = 0; j < nnz; ++j) {
    const int32_t r = x.ids[j];
    if (slot[r] < 0) {
      slot[r] = static_cast<int32_t>(uniq.size());
      uniq.push_back(r);
    }
    slot_of_j[j] = slot[r];
  }
  for (int32_t r : uniq) slot[r] = -1;
  const size_t U = uniq.size();
  std::vector<float> grad(U * dim, 0.f);
  scatter(x, g, dim, threads, [&](size_t j) { return grad.data() + static_cast<size_t>(slot_of_j[j]) * dim; });
  const double bc1 = 1.0 - std::pow(static_cast<double>(p.beta1), p.step);
  const double bc2 = 1.0 - std::pow(static_cast<double>(p.beta2), p.step);
  const float a = static_cast<float>(p.lr / bc1);
  const float sb2 = static_cast<float>(1.0 / std::sqrt(bc2));
  parallel_run(threads, [&](int tid) {
    size_t b, e;
    split_range(U, threads, tid, 16, b, e);
    for (size_t s = b; s < e; ++s) {
      const size_t r = static_cast<size_t>(uniq[s]);
      float* er = table + r * dim;
      float* mr = m + r * dim;
      float* vr = v + r * dim;
      const float* gr = grad.data() + s * dim;
      for (size_t k = 0; k < dim; ++k) {
        const float gk = gr[k];
        mr[k] = p.beta1 * mr[k] + (1.f - p.beta1) * gk;
        vr[k] = p.beta2 * vr[k] + (1.f - p.beta2) * gk * gk;
        er[k] -= a * mr[k] / (std::sqrt(vr[k]) * sb2 + p.eps);
      }
    }
  });
  return U;
}

}  // namespace sparse
}  // namespace tamsaek
