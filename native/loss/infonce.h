// InfoNCE / MultipleNegativesRankingLoss.
//   van den Oord, Li, Vinyals 2018, "Representation Learning with Contrastive Predictive Coding";
//   Henderson et al. 2017, "Efficient Natural Language Response Suggestion for Smart Reply"
//   (sentence-transformers MultipleNegativesRankingLoss / MultipleNegativesSymmetricRankingLoss).
//
// Anchors a (B x d), positives p (B x d), hard negatives n (H x d, any H, shared by all anchors as
// in-batch candidates), similarity sim = cosine (default) or dot, scale s (= 1/temperature, default 20):
//
//   L_fwd = -1/B sum_i log( exp(s sim(a_i,p_i)) / ( sum_j exp(s sim(a_i,p_j)) + sum_k exp(s sim(a_i,n_k)) ) )
//   L_bwd = -1/B sum_j log( exp(s sim(p_j,a_j)) / sum_i exp(s sim(p_j,a_i)) )           (symmetric only)
//   L     = L_fwd                        (symmetric = false)
//         = (L_fwd + L_bwd) / 2           (symmetric = true)
#pragma once
#include "contrastive.h"

namespace tamsaek {
namespace loss {

inline Spec infonce_spec(const float* a, const float* p, const float* n, size_t B, size_t H, size_t dim, float scale,
                         bool cosine, bool symmetric) {
  Spec sp;
  sp.emb[0] = a; sp.rows[0] = B;
  sp.emb[1] = p; sp.rows[1] = B;
  if (n && H > 0) { sp.emb[2] = n; sp.rows[2] = H; }
  sp.dim = dim;
  sp.cosine = cosine;
  sp.scale = scale;
  Problem fwd;
  fwd.weight = symmetric ? 0.5 : 1.0;
  fwd.blocks.push_back(Block{0, 1});
  if (sp.emb[2]) fwd.blocks.push_back(Block{0, 2});
  sp.problems.push_back(fwd);
  if (symmetric) {
    Problem bwd;
    bwd.weight = 0.5;
    bwd.blocks.push_back(Block{1, 0});
    sp.problems.push_back(bwd);
  }
  return sp;
}

}  // namespace loss
}  // namespace tamsaek
