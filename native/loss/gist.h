// GISTEmbed guided in-batch negative selection.
//   Solatorio 2024, "GISTEmbed: Guided In-sample Selection of Training Negatives for Text Embedding
//   Fine-tuning", arXiv:2402.16829 (sentence-transformers GISTEmbedLoss / CachedGISTEmbedLoss).
//
// Student similarities (cosine by default) with temperature tau (scale = 1/tau, default tau = 0.01):
//   ap = sim(a, p)  aa = sim(a, a)  pp = sim(p, p)  an = sim(a, n)
// Guide similarities (always cosine of guide embeddings, or explicit matrices) gap, gaa, gpp, gan and
// the per-row guide positive  g_i = gap_ii.  An entry is a false negative, set to -inf, when
//   absolute:  gX_ij > g_i - margin
//   relative:  gX_ij > g_i * (1 - margin)
// for X in {ap, aa, pp, an}, except the positive itself (ap_ii is never masked). Note that the
// diagonals of aa and pp are masked whenever their guide self-similarity (1 for cosine) exceeds the
// threshold, exactly as in sentence-transformers. Row i's logits are [ap_i | aa_i | pp_i | an_i] / tau
// (aa/pp optional via contrast_anchors / contrast_positives), label = column i of ap:
//   L = -1/B sum_i log softmax(row_i)[i]
#pragma once
#include <vector>

#include "contrastive.h"

namespace tamsaek {
namespace loss {

enum class MarginStrategy { Absolute = 0, Relative = 1 };

inline void gist_thresholds(const float* guide_pos, size_t B, MarginStrategy st, float margin, float* thr) {
  for (size_t i = 0; i < B; ++i)
    thr[i] = st == MarginStrategy::Absolute ? guide_pos[i] - margin : guide_pos[i] * (1.0f - margin);
}

struct GuideMatrices {  // optional explicit guide similarities; all or none
  const float* ap = nullptr;  // B x B
  const float* aa = nullptr;  // B x B
  const float* pp = nullptr;  // B x B
  const float* an = nullptr;  // B x H
};

// thr must hold B floats from gist_thresholds(); guides (ga, gp, gn) are used when gm.ap is null.
inline Spec gist_spec(const float* a, const float* p, const float* n, size_t B, size_t H, size_t dim,
                      const float* ga, const float* gp, const float* gn, size_t gdim, const GuideMatrices& gm,
                      const float* thr, float temperature, bool cosine, bool contrast_anchors,
                      bool contrast_positives) {
  Spec sp;
  sp.emb[0] = a; sp.rows[0] = B;
  sp.emb[1] = p; sp.rows[1] = B;
  if (n && H > 0) { sp.emb[2] = n; sp.rows[2] = H; }
  sp.dim = dim;
  sp.cosine = cosine;
  sp.scale = 1.0f / temperature;
  sp.mask_threshold = thr;
  const bool explicit_m = gm.ap != nullptr;
  if (!explicit_m) {
    sp.guide[0] = ga;
    sp.guide[1] = gp;
    if (sp.emb[2]) sp.guide[2] = gn;
    sp.guide_dim = gdim;
  }
  auto blk = [&](int r, int c, const float* m, bool protect) {
    Block b;
    b.row = r; b.col = c; b.masked = true; b.protect_diag = protect;
    if (explicit_m) b.guide_matrix = m;
    else { b.guide_row = r; b.guide_col = c; }
    return b;
  };
  Problem pr;
  pr.blocks.push_back(blk(0, 1, gm.ap, true));
  if (contrast_anchors) pr.blocks.push_back(blk(0, 0, gm.aa, false));
  if (contrast_positives) pr.blocks.push_back(blk(1, 1, gm.pp, false));
  if (sp.emb[2]) pr.blocks.push_back(blk(0, 2, gm.an, false));
  sp.problems.push_back(pr);
  return sp;
}

}  // namespace loss
}  // namespace tamsaek
