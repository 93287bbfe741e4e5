// MeCab's lattice and Viterbi search, following its published description ("MeCab: Yet Another
// Part-of-Speech and Morphological Analyzer", Kudo et al.; the dictionary format of dictionary.h).
//
// Every position where some word ends is a place where words may start. There, after skipping
// characters of the SPACE category, the lattice gets
//   - every dictionary word (system, then user) that is a prefix of the rest of the sentence;
//   - unknown words from char.def's rules for the first character's category c, when no dictionary
//     word starts there or c has INVOKE: if c has GROUP, the run of characters that share a category
//     with their predecessor (at most 1 + kMaxGroup characters), and if LENGTH > 0, the first 1 ..
//     LENGTH characters of that run (stopping at the group's own length); one entry per
//     unknown-word token of c's default category;
//   - a one-character unknown word when nothing else starts there.
// The cost of a path is the sum of its word costs and of the connection costs between neighbours
// (matrix.bin), BOS and EOS having context id 0. Each word keeps its cheapest predecessor; ties go to
// the predecessor MeCab would meet first: words that start later first, then in the order they were
// proposed. EOS follows the last position where a word ends.
//
// Work per position is bounded (trie depth, kMaxGroup, dictionary homographs), so time is linear in
// the sentence length; memory is proportional to it, so callers cut long texts (tagger.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dictionary.h"
#include "user_dictionary.h"

namespace tamsaek {
namespace analyze {

// Longest unknown-word group is 1 + kMaxGroup characters (MeCab's default max-grouping-size).
constexpr size_t kMaxGroup = 24;

// Longest sentence one lattice holds. A path has at most one word per byte, and a word adds at most
// 2^15 (word cost) + 2^15 (connection cost) in magnitude, so path costs fit in 32 bits.
constexpr size_t kMaxLatticeBytes = 1 << 14;
static_assert((kMaxLatticeBytes + 1) * 65536 < (size_t{1} << 31), "path costs must fit in int32_t");

enum class Source : uint8_t { System = 0, Unknown = 1, User = 2 };

struct Node {
  uint32_t begin = 0, end = 0;  // surface bytes [begin, end) of the sentence
  // matrix row of the left context id, matrix column of the right context id (matrix.h); BOS and EOS have
  // context id 0, whose row and column are 0
  uint16_t row = 0, column = 0;
  int16_t word_cost = 0;
  Source source = Source::System;
  uint32_t entry = 0;  // token index in its dictionary, or user entry index
  int32_t cost = 0;    // cheapest path cost from BOS through this node
  int32_t prev = -1;   // that path's previous node
  int32_t enext = -1;  // next node ending at the same position (most recent first)
};
static_assert(sizeof(Node) == 32, "a lattice node fills half a cache line");

// A word of the best path.
struct Morph {
  uint32_t begin = 0, end = 0;  // bytes of the analysed text
  Source source = Source::System;
  uint32_t entry = 0;
};

// Per-thread scratch, reused between sentences.
class Lattice {
 public:
  // Appends the best path through `sentence` (at most kMaxLatticeBytes) to `out`, offsets shifted by `base`.
  // space_penalty: add mecab-ko's left-space penalty to words that follow whitespace (not MeCab's rule).
  void best_path(const Dictionary& dic, const UserDictionary* user, const uint8_t* sentence, size_t len,
                 uint32_t base, bool space_penalty, std::vector<Morph>& out);
  // Frees buffers grown by an unusually long sentence.
  void trim();

 private:
  struct Group {
    int32_t cost;
    uint32_t column;  // matrix column of the predecessors' right context id
    int32_t node;
    int32_t rank;  // position in the end list: lower wins ties
  };
  struct Best {
    int32_t cost;
    int32_t node;
  };
  struct Match {
    uint32_t first, count, length;  // tokens [first, first + count) of a key of `length` bytes
  };
  struct Found {
    uint32_t pos;
    Match match;
  };

  void reset(const Dictionary& dic, size_t len);
  void prewalk(const Dictionary& dic, const uint8_t* s, size_t len);
  void lookup(const Dictionary& dic, const UserDictionary* user, const uint8_t* s, size_t pos, size_t len,
              bool space_penalty);
  void add_unknown(const Dictionary& dic, uint32_t begin, uint32_t end, uint8_t category, bool spaced);
  void connect(const Dictionary& dic, size_t pos, size_t first, size_t last);

  std::vector<Node> nodes_;
  std::vector<int32_t> end_head_;  // per byte position: the last node ending there, or -1
  std::vector<Group> groups_;
  std::vector<Found> found_;        // dictionary keys found by prewalk, in the order found
  std::vector<Match> matches_;      // the same by start position: those of p are [match_at_[p], match_at_[p + 1])
  std::vector<uint32_t> match_at_;
  std::vector<uint16_t> lefts_;  // matrix rows
  // per matrix column: its group at the current position; per matrix row: its best predecessor there. Valid
  // where stamp == stamp_ (one cache line per lookup: stamp and value side by side)
  struct RightSlot {
    uint32_t stamp;
    int32_t group;
  };
  struct LeftSlot {
    uint32_t stamp;
    Best best;
  };
  std::vector<RightSlot> right_;
  std::vector<LeftSlot> left_;
  uint32_t stamp_ = 0;
};

}  // namespace analyze
}  // namespace tamsaek
