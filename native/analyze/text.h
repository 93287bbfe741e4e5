// The analyzer reads UTF-8 and JavaScript hands it UTF-16: the conversion keeps, for each UTF-8 byte
// that starts a character, the UTF-16 offset of that character, so morpheme offsets can be given in
// the caller's units. Lone surrogates become U+FFFD.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tamsaek {
namespace analyze {

struct Utf8Text {
  std::string bytes;
  std::vector<uint32_t> u16_at;  // bytes.size() + 1 entries; valid at character starts and at the end
};

inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

inline void utf16_to_utf8(const char16_t* s, size_t n, Utf8Text& out) {
  out.bytes.clear();
  out.bytes.reserve(n * 3);
  out.u16_at.resize(n * 3 + 1);
  for (size_t i = 0; i < n;) {
    const size_t at = out.bytes.size();
    out.u16_at[at] = static_cast<uint32_t>(i);
    uint32_t c = s[i];
    size_t units = 1;
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00u);
      units = 2;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    append_utf8(out.bytes, c);
    i += units;
  }
  out.u16_at[out.bytes.size()] = static_cast<uint32_t>(n);
  out.u16_at.resize(out.bytes.size() + 1);
}

// Appends UTF-8 [s, s + n) to UTF-16 `out` (malformed bytes become U+FFFD).
void append_utf16(std::u16string& out, const char* s, size_t n);

}  // namespace analyze
}  // namespace tamsaek
