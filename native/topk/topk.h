// Bounded top-k selection with a deterministic total order:
//   a ranks before b  <=>  a.score > b.score, or a.score == b.score and a.idx < b.idx.
// The heap keeps the k best seen so far with the worst at the root, so the common case
// (score below the current k-th best) is a single compare against threshold().
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace tamsaek {

struct Hit {
  float score;
  uint32_t idx;
};

inline bool hit_before(const Hit& a, const Hit& b) {
  return a.score > b.score || (a.score == b.score && a.idx < b.idx);
}

class TopK {
 public:
  explicit TopK(size_t k = 0) : k_(k) { h_.reserve(std::min<size_t>(k, 1024)); }
  void reset(size_t k) { k_ = k; h_.clear(); h_.reserve(std::min<size_t>(k, 1024)); }
  // Scores strictly below the threshold can never enter the heap.
  float threshold() const {
    return h_.size() < k_ ? -std::numeric_limits<float>::infinity() : h_.front().score;
  }
  bool full() const { return h_.size() >= k_; }
  void push(float s, uint32_t idx) {
    Hit x{s, idx};
    if (h_.size() < k_) {
      h_.push_back(x);
      std::push_heap(h_.begin(), h_.end(), hit_before);
    } else if (k_ > 0 && hit_before(x, h_.front())) {
      std::pop_heap(h_.begin(), h_.end(), hit_before);
      h_.back() = x;
      std::push_heap(h_.begin(), h_.end(), hit_before);
    }
  }
  const std::vector<Hit>& items() const { return h_; }

 private:
  size_t k_;
  std::vector<Hit> h_;
};

// Merges per-thread candidates into the final best-first list of at most k hits.
inline std::vector<Hit> merge_topk(const std::vector<const std::vector<Hit>*>& parts, size_t k) {
  std::vector<Hit> all;
  for (auto* p : parts) all.insert(all.end(), p->begin(), p->end());
  std::sort(all.begin(), all.end(), hit_before);
  if (all.size() > k) all.resize(k);
  return all;
}

}  // namespace tamsaek
