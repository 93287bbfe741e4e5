// Online log-sum-exp (the running max / rescaled sum recurrence of Milakov & Gimelshein 2018, "Online
// normalizer calculation for softmax", used by FlashAttention), shared by the CUDA loss kernels and
// the CPU build (see hd.h). State (m, s) stands for  log( s * exp(m) ) = log sum_j exp(x_j); an empty
// state, or one that saw only −inf, is (−inf, 0).
#pragma once
#include <cmath>

#include "hd.h"

namespace tamsaek {
namespace rec {

struct Lse {
  float m;
  float s;
};

TSK_HD Lse lse_empty() { return Lse{neg_inf(), 0.0f}; }

// Folds one logit into the state. −inf logits (masked entries) leave it unchanged.
TSK_HD void lse_push(Lse& st, float x) {
  if (x == neg_inf()) return;
  if (x > st.m) {
    st.s = st.s * expf(st.m - x) + 1.0f;  // expf(−inf) = 0 covers the empty state
    st.m = x;
  } else {
    st.s += expf(x - st.m);
  }
}

// Merges two partial states (associative and commutative up to rounding).
TSK_HD Lse lse_merge(Lse a, Lse b) {
  if (b.m == neg_inf()) return a;
  if (a.m == neg_inf()) return b;
  if (a.m >= b.m) return Lse{a.m, a.s + b.s * expf(b.m - a.m)};
  return Lse{b.m, b.s + a.s * expf(a.m - b.m)};
}

// log sum exp of everything pushed; −inf when nothing finite was pushed.
TSK_HD float lse_value(Lse st) { return st.m == neg_inf() ? st.m : st.m + logf(st.s); }

}  // namespace rec
}  // namespace tamsaek
