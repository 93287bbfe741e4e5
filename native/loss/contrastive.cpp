#include "contrastive.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
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
  bool sym;  // symmetric block (rows == columns, symmetric guide): rows [0, j1) only, mirrored
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
  AlignedBuffer<uint8_t> mask;  // chunk x tile: bit 0 = masked for the row, bit 1 = masked for the mirror
  AlignedBuffer<float> cm, cs;  // per-column running max / sum for mirrored rows
  AlignedBuffer<float> e1, e2;  // exp scratch (one tile row)
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

  const Kernels& K = active_kernels();
  const size_t NR = static_cast<size_t>(K.nr);
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
      if (bl.masked && !bl.guide_matrix && (bl.guide_row < 0 || bl.guide_col < 0 || !sp.guide[bl.guide_row] ||
                                            !sp.guide[bl.guide_col]))
        throw std::invalid_argument("masked block without a guide");
      as_row[bl.row]++;
      as_col[bl.col]++;
      // s_ij = s_ji and (guide embeddings) g_ij = g_ji: compute each pair once, use it for both rows.
      const bool sym = b != 0 && bl.row == bl.col && (!bl.masked || (!bl.guide_matrix && bl.guide_row == bl.guide_col));
      const size_t nc = sp.rows[bl.col];
      for (size_t j0 = 0; j0 < nc; j0 += TC) items.push_back({p, b, j0, std::min(nc, j0 + TC), sym});
    }
  bool exclusive[3];
  for (int m = 0; m < 3; ++m) exclusive[m] = as_row[m] == 0 && as_col[m] <= 1;

  // Sorting the symmetric items (triangular work) first, largest first, balances the threads.
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.sym != b.sym) return a.sym;
    return a.sym && a.j1 > b.j1;
  });

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
    w.bp_st.reset(packed_b_floats(dim, TC, NR));
    w.bp_c.reset(packed_b_floats(TC, dim, NR));
    if (gdim) w.bp_g.reset(packed_b_floats(gdim, TC, NR));
    w.bp_r.reset(packed_b_floats(RC, dim, NR));
    w.s.reset(RC * TC);
    w.gs.reset(RC * TC);
    w.gt.reset(TC * RC);
    w.mask.reset(RC * TC);
    w.cm.reset(TC);
    w.cs.reset(TC);
    w.e1.reset(TC);
    w.e2.reset(TC);
    w.mx.resize(NP);
    w.sm.resize(NP);
    for (size_t p = 0; p < NP; ++p) {
      w.mx[p].reset(B);
      w.sm[p].reset(B, true);
      for (size_t i = 0; i < B; ++i) w.mx[p][i] = kNegInf;
    }
  }
  AlignedBuffer<float> label(NP * B, true), lse(NP * B);

  // Guide masks found in pass 1 are kept as sparse (row, column, flags) lists per item so pass 2
  // does not recompute guide similarities; false negatives are rare, and a global cap (O(B))
  // bounds the memory -- an item that overflows recomputes its guide tile in pass 2 instead.
  std::vector<std::vector<uint64_t>> sparse(items.size());
  std::vector<char> overflow(items.size(), 0);
  std::atomic<size_t> stored{0};
  const size_t cap = sp.mask_cap == static_cast<size_t>(-1) ? 64 * B + 65536 : sp.mask_cap;

  // Scaled score tile for rows [r0, r0+rc) x columns [j0, j0+tc) into w.s.
  auto score_tile = [&](Work& w, const Block& bl, size_t r0, size_t rc, size_t j0, size_t tc) {
    const float* R = sp.emb[bl.row] + r0 * dim;
    gemm_packed(K, rc, tc, dim, R, dim, w.bp_st.data(), w.s.data(), TC, false);
    const float* ri = inv[bl.row].data() + r0;
    const float* ci = inv[bl.col].data() + j0;
    const float sc = sp.scale;
    for (size_t r = 0; r < rc; ++r) {
      float* s = w.s.data() + r * TC;
      const float f = sc * ri[r];
      for (size_t c = 0; c < tc; ++c) s[c] = s[c] * f * ci[c];
    }
  };
  // Mask flags for the same tile into w.mask; returns false when the block has no mask.
  // mirror: rows of this chunk lie strictly before the tile (symmetric block), so entry (i, j)
  // also serves row j, masked against row j's threshold.
  auto mask_tile = [&](Work& w, size_t it, const Block& bl, size_t r0, size_t rc, size_t j0, size_t tc, bool mirror,
                       int pass, size_t& cursor) -> bool {
    if (!bl.masked) return false;
    const float* thr = sp.mask_threshold;
    if (bl.guide_matrix) {
      const size_t ldg = sp.rows[bl.col];
      for (size_t r = 0; r < rc; ++r) {
        const float t = thr[r0 + r];
        const float* g = bl.guide_matrix + (r0 + r) * ldg + j0;
        uint8_t* mk = w.mask.data() + r * TC;
        for (size_t c = 0; c < tc; ++c) mk[c] = (g[c] > t && !(bl.protect_diag && r0 + r == j0 + c)) ? 1 : 0;
      }
      return true;
    }
    if (pass == 2 && !overflow[it]) {
      for (size_t r = 0; r < rc; ++r) std::memset(w.mask.data() + r * TC, 0, tc);
      const auto& L = sparse[it];
      while (cursor < L.size() && (L[cursor] >> 32) < r0 + rc) {
        const uint64_t e = L[cursor++];
        const size_t i = static_cast<size_t>(e >> 32), c = static_cast<size_t>((e >> 2) & 0x3fffffff);
        w.mask[(i - r0) * TC + c] = static_cast<uint8_t>(e & 3);
      }
      return true;
    }
    const float* GR = sp.guide[bl.guide_row] + r0 * gdim;
    gemm_packed(K, rc, tc, gdim, GR, gdim, w.bp_g.data(), w.gs.data(), TC, false);
    const float* gri = ginv[bl.guide_row].data() + r0;
    const float* gci = ginv[bl.guide_col].data() + j0;
    const float* tcol = thr + j0;
    std::vector<uint64_t>* L = (pass == 1 && !overflow[it]) ? &sparse[it] : nullptr;
    for (size_t r = 0; r < rc; ++r) {
      const size_t i = r0 + r;
      const float t = thr[i];
      const float* g = w.gs.data() + r * TC;
      uint8_t* mk = w.mask.data() + r * TC;
      size_t any = 0;
      for (size_t c = 0; c < tc; ++c) {
        const float gsim = g[c] * gri[r] * gci[c];
        uint8_t f = (gsim > t && !(bl.protect_diag && i == j0 + c)) ? 1 : 0;
        if (mirror && gsim > tcol[c]) f |= 2;
        mk[c] = f;
        any |= f;
      }
      if (L && any) {
        for (size_t c = 0; c < tc; ++c) {
          if (!mk[c]) continue;
          if (stored.fetch_add(1) >= cap) {
            overflow[it] = 1;
            std::vector<uint64_t>().swap(*L);
            L = nullptr;
            break;
          }
          L->push_back((static_cast<uint64_t>(i) << 32) | (static_cast<uint64_t>(c) << 2) | mk[c]);
        }
      }
    }
    return true;
  };
  auto pack_tile = [&](Work& w, const Block& bl, size_t it, size_t j0, size_t tc, int pass) {
    pack_b(dim, tc, sp.emb[bl.col] + j0 * dim, 1, dim, w.bp_st.data(), NR);
    if (bl.masked && !bl.guide_matrix && (pass == 1 || overflow[it]))
      pack_b(gdim, tc, sp.guide[bl.guide_col] + j0 * gdim, 1, gdim, w.bp_g.data(), NR);
    if (pass == 2) pack_b(tc, dim, sp.emb[bl.col] + j0 * dim, dim, 1, w.bp_c.data(), NR);
  };
  // Row chunks of an item: [0, B), or [0, j1) for symmetric items, never straddling j0.
  auto next_chunk = [&](const Item& item, size_t r0) -> size_t {
    const size_t end = item.sym ? item.j1 : B;
    size_t rc = std::min(RC, end - r0);
    if (item.sym && r0 < item.j0) rc = std::min(rc, item.j0 - r0);
    return rc;
  };
  auto online = [](float& mx, float& sm, float m, float acc_at_m) {
    // merge a partial (max m, sum acc_at_m relative to m) into (mx, sm)
    if (m == kNegInf) return;
    if (m > mx) {
      sm = sm * std::exp(mx - m) + acc_at_m;
      mx = m;
    } else {
      sm += acc_at_m * std::exp(m - mx);
    }
  };

  // Pass 1: online log-sum-exp.
  parallel_run(T, [&](int t) {
    Work& w = work[static_cast<size_t>(t)];
    for (size_t it = static_cast<size_t>(t); it < items.size(); it += static_cast<size_t>(T)) {
      const Item& item = items[it];
      const Block& bl = sp.problems[item.problem].blocks[item.block];
      const size_t tc = item.j1 - item.j0;
      pack_tile(w, bl, it, item.j0, tc, 1);
      float* mx = w.mx[item.problem].data();
      float* sm = w.sm[item.problem].data();
      size_t cursor = 0;
      const size_t end = item.sym ? item.j1 : B;
      for (size_t r0 = 0; r0 < end;) {
        const size_t rc = next_chunk(item, r0);
        const bool mirror = item.sym && r0 < item.j0;
        score_tile(w, bl, r0, rc, item.j0, tc);
        const bool has_mask = mask_tile(w, it, bl, r0, rc, item.j0, tc, mirror, 1, cursor);
        for (size_t r = 0; r < rc; ++r) {
          const float* s = w.s.data() + r * TC;
          const uint8_t* mk = w.mask.data() + r * TC;
          const size_t i = r0 + r;
          if (item.block == 0 && i >= item.j0 && i < item.j1) label[item.problem * B + i] = s[i - item.j0];
          const float* src = s;
          if (has_mask) {
            float* ex = w.e1.data();
            for (size_t c = 0; c < tc; ++c) ex[c] = (mk[c] & 1) ? kNegInf : s[c];
            src = ex;
          }
          float acc = 0;
          const float m = K.max_sumexp(src, tc, &acc, w.e2.data());
          if (m == kNegInf) continue;
          online(mx[i], sm[i], m, acc);
        }
        if (mirror) {
          float* cm = w.cm.data();
          float* cs = w.cs.data();
          for (size_t c = 0; c < tc; ++c) { cm[c] = kNegInf; cs[c] = 0; }
          for (size_t r = 0; r < rc; ++r) {
            const float* s = w.s.data() + r * TC;
            const uint8_t* mk = w.mask.data() + r * TC;
            if (has_mask) {
              for (size_t c = 0; c < tc; ++c) if (!(mk[c] & 2)) cm[c] = std::max(cm[c], s[c]);
            } else {
              for (size_t c = 0; c < tc; ++c) cm[c] = std::max(cm[c], s[c]);
            }
          }
          for (size_t r = 0; r < rc; ++r) {
            const float* s = w.s.data() + r * TC;
            const uint8_t* mk = w.mask.data() + r * TC;
            float* ex = w.e1.data();
            for (size_t c = 0; c < tc; ++c)
              ex[c] = (has_mask && (mk[c] & 2)) || cm[c] == kNegInf ? kNegInf : s[c] - cm[c];
            K.vexp(ex, ex, tc);
            for (size_t c = 0; c < tc; ++c) cs[c] += ex[c];
          }
          for (size_t c = 0; c < tc; ++c) online(mx[item.j0 + c], sm[item.j0 + c], cm[c], cs[c]);
        }
        r0 += rc;
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
      pack_tile(w, bl, it, item.j0, tc, 2);
      const float coef = static_cast<float>(pr.weight / static_cast<double>(B));
      const float fr = sp.scale * coef;
      const float* L = lse.data() + item.problem * B;
      const float* Lc = L + item.j0;
      const float* ri = inv[bl.row].data();
      const float* ci = inv[bl.col].data() + item.j0;
      float* dR = gbuf(t, bl.row);
      float* dC = gbuf(t, bl.col) + item.j0 * dim;
      size_t cursor = 0;
      const size_t end = item.sym ? item.j1 : B;
      for (size_t r0 = 0; r0 < end;) {
        const size_t rc = next_chunk(item, r0);
        const bool mirror = item.sym && r0 < item.j0;
        score_tile(w, bl, r0, rc, item.j0, tc);
        const bool has_mask = mask_tile(w, it, bl, r0, rc, item.j0, tc, mirror, 2, cursor);
        for (size_t r = 0; r < rc; ++r) {
          const size_t i = r0 + r;
          float* s = w.s.data() + r * TC;
          const uint8_t* mk = w.mask.data() + r * TC;
          const float li = L[i];
          float* ex = w.e1.data();
          if (has_mask) {
            for (size_t c = 0; c < tc; ++c) ex[c] = (mk[c] & 1) ? kNegInf : s[c] - li;
          } else {
            for (size_t c = 0; c < tc; ++c) ex[c] = s[c] - li;
          }
          K.vexp(ex, ex, tc);
          if (mirror) {
            float* ey = w.e2.data();
            if (has_mask) {
              for (size_t c = 0; c < tc; ++c) ey[c] = (mk[c] & 2) ? kNegInf : s[c] - Lc[c];
            } else {
              for (size_t c = 0; c < tc; ++c) ey[c] = s[c] - Lc[c];
            }
            K.vexp(ey, ey, tc);
            for (size_t c = 0; c < tc; ++c) s[c] = fr * (ex[c] + ey[c]);
          } else {
            for (size_t c = 0; c < tc; ++c) s[c] = fr * ex[c];
          }
          if (item.block == 0 && i >= item.j0 && i < item.j1) s[i - item.j0] -= fr;
          // transposed copy scaled by the row inverse norm (for dC), then column scaling (for dR)
          const float rs = ri[i];
          for (size_t c = 0; c < tc; ++c) w.gt[c * RC + r] = s[c] * rs;
          for (size_t c = 0; c < tc; ++c) s[c] *= ci[c];
        }
        // dR^[r0..] += G' * C_tile
        gemm_packed(K, rc, dim, tc, w.s.data(), TC, w.bp_c.data(), dR + r0 * dim, dim, true);
        // dC^[tile] += G''^T * R_chunk
        pack_b(rc, dim, sp.emb[bl.row] + r0 * dim, dim, 1, w.bp_r.data(), NR);
        gemm_packed(K, tc, dim, rc, w.gt.data(), RC, w.bp_r.data(), dC, dim, true);
        r0 += rc;
      }
    }
  });

  // Reduce private buffers, then push through the normalization.
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
