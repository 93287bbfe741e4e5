// Common-prefix search over a double-array trie in the layout MeCab dictionaries use (the Darts
// format): an array of units {int32 base, uint32 check}. From state s, byte c leads to state
// t = base[s] + c + 1 when check[t] == s; a key ends at state s when the unit at index base[s]
// (the "terminal" transition, code 0) has check == s and a negative base, whose value is -base - 1.
// Every index is bounds-checked, so a corrupt file gives no match instead of a read out of range.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tamsaek {
namespace analyze {

class DoubleArray {
 public:
  DoubleArray() = default;
  DoubleArray(const uint8_t* units, size_t count) : units_(units), count_(count) {}

  // Calls on_match(value, key_length) for every key that is a prefix of [key, key + len), shortest
  // first. Returns the number of matches. Keys are UTF-8 (the dictionary's charset), so a key can only
  // end before a byte that starts a character: the terminal unit is read only there.
  template <typename F>
  size_t common_prefix(const uint8_t* key, size_t len, F&& on_match) const {
    if (count_ == 0) return 0;
    size_t found = 0;
    int64_t b = base(0);
    for (size_t i = 0;; ++i) {
      int32_t value;
      if ((i == len || (key[i] & 0xC0) != 0x80) && terminal(b, value)) {
        on_match(value, i);
        ++found;
      }
      if (i == len) break;
      const int64_t p = b + static_cast<int64_t>(key[i]) + 1;
      if (!valid(p) || check(p) != static_cast<uint32_t>(b)) break;
      b = base(p);
    }
    return found;
  }

  // A common-prefix walk advanced one byte at a time (step), so that several walks can be interleaved:
  // each step's loads are known a step ahead and fetched early, and the walks' cache misses overlap.
  struct Walk {
    int64_t state = 0;
    size_t consumed = 0;
  };
  Walk start() const { return Walk{count_ == 0 ? -1 : base(0), 0}; }
  // Reports a key ending after `consumed` bytes (as common_prefix would), then follows the next byte.
  // Returns false when the walk is over.
  template <typename F>
  bool step(Walk& w, const uint8_t* key, size_t len, F&& on_match) const {
    if (w.state < 0) return false;
    int32_t value;
    if (w.consumed > 0 && (w.consumed == len || (key[w.consumed] & 0xC0) != 0x80) && terminal(w.state, value))
      on_match(value, w.consumed);
    if (w.consumed == len) return false;
    const int64_t p = w.state + static_cast<int64_t>(key[w.consumed]) + 1;
    if (!valid(p) || check(p) != static_cast<uint32_t>(w.state)) return false;
    w.state = base(p);
    ++w.consumed;
    prefetch_unit(w.state);
    if (w.consumed < len) prefetch_unit(w.state + static_cast<int64_t>(key[w.consumed]) + 1);
    return true;
  }

  // The value stored for exactly this key, or -1.
  int32_t exact(const uint8_t* key, size_t len) const {
    if (count_ == 0) return -1;
    int64_t b = base(0);
    for (size_t i = 0; i < len; ++i) {
      const int64_t p = b + static_cast<int64_t>(key[i]) + 1;
      if (!valid(p) || check(p) != static_cast<uint32_t>(b)) return -1;
      b = base(p);
    }
    int32_t value;
    return terminal(b, value) ? value : -1;
  }

 private:
  bool valid(int64_t p) const { return p >= 0 && static_cast<uint64_t>(p) < count_; }
  void prefetch_unit(int64_t p) const {
#if defined(__GNUC__) || defined(__clang__)
    if (valid(p)) __builtin_prefetch(units_ + static_cast<size_t>(p) * 8);
#else
    (void)p;
#endif
  }
  int32_t base(int64_t p) const {
    int32_t v;
    std::memcpy(&v, units_ + static_cast<size_t>(p) * 8, 4);
    return v;
  }
  uint32_t check(int64_t p) const {
    uint32_t v;
    std::memcpy(&v, units_ + static_cast<size_t>(p) * 8 + 4, 4);
    return v;
  }
  bool terminal(int64_t b, int32_t& value) const {
    if (!valid(b) || check(b) != static_cast<uint32_t>(b)) return false;
    const int32_t n = base(b);
    if (n >= 0) return false;
    value = -n - 1;
    return true;
  }

  const uint8_t* units_ = nullptr;
  size_t count_ = 0;
};

}  // namespace analyze
}  // namespace tamsaek
