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

namespace {

// One evaluation of the tiled loss: the plan (work items, scratch, gradient buffers) and the two
// passes over it. Pass 1 accumulates each row's log-sum-exp online; pass 2 turns the scores into
// gradients with that log-sum-exp, tile by tile, so memory stays O(threads x tile).
class TiledRun {
 public:
  TiledRun(const Spec& sp, float* grad[3])
      : sp_(sp), grad_(grad), K_(active_kernels()), dim_(sp.dim), gdim_(sp.guide_dim),
        RC_(std::max<size_t>(kMR, (sp.row_chunk / kMR) * kMR)),
        TC_(std::max<size_t>(16, (sp.col_tile / 16) * 16)), NR_(static_cast<size_t>(K_.nr)) {
    if (sp.problems.empty()) throw std::invalid_argument("no problems");
    B_ = sp.rows[sp.problems[0].blocks.at(0).row];
    NP_ = sp.problems.size();
  }

  double evaluate() {
    norms();
    plan_items();
    alloc_gradients();
    alloc_work();
    parallel_run(T_, [&](int t) {
      for (size_t it = static_cast<size_t>(t); it < items_.size(); it += static_cast<size_t>(T_)) pass1_item(t, it);
    });
    const double total = reduce_lse();
    parallel_run(T_, [&](int t) {
      for (size_t it = static_cast<size_t>(t); it < items_.size(); it += static_cast<size_t>(T_)) pass2_item(t, it);
    });
    finish_gradients();
    return total;
  }

 private:
  const Spec& sp_;
  float** grad_;
  const Kernels& K_;
  const size_t dim_, gdim_, RC_, TC_, NR_;
  size_t B_ = 0, NP_ = 0;
  int T_ = 1;
  AlignedBuffer<float> inv_[3], ginv_[3];
  std::vector<Item> items_;
  bool exclusive_[3] = {false, false, false};
  std::vector<std::array<AlignedBuffer<float>, 3>> priv_;
  std::vector<Work> work_;
  AlignedBuffer<float> label_, lse_;
  // Guide masks found in pass 1 are kept as sparse (row, column, flags) lists per item so pass 2
  // does not recompute guide similarities; false negatives are rare, and a global cap (O(B))
  // bounds the memory -- an item that overflows recomputes its guide tile in pass 2 instead.
  std::vector<std::vector<uint64_t>> sparse_;
  std::vector<char> overflow_;
  std::atomic<size_t> stored_{0};
  size_t cap_ = 0;

  // Inverse norms (1 for dot similarity) of embeddings and guides.
  void norms() {
    for (int m = 0; m < 3; ++m) {
      if (sp_.emb[m]) {
        inv_[m].reset(sp_.rows[m]);
        inv_norms(sp_.emb[m], sp_.rows[m], dim_, sp_.cosine, inv_[m].data());
      }
      if (sp_.guide[m]) {
        ginv_[m].reset(sp_.rows[m]);
        inv_norms(sp_.guide[m], sp_.rows[m], gdim_, true, ginv_[m].data());
      }
    }
  }

  // Work items (column tiles of every block), checked; which matrices only one thread writes.
  void plan_items() {
    // a matrix that is never a row and is the column of a single block has its gradient tiles
    // owned by exactly one thread
    int as_row[3] = {0, 0, 0}, as_col[3] = {0, 0, 0};
    for (size_t p = 0; p < sp_.problems.size(); ++p)
      for (size_t b = 0; b < sp_.problems[p].blocks.size(); ++b) {
        const Block& bl = sp_.problems[p].blocks[b];
        if (!sp_.emb[bl.row] || !sp_.emb[bl.col]) throw std::invalid_argument("block references a missing matrix");
        if (sp_.rows[bl.row] != B_) throw std::invalid_argument("row matrices must all have B rows");
        if (bl.masked && !bl.guide_matrix &&
            (bl.guide_row < 0 || bl.guide_col < 0 || !sp_.guide[bl.guide_row] || !sp_.guide[bl.guide_col]))
          throw std::invalid_argument("masked block without a guide");
        as_row[bl.row]++;
        as_col[bl.col]++;
        // s_ij = s_ji and (guide embeddings) g_ij = g_ji: compute each pair once, use it for both rows.
        const bool sym =
            b != 0 && bl.row == bl.col && (!bl.masked || (!bl.guide_matrix && bl.guide_row == bl.guide_col));
        const size_t nc = sp_.rows[bl.col];
        for (size_t j0 = 0; j0 < nc; j0 += TC_) items_.push_back({p, b, j0, std::min(nc, j0 + TC_), sym});
      }
    for (int m = 0; m < 3; ++m) exclusive_[m] = as_row[m] == 0 && as_col[m] <= 1;
    // Sorting the symmetric items (triangular work) first, largest first, balances the threads.
    std::stable_sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) {
      if (a.sym != b.sym) return a.sym;
      return a.sym && a.j1 > b.j1;
    });
    T_ = std::max(1, std::min<int>(sp_.threads, static_cast<int>(items_.size())));
    sparse_.resize(items_.size());
    overflow_.assign(items_.size(), 0);
    cap_ = sp_.mask_cap == static_cast<size_t>(-1) ? 64 * B_ + 65536 : sp_.mask_cap;
  }

  // Zeroed gradients, and private buffers for threads > 0 (shared matrices only).
  void alloc_gradients() {
    for (int m = 0; m < 3; ++m)
      if (sp_.emb[m] && grad_[m]) std::memset(grad_[m], 0, sp_.rows[m] * dim_ * sizeof(float));
    priv_.resize(static_cast<size_t>(T_));
    for (int t = 1; t < T_; ++t)
      for (int m = 0; m < 3; ++m)
        if (sp_.emb[m] && !exclusive_[m]) priv_[static_cast<size_t>(t)][m].reset(sp_.rows[m] * dim_, true);
  }

  float* gbuf(int t, int m) {
    if (t == 0 || exclusive_[m]) return grad_[m];
    return priv_[static_cast<size_t>(t)][m].data();
  }

  void alloc_work() {
    work_.resize(static_cast<size_t>(T_));
    for (auto& w : work_) {
      w.bp_st.reset(packed_b_floats(dim_, TC_, NR_));
      w.bp_c.reset(packed_b_floats(TC_, dim_, NR_));
      if (gdim_) w.bp_g.reset(packed_b_floats(gdim_, TC_, NR_));
      w.bp_r.reset(packed_b_floats(RC_, dim_, NR_));
      w.s.reset(RC_ * TC_);
      w.gs.reset(RC_ * TC_);
      w.gt.reset(TC_ * RC_);
      w.mask.reset(RC_ * TC_);
      w.cm.reset(TC_);
      w.cs.reset(TC_);
      w.e1.reset(TC_);
      w.e2.reset(TC_);
      w.mx.resize(NP_);
      w.sm.resize(NP_);
      for (size_t p = 0; p < NP_; ++p) {
        w.mx[p].reset(B_);
        w.sm[p].reset(B_, true);
        for (size_t i = 0; i < B_; ++i) w.mx[p][i] = kNegInf;
      }
    }
    label_.reset(NP_ * B_, true);
    lse_.reset(NP_ * B_);
  }

  // Scaled score tile for rows [r0, r0+rc) x columns [j0, j0+tc) into w.s.
  void score_tile(Work& w, const Block& bl, size_t r0, size_t rc, size_t j0, size_t tc) {
    const float* R = sp_.emb[bl.row] + r0 * dim_;
    gemm_packed(K_, rc, tc, dim_, R, dim_, w.bp_st.data(), w.s.data(), TC_, false);
    const float* ri = inv_[bl.row].data() + r0;
    const float* ci = inv_[bl.col].data() + j0;
    const float sc = sp_.scale;
    for (size_t r = 0; r < rc; ++r) {
      float* s = w.s.data() + r * TC_;
      const float f = sc * ri[r];
      for (size_t c = 0; c < tc; ++c) s[c] = s[c] * f * ci[c];
    }
  }

  // Mask flags for the same tile into w.mask; returns false when the block has no mask.
  // mirror: rows of this chunk lie strictly before the tile (symmetric block), so entry (i, j)
  // also serves row j, masked against row j's threshold.
  bool mask_tile(Work& w, size_t it, const Block& bl, size_t r0, size_t rc, size_t j0, size_t tc, bool mirror, int pass,
                 size_t& cursor) {
    if (!bl.masked) return false;
    if (bl.guide_matrix) {
      explicit_mask(w, bl, r0, rc, j0, tc);
      return true;
    }
    if (pass == 2 && !overflow_[it]) {
      for (size_t r = 0; r < rc; ++r) std::memset(w.mask.data() + r * TC_, 0, tc);
      const auto& L = sparse_[it];
      while (cursor < L.size() && (L[cursor] >> 32) < r0 + rc) {
        const uint64_t e = L[cursor++];
        const size_t i = static_cast<size_t>(e >> 32), c = static_cast<size_t>((e >> 2) & 0x3fffffff);
        w.mask[(i - r0) * TC_ + c] = static_cast<uint8_t>(e & 3);
      }
      return true;
    }
    guide_mask(w, it, bl, r0, rc, j0, tc, mirror, pass);
    return true;
  }

  void explicit_mask(Work& w, const Block& bl, size_t r0, size_t rc, size_t j0, size_t tc) {
    const float* thr = sp_.mask_threshold;
    const size_t ldg = sp_.rows[bl.col];
    for (size_t r = 0; r < rc; ++r) {
      const float t = thr[r0 + r];
      const float* g = bl.guide_matrix + (r0 + r) * ldg + j0;
      uint8_t* mk = w.mask.data() + r * TC_;
      for (size_t c = 0; c < tc; ++c) mk[c] = (g[c] > t && !(bl.protect_diag && r0 + r == j0 + c)) ? 1 : 0;
    }
  }

  // Mask flags from guide embeddings (computed), remembered sparsely in pass 1 within the cap.
  void guide_mask(Work& w, size_t it, const Block& bl, size_t r0, size_t rc, size_t j0, size_t tc, bool mirror,
                  int pass) {
    const float* thr = sp_.mask_threshold;
    const float* GR = sp_.guide[bl.guide_row] + r0 * gdim_;
    gemm_packed(K_, rc, tc, gdim_, GR, gdim_, w.bp_g.data(), w.gs.data(), TC_, false);
    const float* gri = ginv_[bl.guide_row].data() + r0;
    const float* gci = ginv_[bl.guide_col].data() + j0;
    const float* tcol = thr + j0;
    std::vector<uint64_t>* L = (pass == 1 && !overflow_[it]) ? &sparse_[it] : nullptr;
    for (size_t r = 0; r < rc; ++r) {
      const size_t i = r0 + r;
      const float t = thr[i];
      const float* g = w.gs.data() + r * TC_;
      uint8_t* mk = w.mask.data() + r * TC_;
      size_t any = 0;
      for (size_t c = 0; c < tc; ++c) {
        const float gsim = g[c] * gri[r] * gci[c];
        uint8_t f = (gsim > t && !(bl.protect_diag && i == j0 + c)) ? 1 : 0;
        if (mirror && gsim > tcol[c]) f |= 2;
        mk[c] = f;
        any |= f;
      }
      if (L && any) L = remember_mask(it, L, i, mk, tc);
    }
  }

  std::vector<uint64_t>* remember_mask(size_t it, std::vector<uint64_t>* L, size_t i, const uint8_t* mk, size_t tc) {
    for (size_t c = 0; c < tc; ++c) {
      if (!mk[c]) continue;
      if (stored_.fetch_add(1) >= cap_) {
        overflow_[it] = 1;
        std::vector<uint64_t>().swap(*L);
        return nullptr;
      }
      L->push_back((static_cast<uint64_t>(i) << 32) | (static_cast<uint64_t>(c) << 2) | mk[c]);
    }
    return L;
  }

  void pack_tile(Work& w, const Block& bl, size_t it, size_t j0, size_t tc, int pass) {
    pack_b(dim_, tc, sp_.emb[bl.col] + j0 * dim_, 1, dim_, w.bp_st.data(), NR_);
    if (bl.masked && !bl.guide_matrix && (pass == 1 || overflow_[it]))
      pack_b(gdim_, tc, sp_.guide[bl.guide_col] + j0 * gdim_, 1, gdim_, w.bp_g.data(), NR_);
    if (pass == 2) pack_b(tc, dim_, sp_.emb[bl.col] + j0 * dim_, dim_, 1, w.bp_c.data(), NR_);
  }

  // Row chunks of an item: [0, B), or [0, j1) for symmetric items, never straddling j0.
  size_t next_chunk(const Item& item, size_t r0) const {
    const size_t end = item.sym ? item.j1 : B_;
    size_t rc = std::min(RC_, end - r0);
    if (item.sym && r0 < item.j0) rc = std::min(rc, item.j0 - r0);
    return rc;
  }

  // merge a partial (max m, sum acc_at_m relative to m) into (mx, sm)
  static void online(float& mx, float& sm, float m, float acc_at_m) {
    if (m == kNegInf) return;
    if (m > mx) {
      sm = sm * std::exp(mx - m) + acc_at_m;
      mx = m;
    } else {
      sm += acc_at_m * std::exp(m - mx);
    }
  }

  // Pass 1 over one item: each row's running log-sum-exp (and the label score on the diagonal).
  void pass1_item(int t, size_t it) {
    Work& w = work_[static_cast<size_t>(t)];
    const Item& item = items_[it];
    const Block& bl = sp_.problems[item.problem].blocks[item.block];
    const size_t tc = item.j1 - item.j0;
    pack_tile(w, bl, it, item.j0, tc, 1);
    float* mx = w.mx[item.problem].data();
    float* sm = w.sm[item.problem].data();
    size_t cursor = 0;
    const size_t end = item.sym ? item.j1 : B_;
    for (size_t r0 = 0; r0 < end;) {
      const size_t rc = next_chunk(item, r0);
      const bool mirror = item.sym && r0 < item.j0;
      score_tile(w, bl, r0, rc, item.j0, tc);
      const bool has_mask = mask_tile(w, it, bl, r0, rc, item.j0, tc, mirror, 1, cursor);
      for (size_t r = 0; r < rc; ++r) {
        const float* s = w.s.data() + r * TC_;
        const uint8_t* mk = w.mask.data() + r * TC_;
        const size_t i = r0 + r;
        if (item.block == 0 && i >= item.j0 && i < item.j1) label_[item.problem * B_ + i] = s[i - item.j0];
        const float* src = s;
        if (has_mask) {
          float* ex = w.e1.data();
          for (size_t c = 0; c < tc; ++c) ex[c] = (mk[c] & 1) ? kNegInf : s[c];
          src = ex;
        }
        float acc = 0;
        const float m = K_.max_sumexp(src, tc, &acc, w.e2.data());
        if (m == kNegInf) continue;
        online(mx[i], sm[i], m, acc);
      }
      if (mirror) pass1_mirror(w, item, rc, tc, has_mask, mx, sm);
      r0 += rc;
    }
  }

  // The mirrored half of a symmetric tile: the columns' rows, reduced column-wise.
  void pass1_mirror(Work& w, const Item& item, size_t rc, size_t tc, bool has_mask, float* mx, float* sm) {
    float* cm = w.cm.data();
    float* cs = w.cs.data();
    for (size_t c = 0; c < tc; ++c) {
      cm[c] = kNegInf;
      cs[c] = 0;
    }
    for (size_t r = 0; r < rc; ++r) {
      const float* s = w.s.data() + r * TC_;
      const uint8_t* mk = w.mask.data() + r * TC_;
      if (has_mask) {
        for (size_t c = 0; c < tc; ++c)
          if (!(mk[c] & 2)) cm[c] = std::max(cm[c], s[c]);
      } else {
        for (size_t c = 0; c < tc; ++c) cm[c] = std::max(cm[c], s[c]);
      }
    }
    for (size_t r = 0; r < rc; ++r) {
      const float* s = w.s.data() + r * TC_;
      const uint8_t* mk = w.mask.data() + r * TC_;
      float* ex = w.e1.data();
      for (size_t c = 0; c < tc; ++c)
        ex[c] = (has_mask && (mk[c] & 2)) || cm[c] == kNegInf ? kNegInf : s[c] - cm[c];
      K_.vexp(ex, ex, tc);
      for (size_t c = 0; c < tc; ++c) cs[c] += ex[c];
    }
    for (size_t c = 0; c < tc; ++c) online(mx[item.j0 + c], sm[item.j0 + c], cm[c], cs[c]);
  }

  // Each row's log-sum-exp from the threads' partial states; the loss value.
  double reduce_lse() {
    double total = 0;
    for (size_t p = 0; p < NP_; ++p) {
      double sum = 0;
      for (size_t i = 0; i < B_; ++i) {
        float m = kNegInf;
        for (auto& w : work_) m = std::max(m, w.mx[p][i]);
        double s = 0;
        for (auto& w : work_)
          if (w.mx[p][i] != kNegInf)
            s += static_cast<double>(w.sm[p][i]) * std::exp(static_cast<double>(w.mx[p][i] - m));
        const double l = static_cast<double>(m) + std::log(s);
        lse_[p * B_ + i] = static_cast<float>(l);
        sum += l - static_cast<double>(label_[p * B_ + i]);
      }
      total += sp_.problems[p].weight * sum / static_cast<double>(B_);
    }
    return total;
  }

  // Pass 2 over one item: softmax minus the label, into the row and column gradients.
  void pass2_item(int t, size_t it) {
    Work& w = work_[static_cast<size_t>(t)];
    const Item& item = items_[it];
    const Problem& pr = sp_.problems[item.problem];
    const Block& bl = pr.blocks[item.block];
    const size_t tc = item.j1 - item.j0;
    pack_tile(w, bl, it, item.j0, tc, 2);
    const float coef = static_cast<float>(pr.weight / static_cast<double>(B_));
    const float fr = sp_.scale * coef;
    float* dR = gbuf(t, bl.row);
    float* dC = gbuf(t, bl.col) + item.j0 * dim_;
    size_t cursor = 0;
    const size_t end = item.sym ? item.j1 : B_;
    for (size_t r0 = 0; r0 < end;) {
      const size_t rc = next_chunk(item, r0);
      const bool mirror = item.sym && r0 < item.j0;
      score_tile(w, bl, r0, rc, item.j0, tc);
      const bool has_mask = mask_tile(w, it, bl, r0, rc, item.j0, tc, mirror, 2, cursor);
      for (size_t r = 0; r < rc; ++r) pass2_row(w, item, bl, r0, r, tc, fr, mirror, has_mask);
      // dR^[r0..] += G' * C_tile
      gemm_packed(K_, rc, dim_, tc, w.s.data(), TC_, w.bp_c.data(), dR + r0 * dim_, dim_, true);
      // dC^[tile] += G''^T * R_chunk
      pack_b(rc, dim_, sp_.emb[bl.row] + r0 * dim_, dim_, 1, w.bp_r.data(), NR_);
      gemm_packed(K_, tc, dim_, rc, w.gt.data(), RC_, w.bp_r.data(), dC, dim_, true);
      r0 += rc;
    }
  }

  void pass2_row(Work& w, const Item& item, const Block& bl, size_t r0, size_t r, size_t tc, float fr, bool mirror,
                 bool has_mask) {
    const float* L = lse_.data() + item.problem * B_;
    const float* Lc = L + item.j0;
    const size_t i = r0 + r;
    float* s = w.s.data() + r * TC_;
    const uint8_t* mk = w.mask.data() + r * TC_;
    const float li = L[i];
    float* ex = w.e1.data();
    if (has_mask) {
      for (size_t c = 0; c < tc; ++c) ex[c] = (mk[c] & 1) ? kNegInf : s[c] - li;
    } else {
      for (size_t c = 0; c < tc; ++c) ex[c] = s[c] - li;
    }
    K_.vexp(ex, ex, tc);
    if (mirror) {
      float* ey = w.e2.data();
      if (has_mask) {
        for (size_t c = 0; c < tc; ++c) ey[c] = (mk[c] & 2) ? kNegInf : s[c] - Lc[c];
      } else {
        for (size_t c = 0; c < tc; ++c) ey[c] = s[c] - Lc[c];
      }
      K_.vexp(ey, ey, tc);
      for (size_t c = 0; c < tc; ++c) s[c] = fr * (ex[c] + ey[c]);
    } else {
      for (size_t c = 0; c < tc; ++c) s[c] = fr * ex[c];
    }
    if (item.block == 0 && i >= item.j0 && i < item.j1) s[i - item.j0] -= fr;
    // transposed copy scaled by the row inverse norm (for dC), then column scaling (for dR)
    const float rs = inv_[bl.row].data()[i];
    const float* ci = inv_[bl.col].data() + item.j0;
    for (size_t c = 0; c < tc; ++c) w.gt[c * RC_ + r] = s[c] * rs;
    for (size_t c = 0; c < tc; ++c) s[c] *= ci[c];
  }

  // Reduce private buffers, then push through the normalization.
  void finish_gradients() {
    for (int m = 0; m < 3; ++m) {
      if (!sp_.emb[m] || !grad_[m]) continue;
      const size_t n = sp_.rows[m] * dim_;
      for (int t = 1; t < T_; ++t) {
        if (exclusive_[m]) break;
        const float* p = priv_[static_cast<size_t>(t)][m].data();
        float* g = grad_[m];
        for (size_t i = 0; i < n; ++i) g[i] += p[i];
      }
      if (!sp_.cosine) continue;
      for (size_t i = 0; i < sp_.rows[m]; ++i) {
        const float* x = sp_.emb[m] + i * dim_;
        float* g = grad_[m] + i * dim_;
        const float iv = inv_[m][i];
        // x^ . g^ = iv * (x . g^)
        const float proj = iv * iv * K_.dot_f32(x, g, dim_);
        for (size_t d = 0; d < dim_; ++d) g[d] = (g[d] - x[d] * proj) * iv;
      }
    }
  }
};

}  // namespace

double run(const Spec& sp, float* grad[3]) {
  TiledRun tiled(sp, grad);
  return tiled.evaluate();
}

}  // namespace loss
}  // namespace tamsaek
