// 64-byte aligned scratch buffers plus a process-wide scratch accounting (current and peak bytes),
// which the addon reports so tests can check that tiled kernels never allocate O(batch x candidates).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace tamsaek {

struct ScratchStats {
  std::atomic<long long> current{0};
  std::atomic<long long> peak{0};
};
inline ScratchStats& scratch_stats() {
  static ScratchStats s;
  return s;
}
inline void scratch_account(long long delta) {
  auto& s = scratch_stats();
  long long now = s.current.fetch_add(delta) + delta;
  long long p = s.peak.load();
  while (now > p && !s.peak.compare_exchange_weak(p, now)) {
  }
}
inline void scratch_reset_peak() {
  auto& s = scratch_stats();
  s.peak.store(s.current.load());
}

template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t n, bool zero = false) { reset(n, zero); }
  ~AlignedBuffer() { release(); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr; o.n_ = 0; }
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) { release(); p_ = o.p_; n_ = o.n_; o.p_ = nullptr; o.n_ = 0; }
    return *this;
  }
  void reset(size_t n, bool zero = false) {
    release();
    if (n == 0) return;
    size_t bytes = ((n * sizeof(T) + 63) / 64) * 64;
    p_ = static_cast<T*>(std::aligned_alloc(64, bytes));
    if (!p_) throw std::bad_alloc();
    n_ = n;
    scratch_account(static_cast<long long>(bytes));
    if (zero) std::memset(static_cast<void*>(p_), 0, bytes);
  }
  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }

 private:
  void release() {
    if (p_) {
      scratch_account(-static_cast<long long>(((n_ * sizeof(T) + 63) / 64) * 64));
      std::free(p_);
    }
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace tamsaek
