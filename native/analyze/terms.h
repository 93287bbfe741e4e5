// From morphemes to index terms, the same rules as ko-morph (src/analyze): entries of type
// Inflect/Compound/Preanalysis are replaced by the morphemes of their expression when decompounding
// (user words with parts always are), each morpheme is kept unless its tag is a dropped tag (joined
// tags like VV+EP are judged by their first tag), ASCII is lower-cased, and pure ASCII punctuation
// is no term. Terms with other non-Hangul characters are counted in `needs_fold`: the caller lower-
// cases them and drops those without a letter or digit (Unicode rules live in JavaScript).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tagger.h"
#include "text.h"

namespace tamsaek {
namespace analyze {

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

struct TermOptions {
  TagSet dropped;
  bool decompound = true;
};

// Terms of one text, concatenated: term i is chars[ends[i-1] .. ends[i]).
struct Terms {
  std::u16string chars;
  std::vector<uint32_t> ends;
  uint32_t needs_fold = 0;
  void clear() {
    chars.clear();
    ends.clear();
    needs_fold = 0;
  }
};

// Analyses UTF-16 text and appends its terms to `out`.
void text_terms(const Tagger& tagger, const TermOptions& opt, const char16_t* text, size_t n, Utf8Text& scratch,
                std::vector<Morph>& morphs, Terms& out);

}  // namespace analyze
}  // namespace tamsaek
