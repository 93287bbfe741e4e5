#include "contrastive.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "../common/aligned.h"
#include "../common/threads.h"
#include "../simd/kernels.h"
#include "../topk/gemm.h"

namespace tamsaek {
namespace loss {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

struct Item {
  size_t problem, block, j0, j1;
};

void inv_norms(const float* x, size_t n, size_t dim, bool cosine, float* out) {
  const Kernels& K = active_kernels();
  for (size_t i = 0; i < n; ++i) {
    if (!cosine) { out[i] = 1.0f; continue; }
    float n2 = K.dot_f32(x + i * dim, x + i * dim, dim);
    out[i] = n2 > 0 ? 1.0f / std::sqrt(n2) : 0.0f;
  }
}

// Per-thread scratch, sized once.
struct Work {
  AlignedBuffer<float> bp_st;   // packed C tile, transposed (dim x tile) for scores
  AlignedBuffer<float> bp_c;    // packed C tile (tile x dim) for dR
  AlignedBuffer<float> bp_g;    // packed guide C tile (guide_dim x tile)
  AlignedBuffer<float> bp_r;    // packed R chunk (chunk x dim) for dC
  AlignedBuffer<float> s;       // chunk x tile scores
  AlignedBuffer<float> gs;      // chunk x tile guide sims
  AlignedBuffer<float> gt;      // tile x chunk transposed gradient
  std::vector<AlignedBuffer<float>> mx, sm;  // per problem online LSE state (B each)
};

}  // namespace

void diag_cosine(const float* a, const float* b, size_t n, size_t dim, float* out) {
  const Kernels& K = active_kernels();
  for (size_t i = 0; i < n; ++i) {
    const float* x = a + i * dim;
    const float* y = b + i * dim;
    float xx = K.dot_f32(x, x, dim), yy = K.dot_f32(y, y, dim), xy = K.dot_f32(x, y, dim);
    float d = std::sqrt(xx) * std::sqrt(yy);
    out[i] = d > 0 ? xy / d : 0.0f;
  }
}

double run(const Spec& sp, float* grad[3]) {
  const size_t dim = sp.dim, gdim = sp.guide_dim;
  const size_t RC = std::max<size_t>(kMR, (sp.row_chunk / kMR) * kMR);
  const size_t TC = std::max<size_t>(16, (sp.col_tile / 16) * 16);
  if (sp.problems.empty()) throw std::invalid_argument("no problems");
  const size_t B = sp.rows[sp.problems[0].blocks.at(0).row];

  // Inverse norms (1 for dot similarity) of embeddings and guides.
  AlignedBuffer<float> inv[3], ginv[3];
  for (int m = 0; m < 3; ++m) {
    if (sp.emb[m]) { inv[m].reset(sp.rows[m]); inv_norms(sp.emb[m], sp.rows[m], dim, sp.cosine, inv[m].data()); }
    if (sp.guide[m]) { ginv[m].reset(sp.rows[m]); inv_norms(sp.guide[m], sp.rows[m], gdim, true, ginv[m].data()); }
  }

  // Which matrices appear as rows, and how often as columns: a matrix that is never a row and is
  // the column of a single block has its gradient tiles owned by exactly one thread.
  int as_row[3] = {0, 0, 0}, as_col[3] = {0, 0, 0};
  std::vector<Item> items;
  for (size_t p = 0; p < sp.problems.size(); ++p)
    for (size_t b = 0; b < sp.problems[p].blocks.size(); ++b) {
      const Block& bl = sp.problems[p].blocks[b];
      if (!sp.emb[bl.row] || !sp.emb[bl.col]) throw std::invalid_argument("block references a missing matrix");
      if (sp.rows[bl.row] != B) throw std::invalid_argument("row matrices must all have B rows");
      as_row[bl.row]++;
      as_col[bl.col]++;
      const size_t nc = sp.rows[bl.col];
      for (size_t j0 = 0; j0 < nc; j0 += TC) items.push_back({p, b, j0, std::min(nc, j0 + TC)});
    }
  bool exclusive[3];
  for (int m = 0; m < 3; ++m) exclusive[m] = as_row[m] == 0 && as_col[m] <= 1;

  const int T = std::max(1, std::min<int>(sp.threads, static_cast<int>(items.size())));
  const size_t NP = sp.problems.size();

  for (int m = 0; m < 3; ++m)
    if (sp.emb[m] && grad[m]) std::memset(grad[m], 0, sp.rows[m] * dim * sizeof(float));
  // Private gradient buffers for threads > 0 (shared matrices only).
  std::vector<std::array<AlignedBuffer<float>, 3>> priv(static_cast<size_t>(T));
  for (int t = 1; t < T; ++t)
    for (int m = 0; m < 3; ++m)
      if (sp.emb[m] && !exclusive[m]) priv[static_cast<size_t>(t)][m].reset(sp.rows[m] * dim, true);
  auto gbuf = [&](int t, int m) -> float* {
    if (t == 0 || exclusive[m]) return grad[m];
    return priv[static_cast<size_t>(t)][m].data();
  };

  std::vector<Work> work(static_cast<size_t>(T));
  for (auto& w : work) {
    w.bp_st.reset(packed_b_floats(dim, TC));
    w.bp_c.reset(packed_b_floats(TC, dim));
    if (gdim) w.bp_g.reset(packed_b_floats(gdim, TC));
    w.bp_r.reset(packed_b_floats(RC, dim));
    w.s.reset(RC * TC);
    w.gs.reset(RC * TC);
    w.gt.reset(TC * RC);
    w.mx.resize(NP);
    w.sm.resize(NP);
    for (size_t p = 0; p < NP; ++p) {
      w.mx[p].reset(B);
      w.sm[p].reset(B, true);
      for (size_t i = 0; i < B; ++i) w.mx[p][i] = kNegInf;
    }
  }
  AlignedBuffer<float> label(NP * B, true), lse(NP * B);

  // Computes the scaled, masked score tile for rows [r0, r0+rc) x columns [j0, j1) into w.s.
  auto score_tile = [&](Work& w, const Block& bl, size_t r0, size_t rc, size_t j0, size_t tc) {
    const float* R = sp.emb[bl.row] + r0 * dim;
    gemm_packed(rc, tc, dim, R, dim, w.bp_st.data(), w.s.data(), TC, false);
    const float* ri = inv[bl.row].data() + r0;
    const float* ci = inv[bl.col].data() + j0;
    const float sc = sp.scale;
    for (size_t r = 0; r < rc; ++r) {
      float* s = w.s.data() + r * TC;
      const float f = sc * ri[r];
      for (size_t c = 0; c < tc; ++c) s[c] = s[c] * f * ci[c];
    }
    if (!bl.masked) return;
    if (bl.guide_matrix) {
      const size_t ldg = sp.rows[bl.col];
      for (size_t r = 0; r < rc; ++r) {
        const float thr = sp.mask_threshold[r0 + r];
        const float* g = bl.guide_matrix + (r0 + r) * ldg + j0;
        float* s = w.s.data() + r * TC;
        for (size_t c = 0; c < tc; ++c)
          if (g[c] > thr && !(bl.protect_diag && r0 + r == j0 + c)) s[c] = kNegInf;
      }
    } else {
      const float* GR = sp.guide[bl.guide_row] + r0 * gdim;
      gemm_packed(rc, tc, gdim, GR, gdim, w.bp_g.data(), w.gs.data(), TC, false);
      const float* gri = ginv[bl.guide_row].data() + r0;
      const float* gci = ginv[bl.guide_col].data() + j0;
      for (size_t r = 0; r < rc; ++r) {
        const float thr = sp.mask_threshold[r0 + r];
        const float* g = w.gs.data() + r * TC;
        float* s = w.s.data() + r * TC;
        for (size_t c = 0; c < tc; ++c) {
          const float gsim = g[c] * gri[r] * gci[c];
          if (gsim > thr && !(bl.protect_diag && r0 + r == j0 + c)) s[c] = kNegInf;
        }
      }
    }
  };
  auto pack_tile = [&](Work& w, const Block& bl, size_t j0, size_t tc, bool for_grad) {
    pack_b(dim, tc, sp.emb[bl.col] + j0 * dim, 1, dim, w.bp_st.data());
    if (bl.masked && !bl.guide_matrix) pack_b(gdim, tc, sp.guide[bl.guide_col] + j0 * gdim, 1, gdim, w.bp_g.data());
    if (for_grad) pack_b(tc, dim, sp.emb[bl.col] + j0 * dim, dim, 1, w.bp_c.data());
  };

  // Pass 1: online log-sum-exp.
  parallel_run(T, [&](int t) {
    Work& w = work[static_cast<size_t>(t)];
    for (size_t it = static_cast<size_t>(t); it < items.size(); it += static_cast<size_t>(T)) {
      const Item& item = items[it];
      const Block& bl = sp.problems[item.problem].blocks[item.block];
      const size_t tc = item.j1 - item.j0;
      pack_tile(w, bl, item.j0, tc, false);
      float* mx = w.mx[item.problem].data();
      float* sm = w.sm[item.problem].data();
      for (size_t r0 = 0; r0 < B; r0 += RC) {
        const size_t rc = std::min(RC, B - r0);
        score_tile(w, bl, r0, rc, item.j0, tc);
        for (size_t r = 0; r < rc; ++r) {
          const float* s = w.s.data() + r * TC;
          const size_t i = r0 + r;
          float m = kNegInf;
          for (size_t c = 0; c < tc; ++c) m = std::max(m, s[c]);
          if (item.block == 0 && i >= item.j0 && i < item.j1) label[item.problem * B + i] = s[i - item.j0];
          if (m == kNegInf) continue;
          float nm = std::max(mx[i], m);
          float acc = 0;
          for (size_t c = 0; c < tc; ++c) acc += std::exp(s[c] - nm);
          sm[i] = sm[i] * std::exp(mx[i] - nm) + acc;
          mx[i] = nm;
        }
      }
    }
  });

  double total = 0;
  for (size_t p = 0; p < NP; ++p) {
    double sum = 0;
    for (size_t i = 0; i < B; ++i) {
      float m = kNegInf;
      for (auto& w : work) m = std::max(m, w.mx[p][i]);
      double s = 0;
      for (auto& w : work)
        if (w.mx[p][i] != kNegInf) s += static_cast<double>(w.sm[p][i]) * std::exp(static_cast<double>(w.mx[p][i] - m));
      const double l = static_cast<double>(m) + std::log(s);
      lse[p * B + i] = static_cast<float>(l);
      sum += l - static_cast<double>(label[p * B + i]);
    }
    total += sp.problems[p].weight * sum / static_cast<double>(B);
  }

  // Pass 2: gradients.
  parallel_run(T, [&](int t) {
    Work& w = work[static_cast<size_t>(t)];
    for (size_t it = static_cast<size_t>(t); it < items.size(); it += static_cast<size_t>(T)) {
      const Item& item = items[it];
      const Problem& pr = sp.problems[item.problem];
      const Block& bl = pr.blocks[item.block];
      const size_t tc = item.j1 - item.j0;
      pack_tile(w, bl, item.j0, tc, true);
      const float coef = static_cast<float>(pr.weight / static_cast<double>(B));
      const float* L = lse.data() + item.problem * B;
      const float* ri = inv[bl.row].data();
      const float* ci = inv[bl.col].data() + item.j0;
      float* dR = gbuf(t, bl.row);
      float* dC = gbuf(t, bl.col) + item.j0 * dim;
      for (size_t r0 = 0; r0 < B; r0 += RC) {
        const size_t rc = std::min(RC, B - r0);
        score_tile(w, bl, r0, rc, item.j0, tc);
        for (size_t r = 0; r < rc; ++r) {
          const size_t i = r0 + r;
          float* s = w.s.data() + r * TC;
          const float li = L[i];
          const float fr = sp.scale * coef;
          for (size_t c = 0; c < tc; ++c) s[c] = fr * std::exp(s[c] - li);  // scale * dL/ds (masked -> 0)
          if (item.block == 0 && i >= item.j0 && i < item.j1) s[i - item.j0] -= fr;
          // transposed copy scaled by the row inverse norm (for dC), then column scaling (for dR)
          const float rs = ri[i];
          for (size_t c = 0; c < tc; ++c) w.gt[c * RC + r] = s[c] * rs;
          for (size_t c = 0; c < tc; ++c) s[c] *= ci[c];
        }
        // dR^[r0..] += G' * C_tile
        gemm_packed(rc, dim, tc, w.s.data(), TC, w.bp_c.data(), dR + r0 * dim, dim, true);
        // dC^[tile] += G''^T * R_chunk
        pack_b(rc, dim, sp.emb[bl.row] + r0 * dim, dim, 1, w.bp_r.data());
        gemm_packed(tc, dim, rc, w.gt.data(), RC, w.bp_r.data(), dC, dim, true);
      }
    }
  });

  // Reduce private buffers, then push through the normalization.
  const Kernels& K = active_kernels();
  for (int m = 0; m < 3; ++m) {
    if (!sp.emb[m] || !grad[m]) continue;
    const size_t n = sp.rows[m] * dim;
    for (int t = 1; t < T; ++t) {
      if (exclusive[m]) break;
      const float* p = priv[static_cast<size_t>(t)][m].data();
      float* g = grad[m];
      for (size_t i = 0; i < n; ++i) g[i] += p[i];
    }
    if (sp.cosine) {
      for (size_t i = 0; i < sp.rows[m]; ++i) {
        const float* x = sp.emb[m] + i * dim;
        float* g = grad[m] + i * dim;
        const float iv = inv[m][i];
        // x^ . g^ = iv * (x . g^)
        const float proj = iv * iv * K.dot_f32(x, g, dim);
        for (size_t d = 0; d < dim; ++d) g[d] = (g[d] - x[d] * proj) * iv;
      }
    }
  }
  return total;
}

}  // namespace loss
}  // namespace tamsaek
