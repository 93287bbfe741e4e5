// Tiled contrastive cross-entropy engine shared by every loss family (infonce.h, gist.h, cached.h).
//
// A "problem" is a cross-entropy over rows i = 0..B-1 whose logits are the concatenation of one or
// more similarity blocks  s_ij = scale * sim(R_i, C_j)  (R, C chosen per block among the embedding
// matrices E0, E1, E2), the label of row i being column i of block 0. Blocks may carry a guide mask:
// entries whose guide similarity exceeds a per-row threshold are set to -inf (GISTEmbed).
//
//   loss = sum_p weight_p * mean_i [ logsumexp_j s_ij - s_i,label ]
//
// Memory is O(B x tile): pass 1 walks column tiles with an online log-sum-exp per row (running max
// and rescaled sum), pass 2 recomputes each score tile and immediately turns it into gradients
//   g_ij = weight/B * (softmax_ij - [j = label_i]),  dR_i += g_ij dS_ij/dR_i,  dC_j += g_ij dS_ij/dC_j
// through two small GEMMs, never holding more than one (row chunk x column tile) tile per thread.
// For cosine similarity the gradient is taken w.r.t. the normalized vectors and pushed through the
// normalization at the end: dx = (dx^ - x^ (x^ . dx^)) / |x|.
#pragma once
#include <cstddef>
#include <vector>

namespace tamsaek {
namespace loss {

struct Block {
  int row = 0;              // embedding matrix index of the rows (0..2)
  int col = 1;              // embedding matrix index of the candidates
  bool masked = false;      // apply the guide mask
  int guide_row = -1;       // guide embedding matrix for rows (when no explicit matrix)
  int guide_col = -1;
  const float* guide_matrix = nullptr;  // explicit guide similarity (rows x cols, row-major)
  bool protect_diag = false;            // never mask j == i (the positive)
};

struct Problem {
  std::vector<Block> blocks;
  double weight = 1.0;
};

struct Spec {
  const float* emb[3] = {nullptr, nullptr, nullptr};
  size_t rows[3] = {0, 0, 0};
  size_t dim = 0;
  const float* guide[3] = {nullptr, nullptr, nullptr};  // guide embeddings (cosine), rows as emb
  size_t guide_dim = 0;
  const float* mask_threshold = nullptr;  // per-row threshold (B) for masked blocks: masked iff g > thr
  bool cosine = true;
  float scale = 20.0f;
  std::vector<Problem> problems;
  int threads = 1;
  size_t row_chunk = 96;
  size_t col_tile = 256;
  // Max guide-mask entries kept between the passes (0 = always recompute guide tiles in pass 2).
  size_t mask_cap = static_cast<size_t>(-1);  // default: 64 * B + 65536
};

// Writes grad[m] (rows[m] x dim, fully overwritten) for every non-null emb[m]; returns the loss.
double run(const Spec& spec, float* grad[3]);

// Cosine similarities of the guide diagonal pairs: out[i] = cos(a_i, b_i).
void diag_cosine(const float* a, const float* b, size_t n, size_t dim, float* out);

}  // namespace loss
}  // namespace tamsaek
