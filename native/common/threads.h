// Minimal fork-join parallelism. Work items here are tens of milliseconds, so spawning
// std::threads per call (tens of microseconds) costs nothing measurable and avoids a global pool
// whose lifetime would have to outlive N-API environments.
#pragma once
#include <algorithm>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace tamsaek {

inline int default_threads() {
  unsigned h = std::thread::hardware_concurrency();
  return h == 0 ? 1 : static_cast<int>(h);
}

// Runs fn(tid) for tid in [0, nthreads) and joins; the first exception is rethrown.
inline void parallel_run(int nthreads, const std::function<void(int)>& fn) {
  if (nthreads <= 1) { fn(0); return; }
  std::vector<std::thread> ts;
  std::vector<std::exception_ptr> errs(static_cast<size_t>(nthreads));
  ts.reserve(static_cast<size_t>(nthreads - 1));
  for (int t = 1; t < nthreads; ++t) {
    ts.emplace_back([&, t] {
      try { fn(t); } catch (...) { errs[static_cast<size_t>(t)] = std::current_exception(); }
    });
  }
  try { fn(0); } catch (...) { errs[0] = std::current_exception(); }
  for (auto& th : ts) th.join();
  for (auto& e : errs) if (e) std::rethrow_exception(e);
}

// Contiguous split of [0, n) into nparts ranges aligned to `align`.
inline void split_range(size_t n, int nparts, int part, size_t align, size_t& b, size_t& e) {
  size_t blocks = (n + align - 1) / align;
  size_t per = blocks / static_cast<size_t>(nparts), rem = blocks % static_cast<size_t>(nparts);
  size_t p = static_cast<size_t>(part);
  size_t bb = p * per + std::min(p, rem);
  size_t eb = bb + per + (p < rem ? 1 : 0);
  b = std::min(n, bb * align);
  e = std::min(n, eb * align);
}

}  // namespace tamsaek
