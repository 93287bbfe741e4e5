#include "matrix.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "mapped_file.h"

namespace tamsaek {
namespace analyze {

namespace {

constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;

// Whole 8-byte words in four independent lanes, so the multiplications overlap; a tail shorter than a
// word is left out (equality is decided by memcmp).
uint64_t hash_words(const void* p, size_t n) {
  const uint8_t* b = static_cast<const uint8_t*>(p);
  uint64_t h[4] = {n * kMul, 1, 2, 3};
  for (size_t i = 0; i < n / 8; ++i) {
    uint64_t w;
    std::memcpy(&w, b + 8 * i, 8);
    uint64_t& x = h[i & 3];
    x = (x ^ w) * kMul;
    x ^= x >> 29;
  }
  return ((h[0] * kMul ^ h[1]) * kMul ^ h[2]) * kMul ^ h[3];
}

// Ids grouped by equal costs: each id's class (numbered in the order ids first show them) and one id
// of each class.
struct Classes {
  std::vector<uint16_t> of;
  std::vector<uint32_t> rep;
};

// Rows (one per left id, R costs each), matched exactly: hash, then memcmp.
Classes row_classes_of(const int16_t* c, size_t R, size_t L) {
  Classes rows;
  rows.of.assign(L, 0);
  std::unordered_multimap<uint64_t, uint16_t> by_hash;
  for (size_t l = 0; l < L; ++l) {
    const int16_t* row_l = c + R * l;
    const uint64_t h = hash_words(row_l, 2 * R);
    auto [it, end] = by_hash.equal_range(h);
    while (it != end && std::memcmp(c + R * rows.rep[it->second], row_l, 2 * R) != 0) ++it;
    if (it != end) {
      rows.of[l] = it->second;
      continue;
    }
    rows.of[l] = static_cast<uint16_t>(rows.rep.size());
    by_hash.emplace(h, rows.of[l]);
    rows.rep.push_back(static_cast<uint32_t>(l));
  }
  return rows;
}

// Columns (one per right id), matched by a 64-bit signature of their costs in the distinct rows.
Classes column_classes_of(const int16_t* c, size_t R, const std::vector<uint32_t>& row_rep) {
  std::vector<uint64_t> sig(R, 0x84222325cbf29ce4ull);
  for (const uint32_t l : row_rep) {
    const int16_t* row_l = c + R * l;
    for (size_t r = 0; r < R; ++r) sig[r] = (sig[r] ^ static_cast<uint16_t>(row_l[r])) * 0x100000001b3ull;
  }
  Classes cols;
  cols.of.assign(R, 0);
  std::unordered_map<uint64_t, uint16_t> by_sig;
  for (size_t r = 0; r < R; ++r) {
    auto [it, inserted] = by_sig.emplace(sig[r], static_cast<uint16_t>(cols.rep.size()));
    if (inserted) cols.rep.push_back(static_cast<uint32_t>(r));
    cols.of[r] = it->second;
  }
  return cols;
}

Classes each_its_own(size_t n) {
  Classes c;
  for (size_t i = 0; i < n; ++i) {
    c.of.push_back(static_cast<uint16_t>(i));
    c.rep.push_back(static_cast<uint32_t>(i));
  }
  return c;
}

// The folded table (row classes × column classes) into `out`; false when some column differs from its
// class's (a signature collision). Rows matched exactly, so checking each class's own row covers every row.
bool fold_table(const int16_t* c, size_t R, const Classes& rows, const Classes& cols, std::vector<int16_t>& out) {
  const size_t columns = cols.rep.size();
  out.resize(rows.rep.size() * columns);
  for (size_t k = 0; k < rows.rep.size(); ++k) {
    const int16_t* src = c + R * rows.rep[k];
    int16_t* folded = out.data() + k * columns;
    for (size_t j = 0; j < columns; ++j) folded[j] = src[cols.rep[j]];
    bool exact = true;
    for (size_t r = 0; r < R; ++r) exact &= src[r] == folded[cols.of[r]];
    if (!exact) return false;
  }
  return true;
}

}  // namespace

Matrix::Matrix(const std::string& path) {
  MappedFile file(path);  // unmapped when the folded table is built
  if (file.size() < 4) throw std::runtime_error(path + ": too short for a connection matrix");
  uint16_t r, l;
  std::memcpy(&r, file.data(), 2);
  std::memcpy(&l, file.data() + 2, 2);
  right_ids_ = r;
  left_ids_ = l;
  if (file.size() != 4 + 2 * static_cast<size_t>(r) * l)
    throw std::runtime_error(path + ": size does not match its dimensions");
  // the mapping is page aligned (or a malloc'd copy), so the costs at byte 4 are aligned for int16
  fold(reinterpret_cast<const int16_t*>(file.data() + 4));
}

Matrix::Matrix(const int16_t* costs, uint32_t rights, uint32_t lefts) : right_ids_(rights), left_ids_(lefts) {
  if (rights > 0xFFFF || lefts > 0xFFFF) throw std::runtime_error("connection matrix ids must fit in 16 bits");
  fold(costs);
}

void Matrix::fold(const int16_t* c) {
  const size_t R = right_ids_;
  Classes rows = row_classes_of(c, R, left_ids_);
  Classes cols = column_classes_of(c, R, rows.rep);
  if (!fold_table(c, R, rows, cols, costs_)) {  // two different columns shared a signature
    cols = each_its_own(R);
    fold_table(c, R, rows, cols, costs_);
  }
  row_of_ = std::move(rows.of);
  column_of_ = std::move(cols.of);
  columns_ = static_cast<uint32_t>(cols.rep.size());
  row_min_.assign(rows.rep.size(), std::numeric_limits<int16_t>::max());
  for (size_t k = 0; k < rows.rep.size() && columns_ > 0; ++k) {
    const int16_t* folded = costs_.data() + k * columns_;
    row_min_[k] = *std::min_element(folded, folded + columns_);
  }
}

}  // namespace analyze
}  // namespace tamsaek
