#include "lattice.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace tamsaek {
namespace analyze {

namespace {

// Connection costs fetched ahead per left id: the cheapest predecessor's and a few more.
constexpr size_t kPrefetchCells = 4;
// Trie walks interleaved by prewalk.
constexpr size_t kWalkers = 8;

inline void prefetch(const void* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}

// Moves over characters that share a category with the character before them (the first one is
// compared with `c`), at most `limit` characters. Returns the end position; `count` = characters.
size_t seek_same_kind(const CharProperty& chars, const uint8_t* s, size_t p, size_t len, CharInfo c, size_t limit,
                      size_t& count) {
  count = 0;
  while (p < len && count < limit) {
    size_t n;
    const CharInfo next = chars.info(decode_utf8(s + p, s + len, n));
    if (!c.shares_category(next)) break;
    p += n;
    ++count;
    c = next;
  }
  return p;
}

// Insertion sort for the few groups a position usually has (std::sort's set-up costs more there).
template <typename T>
void sort_by_cost(std::vector<T>& v) {
  if (v.size() > 32) {
    std::sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.cost < b.cost; });
    return;
  }
  for (size_t i = 1; i < v.size(); ++i) {
    const T x = v[i];
    size_t j = i;
    for (; j > 0 && v[j - 1].cost > x.cost; --j) v[j] = v[j - 1];
    v[j] = x;
  }
}

// A word cost plus a penalty, within the 16 bits a word cost has.
int16_t with_penalty(int16_t cost, int penalty) {
  return static_cast<int16_t>(std::min<int>(cost + penalty, std::numeric_limits<int16_t>::max()));
}

}  // namespace

void Lattice::reset(const Dictionary& dic, size_t len) {
  nodes_.clear();
  end_head_.assign(len + 1, -1);
  const size_t rights = dic.matrix().column_classes(), lefts = dic.matrix().row_classes();
  if (right_.size() != rights || left_.size() != lefts) {
    right_.assign(rights, RightSlot{0, 0});
    left_.assign(lefts, LeftSlot{0, Best{0, -1}});
    stamp_ = 0;
  }
}

void Lattice::trim() {
  constexpr size_t kKeepNodes = 1 << 18;
  if (nodes_.capacity() > kKeepNodes) std::vector<Node>().swap(nodes_);
  if (end_head_.capacity() > kKeepNodes) std::vector<int32_t>().swap(end_head_);
}

void Lattice::add_unknown(const Dictionary& dic, uint32_t begin, uint32_t end, uint8_t category, bool spaced) {
  Dictionary::Range r = dic.unknown_entries(category);
  if (r.count == 0) r = dic.unknown_entries(0);  // a category without entries is treated as DEFAULT
  const DicFile& unk = dic.unknown();
  for (uint32_t i = r.first; i < r.first + r.count; ++i) {
    const Token t = unk.token(i);
    if (t.left_id >= unk.left_ids() || t.right_id >= unk.right_ids()) continue;
    Node n;
    n.begin = begin;
    n.end = end;
    n.row = dic.matrix().row_of(t.left_id);
    n.column = dic.matrix().column_of(t.right_id);
    n.word_cost = spaced ? with_penalty(t.cost, dic.space_penalty(t.pos_id)) : t.cost;
    n.source = Source::Unknown;
    n.entry = i;
    nodes_.push_back(n);
  }
}

// The system dictionary's keys at every position where a word may start (every character that is
// not whitespace), found before the Viterbi pass by kWalkers interleaved trie walks: a walk's next
// loads are fetched while the others step, so the cache misses of the 30 MB trie overlap instead of
// queueing one after the other. The tokens of each key are fetched ahead too.
void Lattice::prewalk(const Dictionary& dic, const uint8_t* s, size_t len) {
  const DicFile& sys = dic.system();
  const DoubleArray& trie = sys.trie();
  const CharProperty& chars = dic.chars();
  struct Active {
    DoubleArray::Walk walk;
    uint32_t pos;
  };
  Active act[kWalkers];
  size_t active = 0, next = 0;
  auto start_at = [&](size_t slot) {  // the next position to walk from, into act[slot]
    while (next < len) {
      const size_t p = next;
      size_t n;
      const CharInfo c = chars.info(decode_utf8(s + p, s + len, n));
      next += n;
      if (dic.space().shares_category(c)) continue;
      act[slot] = Active{trie.start(), static_cast<uint32_t>(p)};
      return true;
    }
    return false;
  };
  found_.clear();
  while (active < kWalkers && start_at(active)) ++active;
  while (active > 0) {
    for (size_t k = 0; k < active;) {
      Active& a = act[k];
      const bool more = trie.step(a.walk, s + a.pos, len - a.pos, [&](int32_t value, size_t n) {
        const uint32_t first = static_cast<uint32_t>(value) >> 8, count = static_cast<uint32_t>(value) & 0xff;
        if (static_cast<size_t>(first) + count > sys.token_count()) return;
        sys.prefetch_tokens(first, 1);
        found_.push_back(Found{a.pos, Match{first, count, static_cast<uint32_t>(n)}});
      });
      if (more || start_at(k)) ++k;
      else act[k] = act[--active];
    }
  }
  // counting sort by position, stable: each walk reported its keys shortest first
  match_at_.assign(len + 2, 0);
  for (const Found& f : found_) ++match_at_[f.pos + 2];
  for (size_t i = 2; i < match_at_.size(); ++i) match_at_[i] += match_at_[i - 1];
  matches_.resize(found_.size());
  for (const Found& f : found_) matches_[match_at_[f.pos + 1]++] = f.match;
}

void Lattice::lookup(const Dictionary& dic, const UserDictionary* user, const uint8_t* s, size_t pos, size_t len,
                     bool space_penalty) {
  const CharProperty& chars = dic.chars();
  size_t skipped;
  const size_t p = seek_same_kind(chars, s, pos, len, dic.space(), len, skipped);
  if (p >= len) return;
  const bool spaced = space_penalty && p > pos;
  const size_t before = nodes_.size();
  const DicFile& sys = dic.system();
  auto add_token = [&](Source src, uint32_t entry, uint16_t lid, uint16_t rid, int16_t cost, size_t n) {
    Node node;
    node.begin = static_cast<uint32_t>(p);
    node.end = static_cast<uint32_t>(p + n);
    node.row = dic.matrix().row_of(lid);
    node.column = dic.matrix().column_of(rid);
    node.word_cost = cost;
    node.source = src;
    node.entry = entry;
    nodes_.push_back(node);
  };
  for (uint32_t m = match_at_[p]; m < match_at_[p + 1]; ++m) {
    const Match& mt = matches_[m];
    for (uint32_t i = mt.first; i < mt.first + mt.count; ++i) {
      const Token t = sys.token(i);
      if (t.left_id < sys.left_ids() && t.right_id < sys.right_ids())
        add_token(Source::System, i, t.left_id, t.right_id,
                  spaced ? with_penalty(t.cost, dic.space_penalty(t.pos_id)) : t.cost, mt.length);
    }
  }
  if (user != nullptr) {
    user->common_prefix(s + p, len - p, [&](size_t i, size_t n) {
      const UserEntry& e = user->entry(i);
      add_token(Source::User, static_cast<uint32_t>(i), e.left_id, e.right_id, e.cost, n);
    });
  }
  size_t first_len;
  const CharInfo c = chars.info(decode_utf8(s + p, s + len, first_len));
  if (nodes_.size() > before && !c.invoke) return;
  const uint32_t b = static_cast<uint32_t>(p);
  size_t group_end = len + 1;  // no group
  if (c.group) {
    size_t count;
    const size_t q = seek_same_kind(chars, s, p + first_len, len, c, kMaxGroup + 1, count);
    if (count <= kMaxGroup) add_unknown(dic, b, static_cast<uint32_t>(q), c.default_type, spaced);
    group_end = q;
  }
  size_t q = p + first_len;
  for (size_t i = 1; i <= c.length && q != group_end; ++i) {
    add_unknown(dic, b, static_cast<uint32_t>(q), c.default_type, spaced);
    if (q >= len) break;
    size_t n;
    if (!c.shares_category(chars.info(decode_utf8(s + q, s + len, n)))) break;
    q += n;
  }
  if (nodes_.size() == before) add_unknown(dic, b, static_cast<uint32_t>(p + first_len), c.default_type, spaced);
}

// Gives each node in [first, last) (all starting after position `pos`) its cheapest predecessor among
// the nodes ending at `pos`, then files it under its own end position. Predecessors are grouped by the
// matrix column of their right context id and successors by the matrix row of their left context id:
// a connection cost depends on nothing else.
void Lattice::connect(const Dictionary& dic, size_t pos, size_t first, size_t last) {
  const Matrix& m = dic.matrix();
  if (++stamp_ == 0) {
    for (RightSlot& r : right_) r.stamp = 0;
    for (LeftSlot& l : left_) l.stamp = 0;
    stamp_ = 1;
  }
  groups_.clear();
  int32_t rank = 0;
  for (int32_t i = end_head_[pos]; i >= 0; i = nodes_[static_cast<size_t>(i)].enext, ++rank) {
    const Node& l = nodes_[static_cast<size_t>(i)];
    const uint16_t column = l.column;
    RightSlot& slot = right_[column];
    if (slot.stamp != stamp_) {
      slot = RightSlot{stamp_, static_cast<int32_t>(groups_.size())};
      groups_.push_back(Group{l.cost, column, i, rank});
    } else {  // slots index groups_ until the groups are sorted below
      Group& g = groups_[static_cast<size_t>(slot.group)];
      if (l.cost < g.cost) g = Group{l.cost, column, i, rank};
    }
  }
  // cheapest predecessors first: the first bounds the best total, and once a predecessor's cost plus the
  // row's lowest connection cost exceeds the best found, neither it nor any later one can win or tie
  // (ties are settled by rank, whatever the order)
  sort_by_cost(groups_);
  // the distinct rows of the new words; the first cell each will read is fetched ahead
  lefts_.clear();
  for (size_t k = first; k < last; ++k) {
    const uint16_t row = nodes_[k].row;
    if (left_[row].stamp == stamp_) continue;
    left_[row].stamp = stamp_;
    lefts_.push_back(row);
    const int16_t* costs = m.row(row);
    for (size_t g = 0; g < groups_.size() && g < kPrefetchCells; ++g) prefetch(costs + groups_[g].column);
  }
  for (const uint16_t row : lefts_) {
    const int16_t* costs = m.row(row);
    const int row_min = m.row_min(row);
    Best best{std::numeric_limits<int32_t>::max(), -1};
    int32_t best_rank = std::numeric_limits<int32_t>::max();
    for (const Group& g : groups_) {
      if (g.cost + row_min > best.cost) break;
      const int32_t c = g.cost + costs[g.column];
      if (c < best.cost || (c == best.cost && g.rank < best_rank)) {
        best = Best{c, g.node};
        best_rank = g.rank;
      }
    }
    left_[row].best = best;
  }
  // MeCab files the new words from the last proposed to the first, each at the head of its list.
  for (size_t k = last; k-- > first;) {
    Node& r = nodes_[k];
    const Best& b = left_[r.row].best;
    r.cost = b.cost + r.word_cost;
    r.prev = b.node;
    r.enext = end_head_[r.end];
    end_head_[r.end] = static_cast<int32_t>(k);
  }
}

void Lattice::best_path(const Dictionary& dic, const UserDictionary* user, const uint8_t* s, size_t len,
                        uint32_t base, bool space_penalty, std::vector<Morph>& out) {
  if (len > kMaxLatticeBytes) throw std::length_error("sentence longer than the lattice holds");
  reset(dic, len);
  prewalk(dic, s, len);
  nodes_.push_back(Node{});  // BOS: context ids 0, cost 0
  end_head_[0] = 0;
  for (size_t pos = 0; pos < len; ++pos) {
    if (end_head_[pos] < 0) continue;
    const size_t first = nodes_.size();
    lookup(dic, user, s, pos, len, space_penalty);
    if (nodes_.size() > first) connect(dic, pos, first, nodes_.size());
  }
  size_t last = len;
  while (end_head_[last] < 0) --last;  // position 0 always has BOS
  const size_t eos = nodes_.size();
  nodes_.push_back(Node{});  // EOS: context ids 0
  nodes_[eos].begin = nodes_[eos].end = static_cast<uint32_t>(len);
  connect(dic, last, eos, eos + 1);
  const size_t first_out = out.size();
  for (int32_t i = nodes_[eos].prev; i > 0; i = nodes_[static_cast<size_t>(i)].prev) {
    const Node& n = nodes_[static_cast<size_t>(i)];
    out.push_back(Morph{n.begin + base, n.end + base, n.source, n.entry});
  }
  std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first_out), out.end());
}

}  // namespace analyze
}  // namespace tamsaek
