// Per-entry rules shared by the CUDA kernels and the CPU build (see hd.h): how a raw dot product becomes
// a search score (native/topk/search.h), and the GISTEmbed false-negative mask (native/loss/gist.h).
#pragma once
#include <cmath>

#include "hd.h"

namespace tamsaek {
namespace rec {

enum MetricCode { kDot = 0, kCosine = 1, kL2 = 2 };

// dot = q . x; row_norm2 = |x|^2 of the stored row; q_norm2 = |q|^2; q_inv = 1/|q| (0 for a zero query).
// cosine of a zero row is 0; l2 returns the negative squared distance (higher is better).
TSK_HD float finish_score(int metric, float dot, float row_norm2, float q_norm2, float q_inv) {
  if (metric == kDot) return dot;
  if (metric == kCosine) return row_norm2 > 0.0f ? dot * q_inv / sqrtf(row_norm2) : 0.0f;
  return -(row_norm2 - 2.0f * dot + q_norm2);
}

enum MarginCode { kAbsolute = 0, kRelative = 1 };

// Row threshold from the guide's positive similarity g_pos: absolute g_pos − margin, relative
// g_pos · (1 − margin).
TSK_HD float gist_threshold(float g_pos, int strategy, float margin) {
  return strategy == kAbsolute ? g_pos - margin : g_pos * (1.0f - margin);
}

// An entry is a false negative (its logit becomes −inf) when its guide similarity exceeds the row's
// threshold, except the protected positive.
TSK_HD bool gist_masked(float guide_sim, float threshold, bool is_protected_positive) {
  return guide_sim > threshold && !is_protected_positive;
}

}  // namespace rec
}  // namespace tamsaek
