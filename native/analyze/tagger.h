// The analyzer: a dictionary (shared), optional user words, and the cutting of a text into the
// sentences the lattice sees. Like the `mecab` command, which reads one sentence per line, every
// line is analysed on its own; a line longer than kMaxLatticeBytes is cut near that length, at a
// sentence end followed by a space if there is one in its second half, else at the last whitespace,
// else at a character boundary, so lattice memory stays bounded and time linear in the text.
// Immutable after construction: one Tagger serves every thread (each thread has its own Lattice).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "dictionary.h"
#include "lattice.h"
#include "user_dictionary.h"

namespace tamsaek {
namespace analyze {

class Tagger {
 public:
  // space_penalty: mecab-ko's left-space penalty (dicrc) on words after whitespace; off = MeCab's rules.
  Tagger(std::shared_ptr<const Dictionary> dic, std::shared_ptr<const UserDictionary> user, bool space_penalty = false)
      : dic_(std::move(dic)), user_(std::move(user)), space_penalty_(space_penalty) {}

  // Appends the morphemes of UTF-8 `text` (offsets into it) to `out`.
  void parse(const uint8_t* text, size_t len, std::vector<Morph>& out) const;
  // The feature CSV of a morpheme (a view into the dictionary's feature strings or the user entry).
  std::string_view feature(const Morph& m) const;
  const Dictionary& dictionary() const { return *dic_; }
  const UserDictionary* user() const { return user_.get(); }

 private:
  std::shared_ptr<const Dictionary> dic_;
  std::shared_ptr<const UserDictionary> user_;
  bool space_penalty_;
};

// Where to cut a line of `len` bytes that is longer than `max` (exposed for tests): a position in
// (max / 2, max], never inside a UTF-8 sequence.
size_t cut_point(const uint8_t* s, size_t len, size_t max);

}  // namespace analyze
}  // namespace tamsaek
