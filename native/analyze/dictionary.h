// The compiled mecab-ko-dic files, opened by mmap (mapped_file.h):
//   sys.dic / unk.dic  header (ten uint32: magic = file size ^ 0xef718f77, version 102, type, token
//                      count, right/left context id counts, sizes of the trie, token and feature
//                      sections, 0) + 32-byte charset, then the double-array trie (double_array.h),
//                      the 16-byte tokens, and the NUL-terminated CSV feature strings. A trie value
//                      v names tokens [v >> 8, (v >> 8) + (v & 0xff)): every entry of one surface.
//   matrix.bin         uint16 R, uint16 L, then int16 cost[R * L]: the connection cost between a
//                      word with right context id r and a following word with left context id l is
//                      cost[r + R * l].
//   char.bin           character categories (char_property.h).
// unk.dic's keys are category names; its tokens are the unknown-word entries of each category.
#pragma once
#include <cstddef>
#include <cstdint>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "char_property.h"
#include "double_array.h"
#include "mapped_file.h"

namespace tamsaek {
namespace analyze {

// One dictionary entry, in the file's layout.
struct Token {
  uint16_t left_id;   // left context id (compared with the previous word's right id)
  uint16_t right_id;  // right context id
  uint16_t pos_id;
  int16_t cost;       // word cost
  uint32_t feature;   // offset of the feature string
  uint32_t reserved;
};
static_assert(sizeof(Token) == 16, "Token must match the file layout");

class DicFile {
 public:
  // Throws std::runtime_error naming the file when it is not a MeCab dictionary.
  explicit DicFile(const std::string& path);

  const DoubleArray& trie() const { return trie_; }
  size_t token_count() const { return token_count_; }
  Token token(size_t i) const {
    Token t;
    std::memcpy(&t, tokens_ + i * sizeof(Token), sizeof(Token));
    return t;
  }
  // Starts loading the cache lines of tokens [first, first + count).
  void prefetch_tokens(size_t first, size_t count) const {
#if defined(__GNUC__) || defined(__clang__)
    const uint8_t* a = tokens_ + first * sizeof(Token);
    for (size_t off = 0; off < count * sizeof(Token); off += 64) __builtin_prefetch(a + off);
#else
    (void)first;
    (void)count;
#endif
  }
  // The feature string at this offset; empty when the offset is out of range or unterminated.
  std::string_view feature(uint32_t offset) const;
  uint32_t left_ids() const { return left_ids_; }
  uint32_t right_ids() const { return right_ids_; }
  size_t mapped_bytes() const { return file_.size(); }

 private:
  MappedFile file_;
  DoubleArray trie_;
  const uint8_t* tokens_ = nullptr;
  size_t token_count_ = 0;
  const char* features_ = nullptr;
  size_t feature_bytes_ = 0;
  uint32_t left_ids_ = 0, right_ids_ = 0;
};

class Matrix {
 public:
  explicit Matrix(const std::string& path);
  // Connection cost of (left word's right id, right word's left id); ids must be in range.
  int cost(uint32_t right_id, uint32_t left_id) const {
    int16_t v;
    std::memcpy(&v, costs_ + 2 * (right_id + static_cast<size_t>(right_ids_) * left_id), 2);
    return v;
  }
  // Row of a right word's left id: row[right_id] is the cost from any left word.
  const uint8_t* row(uint32_t left_id) const { return costs_ + 2 * static_cast<size_t>(right_ids_) * left_id; }
  // The lowest cost of a row, computed on first use (a row is 7.6 KB for mecab-ko-dic): a bound that
  // lets the Viterbi step skip predecessors that cannot win.
  int row_min(uint32_t left_id) const {
    int v = row_min_[left_id].load(std::memory_order_relaxed);
    return v != kUnknownMin ? v : compute_row_min(left_id);
  }
  uint32_t right_ids() const { return right_ids_; }
  uint32_t left_ids() const { return left_ids_; }

 private:
  static constexpr int kUnknownMin = 1 << 30;
  int compute_row_min(uint32_t left_id) const;

  MappedFile file_;
  const uint8_t* costs_ = nullptr;
  uint32_t right_ids_ = 0, left_ids_ = 0;
  std::unique_ptr<std::atomic<int>[]> row_min_;  // racing threads store the same value
};

// Everything the analyzer reads from a dictionary directory. Immutable once opened, so one instance
// is shared by every analyzer and thread in the process (see open()).
class Dictionary {
 public:
  // The dictionary of this directory, mapped once per process and shared while anyone holds it.
  static std::shared_ptr<const Dictionary> open(const std::string& dir);
  explicit Dictionary(const std::string& dir);

  const DicFile& system() const { return sys_; }
  const DicFile& unknown() const { return unk_; }
  const Matrix& matrix() const { return matrix_; }
  const CharProperty& chars() const { return chars_; }
  // Unknown-word tokens of category k: [first, first + count) in unknown().
  struct Range {
    uint32_t first = 0, count = 0;
  };
  Range unknown_entries(uint8_t category) const {
    return category < unk_ranges_.size() ? unk_ranges_[category] : Range{};
  }
  const CharInfo& space() const { return space_; }
  // mecab-ko's left-space-penalty-factor (dicrc): extra cost of a word of this POS id that follows
  // whitespace (particles, endings …). Original MeCab, hence Debian's mecab, ignores the setting.
  int space_penalty(uint16_t pos_id) const { return pos_id < space_penalty_.size() ? space_penalty_[pos_id] : 0; }
  const std::string& dir() const { return dir_; }
  size_t mapped_bytes() const;

 private:
  std::string dir_;
  DicFile sys_, unk_;
  Matrix matrix_;
  MappedFile char_file_;
  CharProperty chars_;
  std::vector<Range> unk_ranges_;
  CharInfo space_;
  std::vector<int16_t> space_penalty_;
};

}  // namespace analyze
}  // namespace tamsaek
