// Cached (GradCache) contrastive step.
//   Gao, Zhang, Han, Callan 2021, "Scaling Deep Contrastive Learning Batch Size under Memory Limited
//   Setup" (sentence-transformers CachedMultipleNegativesRankingLoss / CachedGISTEmbedLoss).
//
// Recipe: (1) embed the huge batch chunk by chunk without autograd; (2) this step: given all the
// embeddings, return L and dL/d(embedding) for every row -- the same L as infonce.h / gist.h, computed
// with the tiled engine so memory stays O(B x tile) however large B is; (3) re-embed each chunk with
// autograd and back-propagate dL/d(embedding) of that chunk only (embedding . grad as surrogate).
//
// The embeddings arrive as lists of chunk arrays (one per forward chunk); gather() copies them into
// one contiguous scratch matrix per role (counted as scratch); the gradient comes back as one matrix
// per role whose row ranges line up with the chunks (the TS wrapper hands out zero-copy chunk views).
#pragma once
#include <cstring>
#include <vector>

#include "../common/aligned.h"

namespace tamsaek {
namespace loss {

struct Chunk {
  const float* data;
  size_t rows;
};

inline size_t gather(const std::vector<Chunk>& chunks, size_t dim, AlignedBuffer<float>& out) {
  size_t rows = 0;
  for (auto& c : chunks) rows += c.rows;
  out.reset(rows * dim);
  size_t off = 0;
  for (auto& c : chunks) {
    std::memcpy(out.data() + off * dim, c.data, c.rows * dim * sizeof(float));
    off += c.rows;
  }
  return rows;
}

}  // namespace loss
}  // namespace tamsaek
