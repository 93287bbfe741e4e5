// The compiled mecab-ko-dic files, opened by mmap (mapped_file.h):
//   sys.dic / unk.dic  header (ten uint32: magic = file size ^ 0xef718f77, version 102, type, token
//                      count, right/left context id counts, sizes of the trie, token and feature
//                      sections, 0) + 32-byte charset, then the double-array trie (double_array.h),
//                      the 16-byte tokens, and the NUL-terminated CSV feature strings. A trie value
//                      v names tokens [v >> 8, (v >> 8) + (v & 0xff)): every entry of one surface.
//   matrix.bin         the connection costs (matrix.h), read once and folded.
//   char.bin           character categories (char_property.h).
// unk.dic's keys are category names; its tokens are the unknown-word entries of each category.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "char_property.h"
#include "double_array.h"
#include "feature_strings.h"
#include "mapped_file.h"
#include "matrix.h"

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
  // The feature string at this offset; empty when the offset is out of range or unterminated. Read
  // with pread, not through the mapping (feature_strings.h), for how long the view lives.
  std::string_view feature(uint32_t offset) const { return features_.get(offset); }
  // Bytes of feature strings read so far and kept (with a per-entry allowance for the map).
  size_t feature_cache_bytes() const { return features_.cached_bytes(); }
  uint32_t left_ids() const { return left_ids_; }
  uint32_t right_ids() const { return right_ids_; }
  size_t mapped_bytes() const { return file_.size(); }

 private:
  MappedFile file_;
  DoubleArray trie_;
  const uint8_t* tokens_ = nullptr;
  size_t token_count_ = 0;
  FeatureStrings features_;
  uint32_t left_ids_ = 0, right_ids_ = 0;
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
