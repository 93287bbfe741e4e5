#include "terms.h"

#include "char_property.h"
#include "feature.h"

namespace tamsaek {
namespace analyze {

void append_utf16(std::u16string& out, const char* s, size_t n) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s);
  const uint8_t* end = p + n;
  while (p < end) {
    size_t len;
    uint32_t cp = decode_utf8(p, end, len);
    if (len == 1 && cp >= 0x80) cp = 0xFFFD;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    p += len;
  }
}

namespace {

// Hangul syllables and jamo, CJK ideographs: letters without case.
bool is_caseless_letter(char16_t c) {
  return (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3131 && c <= 0x318E) ||
         (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF);
}

// Lower-cases ASCII in out.chars[start..] and ends the term there, or takes it back when it is
// pure ASCII punctuation.
void finish_term(Terms& out, size_t start) {
  bool word = false, fold = false;
  for (size_t i = start; i < out.chars.size(); ++i) {
    char16_t& c = out.chars[i];
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char16_t>(c + 32);
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) word = true;
    } else if (is_caseless_letter(c)) {
      word = true;
    } else {
      fold = true;
    }
  }
  if (!word && !fold) {
    out.chars.resize(start);
    return;
  }
  if (fold) ++out.needs_fold;
  out.ends.push_back(static_cast<uint32_t>(out.chars.size()));
}

std::string_view first_tag(std::string_view tag) {
  const size_t plus = tag.find('+');
  return plus == std::string_view::npos ? tag : tag.substr(0, plus);
}

// The run of compound-tag morphemes being read, and the compound terms of the text so far. A run of
// more than kMaxCompoundParts is text written without spaces rather than a compound: it adds nothing.
struct Compounds {
  std::u16string run;
  uint32_t parts = 0;
  bool head = false;
  Terms done;

  void add(uint8_t role, const char16_t* s, size_t n) {
    if ((role & kRunPart) == 0) return end_run();
    if (++parts > kMaxCompoundParts) return;
    if (parts > 1) run.push_back(u'+');
    run.append(s, n);
    head = head || (role & kRunHead) != 0;
  }
  void add_utf8(uint8_t role, std::string_view s) {
    thread_local std::u16string u16;
    u16.clear();
    append_utf16(u16, s.data(), s.size());
    add(role, u16.data(), u16.size());
  }
  void end_run() {
    if (parts >= 2 && parts <= kMaxCompoundParts && head) {
      const size_t start = done.chars.size();
      done.chars.append(run);
      finish_term(done, start);
    }
    run.clear();
    parts = 0;
    head = false;
  }
  void reset() {
    end_run();
    done.clear();
  }
  // Ends the last run and appends the compounds to `out`, after its other terms.
  void finish(Terms& out) {
    end_run();
    const uint32_t base = static_cast<uint32_t>(out.chars.size());
    out.chars.append(done.chars);
    for (uint32_t e : done.ends) out.ends.push_back(base + e);
    out.needs_fold += done.needs_fold;
    out.compounds += static_cast<uint32_t>(done.ends.size());
    done.clear();
  }
};

// The fast path: a system entry whose class is remembered. Returns false when the slow path must
// read the feature (first sight, or an expression to decompose).
bool cached_term(const TermOptions& opt, const Morph& m, const char16_t* text, const Utf8Text& u8, Terms& out,
                 Compounds* compounds) {
  if (m.source != Source::System || !opt.cache) return false;
  const uint8_t v = opt.cache->get(m.entry);
  const uint8_t cls = v & EntryInfoCache::kClassMask;
  if ((v & EntryInfoCache::kKnown) == 0 || cls == 0 || (opt.decompound && (v & EntryInfoCache::kExpression))) return false;
  const uint32_t a = u8.u16_at[m.begin], b = u8.u16_at[m.end];
  if (compounds) compounds->add(opt.cache->run_role(cls), text + a, b - a);
  if (opt.cache->dropped(cls)) return true;
  const size_t start = out.chars.size();
  out.chars.append(text + a, b - a);
  finish_term(out, start);
  return true;
}

void remember(TermOptions& opt, const Morph& m, std::string_view first, bool expression) {
  if (m.source != Source::System || !opt.cache) return;
  const uint8_t cls = opt.cache->class_of(first, opt);
  opt.cache->set(m.entry, static_cast<uint8_t>(EntryInfoCache::kKnown | (expression ? EntryInfoCache::kExpression : 0) | cls));
}

}  // namespace

uint8_t EntryInfoCache::class_of(std::string_view tag, const TermOptions& opt) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t k = 0; k < tags_.size(); ++k)
    if (tags_[k] == tag) return static_cast<uint8_t>(k + 1);
  if (tags_.size() >= kClassMask) return 0;
  tags_.emplace_back(tag);
  const size_t cls = tags_.size();
  run_[cls].store(opt.run_role(tag), std::memory_order_release);
  drop_[cls].store(opt.dropped.contains(tag) ? 1 : 0, std::memory_order_release);
  return static_cast<uint8_t>(cls);
}

void text_terms(const Tagger& tagger, TermOptions& opt, const char16_t* text, size_t n, Utf8Text& scratch,
                std::vector<Morph>& morphs, Terms& out) {
  utf16_to_utf8(text, n, scratch);
  morphs.clear();
  tagger.parse(reinterpret_cast<const uint8_t*>(scratch.bytes.data()), scratch.bytes.size(), morphs);
  thread_local Compounds runs;
  Compounds* compounds = opt.compounds ? &runs : nullptr;
  if (compounds) compounds->reset();  // a text abandoned by an exception leaves nothing behind
  uint32_t previous_end = 0;
  std::string_view fields[kFeatureFields];
  for (const Morph& m : morphs) {
    if (compounds && m.begin != previous_end) compounds->end_run();  // whitespace: a new eojeol
    previous_end = m.end;
    if (cached_term(opt, m, text, scratch, out, compounds)) continue;
    split_feature(tagger.feature(m), fields);
    const std::string_view expr = fields[7];
    const bool has_expression = expr.find('/') != std::string_view::npos && is_decomposable(fields[4]);
    const std::string_view first = first_tag(fields[0]);
    remember(opt, m, first, has_expression);
    const bool split = expr.find('/') != std::string_view::npos &&
                       (m.source == Source::User || (opt.decompound && is_decomposable(fields[4])));
    if (split) {
      for_each_expr_part(expr, [&](const ExprPart& part) {
        const uint8_t role = compounds ? opt.run_role(part.tag) : 0;
        if (opt.dropped.contains(part.tag)) {
          if (compounds) compounds->add_utf8(role, part.surface);
          return;
        }
        const size_t start = out.chars.size();
        append_utf16(out.chars, part.surface.data(), part.surface.size());
        // the part as UTF-16 is where it was just appended (before finish_term folds its case)
        if (compounds) compounds->add(role, out.chars.data() + start, out.chars.size() - start);
        finish_term(out, start);
      });
      continue;
    }
    const uint32_t a = scratch.u16_at[m.begin], b = scratch.u16_at[m.end];
    if (compounds) compounds->add(opt.run_role(first), text + a, b - a);
    if (opt.dropped.contains(first)) continue;
    const size_t start = out.chars.size();
    out.chars.append(text + a, b - a);
    finish_term(out, start);
  }
  if (compounds) compounds->finish(out);
}

}  // namespace analyze
}  // namespace tamsaek
