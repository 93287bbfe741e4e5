// Exact (brute-force) nearest-neighbour search over a contiguous row-major store.
//
//  * dtype: fp32 rows; fp16 rows (IEEE binary16); int8 rows with one fp32 scale per row
//    (value = scale * q). Queries are always fp32.
//  * metric: dot (score = q.x), cosine (score = q.x / (|q||x|), 0 when either norm is 0),
//    l2 (score = -|q - x|^2, computed as -(|x|^2 - 2 q.x + |q|^2) with |x|^2 precomputed).
//    Scores are "higher is better" for every metric.
//  * Single query: one streaming pass split across threads, each with a bounded heap (no score
//    array). Several queries: blocked GEMM (packed query panels, 6x16 register tile reading rows
//    in place) whose score tile (rows_per_block x queries) is consumed by per-query heaps before the
//    next tile is computed, so at most one tile of the score matrix exists per thread.
//  * Ties: equal scores rank by lower row index (see topk.h), independent of thread count.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "topk.h"

namespace tamsaek {

enum class DType : int { F32 = 0, F16 = 1, I8 = 2 };
enum class Metric : int { Dot = 0, Cosine = 1, L2 = 2 };

struct Store {
  const void* data = nullptr;
  DType dtype = DType::F32;
  size_t n = 0;
  size_t dim = 0;
  const float* scales = nullptr;  // int8 only: n scales
  const float* norms2 = nullptr;  // squared row norms (required for cosine and l2)
  const uint8_t* allow = nullptr; // optional bitmap: row i allowed iff allow[i>>3] & (1 << (i&7))
};

// queries: m x dim fp32. Returns m best-first lists of at most k hits.
std::vector<std::vector<Hit>> exact_search(const Store& st, Metric metric, const float* queries, size_t m,
                                           size_t k, int threads);

// Encodes n rows of fp32 into the store's dtype (dst sized for it) and writes squared norms of the
// values as stored (after quantization). int8 scale = max|x| / 127 per row.
void encode_rows(const float* src, size_t n, size_t dim, DType dtype, void* dst, float* scales, float* norms2,
                 int threads);

// Decodes rows [row0, row0+count) to fp32.
struct Kernels;
void decode_rows(const Kernels& K, const Store& st, size_t row0, size_t count, float* dst);

}  // namespace tamsaek
