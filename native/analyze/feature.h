// Reading mecab-ko-dic feature strings. A feature is CSV:
//   0 POS (joined tags like VV+EP for inflected forms)   1 semantic class   2 final consonant (T/F)
//   3 reading   4 type (Inflect | Compound | Preanalysis | *)   5 first POS   6 last POS
//   7 expression: the morphemes of an Inflect/Compound/Preanalysis entry, "surface/TAG/semantic"
//     joined by '+', e.g. 갔 → 가/VV/*+았/EP/*, 고무호스 → 고무/NNG/*+호스/NNG/*.
// Unknown words carry only the POS (SY, SL, SN, SH, UNKNOWN …) followed by '*' fields.
#pragma once
#include <cstddef>
#include <string_view>

namespace tamsaek {
namespace analyze {

constexpr size_t kFeatureFields = 8;

// Splits at commas into at most kFeatureFields views (the last keeps any further commas); a field in
// double quotes may hold commas (kept verbatim, quotes included). Missing fields are empty.
inline void split_feature(std::string_view s, std::string_view (&fields)[kFeatureFields]) {
  size_t f = 0, start = 0;
  bool quoted = false;
  for (size_t i = 0; i < s.size() && f + 1 < kFeatureFields; ++i) {
    if (s[i] == '"') quoted = !quoted;
    else if (s[i] == ',' && !quoted) {
      fields[f++] = s.substr(start, i - start);
      start = i + 1;
    }
  }
  fields[f++] = s.substr(start);
  for (; f < kFeatureFields; ++f) fields[f] = std::string_view();
}

inline bool is_decomposable(std::string_view type) {
  return type == "Inflect" || type == "Compound" || type == "Preanalysis";
}

// One morpheme of an expression.
struct ExprPart {
  std::string_view surface, tag;
};

// Calls on_part(part) for each "surface/TAG[/…]" (non-empty surface) of an expression; returns how many.
template <typename F>
size_t for_each_expr_part(std::string_view expr, F&& on_part) {
  size_t n = 0, start = 0;
  while (start <= expr.size()) {
    size_t plus = expr.find('+', start);
    if (plus == std::string_view::npos) plus = expr.size();
    const std::string_view part = expr.substr(start, plus - start);
    const size_t a = part.find('/');
    if (a != std::string_view::npos && a > 0) {
      const size_t b = part.find('/', a + 1);
      const std::string_view tag = part.substr(a + 1, b == std::string_view::npos ? std::string_view::npos : b - a - 1);
      on_part(ExprPart{part.substr(0, a), tag});
      ++n;
    }
    start = plus + 1;
  }
  return n;
}

}  // namespace analyze
}  // namespace tamsaek
