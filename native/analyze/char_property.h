// Character categories from MeCab's char.bin (compiled char.def): a uint32 category count, the
// category names (32 bytes each), then one 32-bit record per UCS-2 code point 0 .. 0xFFFE:
//   bits 0-17  the set of categories the character belongs to (bit k = category k)
//   bits 18-25 its default category (the one whose unknown-word entries it gets)
//   bits 26-29 LENGTH: unknown words of 1 .. LENGTH characters are proposed
//   bit 30     GROUP: a run of characters of the category is proposed as one unknown word
//   bit 31     INVOKE: unknown words are proposed even where a dictionary word starts
// Code points outside the table (supplementary planes) get the record of U+0000 (DEFAULT), which is
// what MeCab's own reader yields for them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace tamsaek {
namespace analyze {

struct CharInfo {
  uint32_t types = 0;        // category bit set
  uint8_t default_type = 0;  // category index
  uint8_t length = 0;
  bool group = false;
  bool invoke = false;
  // Two characters belong together when they share a category.
  bool shares_category(const CharInfo& o) const { return (types & o.types) != 0; }
};

// Decodes one UTF-8 character at p (p < end). Returns the code point and sets len (1..4). Malformed
// bytes decode as themselves with length 1, so the scan always advances.
inline uint32_t decode_utf8(const uint8_t* p, const uint8_t* end, size_t& len) {
  const uint32_t c = p[0];
  const size_t avail = static_cast<size_t>(end - p);
  if (c < 0x80) return len = 1, c;
  if ((c & 0xE0) == 0xC0 && avail >= 2 && (p[1] & 0xC0) == 0x80) return len = 2, ((c & 0x1F) << 6) | (p[1] & 0x3F);
  if ((c & 0xF0) == 0xE0 && avail >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
    len = 3;
    return ((c & 0x0F) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3F);
  }
  if ((c & 0xF8) == 0xF0 && avail >= 4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80) {
    len = 4;
    return ((c & 0x07) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3F);
  }
  return len = 1, c;
}

class CharProperty {
 public:
  static constexpr size_t kTableSize = 0xFFFF;

  CharProperty() = default;
  // Throws std::runtime_error when the buffer is not a char.bin.
  void load(const uint8_t* data, size_t size) {
    if (size < 4) throw std::runtime_error("char.bin: truncated");
    uint32_t n;
    std::memcpy(&n, data, 4);
    if (n == 0 || n > 18 || size != 4 + 32 * static_cast<size_t>(n) + 4 * kTableSize)
      throw std::runtime_error("char.bin: unexpected size or category count");
    names_.clear();
    for (uint32_t i = 0; i < n; ++i) {
      const char* s = reinterpret_cast<const char*>(data + 4 + 32 * i);
      names_.emplace_back(s, strnlen(s, 32));
    }
    table_ = data + 4 + 32 * n;
  }

  CharInfo info(uint32_t cp) const {
    uint32_t v;
    std::memcpy(&v, table_ + 4 * (cp < kTableSize ? cp : 0), 4);
    CharInfo c;
    c.types = v & 0x3FFFF;
    c.default_type = static_cast<uint8_t>((v >> 18) & 0xFF);
    c.length = static_cast<uint8_t>((v >> 26) & 0xF);
    c.group = (v >> 30) & 1;
    c.invoke = (v >> 31) & 1;
    return c;
  }

  const std::vector<std::string>& names() const { return names_; }

 private:
  const uint8_t* table_ = nullptr;
  std::vector<std::string> names_;
};

}  // namespace analyze
}  // namespace tamsaek
