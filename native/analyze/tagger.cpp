#include "tagger.h"

#include <cstring>

namespace tamsaek {
namespace analyze {

namespace {

bool is_space_byte(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

Lattice& thread_lattice() {
  thread_local Lattice lattice;
  return lattice;
}

}  // namespace

size_t cut_point(const uint8_t* s, size_t len, size_t max) {
  if (len <= max) return len;
  const size_t lo = max / 2;
  size_t space = 0;
  for (size_t i = max; i > lo; --i) {
    if (!is_space_byte(s[i - 1])) continue;
    if (i >= 2 && (s[i - 2] == '.' || s[i - 2] == '?' || s[i - 2] == '!')) return i;
    if (space == 0) space = i;
  }
  if (space != 0) return space;
  size_t i = max;
  while (i > lo && (s[i] & 0xC0) == 0x80) --i;  // s[i] starts the next piece: never a continuation byte
  return i;
}

void Tagger::parse(const uint8_t* text, size_t len, std::vector<Morph>& out) const {
  Lattice& lattice = thread_lattice();
  size_t start = 0;
  while (start < len) {
    const void* nl = std::memchr(text + start, '\n', len - start);
    const size_t line_end = nl ? static_cast<size_t>(static_cast<const uint8_t*>(nl) - text) : len;
    size_t p = start;
    while (p < line_end) {
      const size_t n = cut_point(text + p, line_end - p, kMaxLatticeBytes);
      lattice.best_path(*dic_, user_.get(), text + p, n, static_cast<uint32_t>(p), space_penalty_, out);
      p += n;
    }
    start = line_end + 1;
  }
  lattice.trim();
}

std::string_view Tagger::feature(const Morph& m) const {
  switch (m.source) {
    case Source::System: return dic_->system().feature(dic_->system().token(m.entry).feature);
    case Source::Unknown: return dic_->unknown().feature(dic_->unknown().token(m.entry).feature);
    case Source::User: return user_ ? std::string_view(user_->entry(m.entry).feature) : std::string_view();
  }
  return {};
}

}  // namespace analyze
}  // namespace tamsaek
