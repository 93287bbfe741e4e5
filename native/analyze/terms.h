// From morphemes to index terms, the same rules as ko-morph (src/analyze): entries of type
// Inflect/Compound/Preanalysis are replaced by the morphemes of their expression when decompounding
// (user words with parts always are), each morpheme is kept unless its tag is a dropped tag (joined
// tags like VV+EP are judged by their first tag), ASCII is lower-cased, and pure ASCII punctuation
// is no term. Terms with other non-Hangul characters are counted in `needs_fold`: the caller lower-
// cases them and drops those without a letter or digit (Unicode rules live in JavaScript).
// With `compounds`, every run of 2 to kMaxCompoundParts morphemes inside one eojeol (no whitespace
// between them) whose tags are all compound tags (nouns, numerals, prefixes, foreign words and numbers)
// and which holds a head (a noun or numeral) adds one more term after all the text's others: its
// surfaces joined by "+" (진로도서 → 진로, 도서 … 진로+도서), whatever the stop filter does with them.
// Spacing varies in Korean compounds; the joined term rewards a document that writes the compound as
// the query does.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tagger.h"
#include "text.h"

namespace tamsaek {
namespace analyze {

struct TermOptions;

class TagSet {
 public:
  void add(std::string_view tag) { keys_.push_back(key(tag)); }
  bool contains(std::string_view tag) const {
    const uint64_t k = key(tag);
    for (uint64_t x : keys_)
      if (x == k) return true;
    return false;
  }
  bool empty() const { return keys_.empty(); }

 private:
  // Tags are short ASCII: up to 8 bytes pack into one integer (longer ones share a prefix key).
  static uint64_t key(std::string_view t) {
    uint64_t k = t.size() > 8 ? 0xFF : 0;
    for (size_t i = 0; i < t.size() && i < 8; ++i) k = (k << 8) | static_cast<uint8_t>(t[i]);
    return k;
  }
  std::vector<uint64_t> keys_;
};

// What the term rule needs of a system dictionary entry, remembered per entry so that the feature
// string (a cache miss in a 37 MB section) is read once per entry instead of once per occurrence:
// the class of its first tag and whether it has an expression to decompose. Shared by the threads
// of a batch: entries are filled with release stores after their class is registered.
class EntryInfoCache {
 public:
  static constexpr uint8_t kKnown = 0x80, kExpression = 0x40, kClassMask = 0x3F;

  explicit EntryInfoCache(size_t entries) : info_(new std::atomic<uint8_t>[entries]), size_(entries) {
    for (size_t i = 0; i < entries; ++i) info_[i].store(0, std::memory_order_relaxed);
  }
  uint8_t get(size_t entry) const { return entry < size_ ? info_[entry].load(std::memory_order_acquire) : 0; }
  void set(size_t entry, uint8_t v) {
    if (entry < size_) info_[entry].store(v, std::memory_order_release);
  }
  // Class of a first tag, 1..63, registering it on first sight (0: no room, use the slow path).
  uint8_t class_of(std::string_view tag, const TermOptions& opt);
  bool dropped(uint8_t cls) const { return drop_[cls].load(std::memory_order_acquire) != 0; }
  // kRunPart / kRunHead bits of the class's role in compounds.
  uint8_t run_role(uint8_t cls) const { return run_[cls].load(std::memory_order_acquire); }

 private:
  std::unique_ptr<std::atomic<uint8_t>[]> info_;
  size_t size_;
  std::mutex mu_;
  std::vector<std::string> tags_;  // class k + 1
  std::atomic<uint8_t> drop_[kClassMask + 1] = {};
  std::atomic<uint8_t> run_[kClassMask + 1] = {};
};

constexpr uint8_t kRunPart = 1, kRunHead = 2;
// Real compounds have at most 8 parts in the shared corpora (docs/analyzers.md); a longer run is unspaced text.
constexpr uint32_t kMaxCompoundParts = 16;

struct TermOptions {
  TagSet dropped;
  bool decompound = true;
  bool compounds = false;
  TagSet compound_tags;   // tags a compound is made of
  TagSet compound_heads;  // tags of which a compound needs one
  uint8_t run_role(std::string_view tag) const {
    if (!compound_tags.contains(tag)) return 0;
    return static_cast<uint8_t>(kRunPart | (compound_heads.contains(tag) ? kRunHead : 0));
  }
  std::unique_ptr<EntryInfoCache> cache;  // sized to the system dictionary
};

// Terms of one text, concatenated: term i is chars[ends[i-1] .. ends[i]).
struct Terms {
  std::u16string chars;
  std::vector<uint32_t> ends;
  uint32_t needs_fold = 0;
  uint32_t compounds = 0;  // the last `compounds` terms are compounds
  void clear() {
    chars.clear();
    ends.clear();
    needs_fold = 0;
    compounds = 0;
  }
};

// Analyses UTF-16 text and appends its terms to `out`. Thread-safe for one `opt` (its cache is).
void text_terms(const Tagger& tagger, TermOptions& opt, const char16_t* text, size_t n, Utf8Text& scratch,
                std::vector<Morph>& morphs, Terms& out);

}  // namespace analyze
}  // namespace tamsaek
