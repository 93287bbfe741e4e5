// Bounded top-k lists shared by the CUDA kernels and the CPU build (see hd.h).
//
// A list holds at most `cap` hits sorted best-first under the same total order as native/topk/topk.h:
//   a ranks before b  <=>  a.score > b.score, or a.score == b.score and a.idx < b.idx.
// Empty slots are (−inf, kNoRow), which every real hit ranks before. The GPU kernels keep one list
// per warp (scan) or per query column (batched tile), and merge lists pairwise at the end.
#pragma once
#include <cstdint>

#include "hd.h"

namespace tamsaek {
namespace rec {

constexpr uint32_t kNoRow = 0xffffffffu;

TSK_HD bool ranks_before(float sa, uint32_t ia, float sb, uint32_t ib) {
  return sa > sb || (sa == sb && ia < ib);
}

// Inserts (score, idx) into the sorted list (scores s, rows ix, current length *len, capacity cap)
// when it ranks before the last kept hit or the list is not full. Returns true when inserted.
TSK_HD bool topk_insert(float* s, uint32_t* ix, int* len, int cap, float score, uint32_t idx) {
  int n = *len;
  if (n == cap) {
    if (cap == 0 || !ranks_before(score, idx, s[n - 1], ix[n - 1])) return false;
    --n;  // the last hit drops out
  }
  int p = n;
  while (p > 0 && ranks_before(score, idx, s[p - 1], ix[p - 1])) {
    s[p] = s[p - 1];
    ix[p] = ix[p - 1];
    --p;
  }
  s[p] = score;
  ix[p] = idx;
  *len = n + 1;
  return true;
}

// The score a candidate must reach to possibly enter a full list (−inf while not full). A candidate
// with exactly this score enters only with a smaller row index (ranks_before decides).
TSK_HD float topk_threshold(const float* s, int len, int cap) {
  return len < cap ? neg_inf() : s[cap - 1];
}

// Merges two sorted lists (lengths na, nb) into out (at most cap hits, best-first); returns the length.
// Lists must not alias out.
TSK_HD int topk_merge(const float* as, const uint32_t* ai, int na, const float* bs, const uint32_t* bi, int nb,
                      float* os, uint32_t* oi, int cap) {
  int i = 0, j = 0, o = 0;
  while (o < cap && (i < na || j < nb)) {
    const bool take_a = j >= nb || (i < na && ranks_before(as[i], ai[i], bs[j], bi[j]));
    if (take_a) {
      os[o] = as[i];
      oi[o] = ai[i];
      ++i;
    } else {
      os[o] = bs[j];
      oi[o] = bi[j];
      ++j;
    }
    // a hit can appear in both lists only if the caller merged overlapping ranges; never here
    ++o;
  }
  return o;
}

}  // namespace rec
}  // namespace tamsaek
