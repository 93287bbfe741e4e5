// User words, compiled at load: surface, context ids, word cost and feature string (the TS layer
// derives the ids from the dictionary's rewrite.def / left-id.def / right-id.def). The lattice asks
// for every user word that is a prefix of the text at a position, as it asks the system trie.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tamsaek {
namespace analyze {

struct UserEntry {
  std::string surface;  // UTF-8, non-empty
  uint16_t left_id = 0, right_id = 0;
  int16_t cost = 0;
  std::string feature;  // CSV, as in sys.dic
};

class UserDictionary {
 public:
  // Entries are sorted by surface; a surface given twice keeps its first entry.
  explicit UserDictionary(std::vector<UserEntry> entries) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const UserEntry& a, const UserEntry& b) { return a.surface < b.surface; });
    for (auto& e : entries) {
      if (e.surface.empty() || (!entries_.empty() && entries_.back().surface == e.surface)) continue;
      entries_.push_back(std::move(e));
    }
  }

  size_t size() const { return entries_.size(); }
  const UserEntry& entry(size_t i) const { return entries_[i]; }

  // Calls on_match(entry_index, byte_length) for every entry that is a prefix of [key, key + len),
  // shortest first: the sorted keys sharing the prefix read so far form one range, narrowed a byte
  // at a time.
  template <typename F>
  void common_prefix(const uint8_t* key, size_t len, F&& on_match) const {
    size_t lo = 0, hi = entries_.size();
    for (size_t d = 0; lo < hi; ++d) {
      // keys equal to the prefix come first in their range
      while (lo < hi && entries_[lo].surface.size() == d) {
        if (d > 0) on_match(lo, d);
        ++lo;
      }
      if (d == len || lo == hi) return;
      const unsigned char c = key[d];
      auto byte_at = [d](const UserEntry& e) { return static_cast<unsigned char>(e.surface[d]); };
      auto first = std::partition_point(entries_.begin() + lo, entries_.begin() + hi,
                                        [&](const UserEntry& e) { return byte_at(e) < c; });
      auto last = std::partition_point(first, entries_.begin() + hi, [&](const UserEntry& e) { return byte_at(e) == c; });
      lo = static_cast<size_t>(first - entries_.begin());
      hi = static_cast<size_t>(last - entries_.begin());
    }
  }

 private:
  std::vector<UserEntry> entries_;
};

}  // namespace analyze
}  // namespace tamsaek
