// Sparse bag-of-features pooling for static embedding models, and lazy (sparse) Adam row updates.
//
// A batch of n texts is a CSR matrix: text t owns features off[t] .. off[t+1]-1, each a row id
// ids[j] into the embedding table E (rows x dim) and a weight w[j] (e.g. 1 + ln tf).
//   forward (weighted mean):  u_t = sum_j w_j E[ids_j] / sum_j w_j        (optionally y_t = u_t / |u_t|)
//   backward:                 dE[r] += sum_{j: ids_j = r} (w_j / sum w) * g_t
// Int8 tables hold per-row scales: E[r][k] = q[r][k] * scale[r].
// Lazy Adam (as torch.optim.SparseAdam): only rows touched by the batch update their moments, with the
// global step's bias correction:  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//   E -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
#pragma once
#include <cstddef>
#include <cstdint>

namespace tamsaek {
namespace sparse {

struct Csr {
  const int32_t* off = nullptr;  // n + 1
  const int32_t* ids = nullptr;  // off[n]
  const float* w = nullptr;      // off[n] (null = all 1)
  size_t n = 0;
};

// out: n x dim. table_f32 or (table_i8 + scales) must be set. normalize: L2-normalize each output row
// (rows without features stay zero).
void pool_forward(const Csr& x, const float* table_f32, const int8_t* table_i8, const float* scales, size_t rows,
                  size_t dim, bool normalize, float* out, int threads);

// Dense accumulation of the pooling gradient into grad_table (rows x dim), for tests and checks.
void pool_backward_dense(const Csr& x, const float* grad_out, size_t rows, size_t dim, float* grad_table,
                         int threads);

struct AdamParams {
  float lr = 0.01f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  double step = 1;  // 1-based global step
};

// Pooling backward fused with a lazy Adam update of the touched rows. slot: rows int32 scratch, all -1
// on entry and on return. Returns the number of distinct rows updated.
size_t pool_backward_adam(const Csr& x, const float* grad_out, size_t rows, size_t dim, float* table, float* m,
                          float* v, int32_t* slot, const AdamParams& p, int threads);

}  // namespace sparse
}  // namespace tamsaek
