#include "matrix.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include "mapped_file.h"

namespace tamsaek {
namespace analyze {

namespace {

constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;

// Four independent lanes, so the multiplications overlap; n must be a multiple of 8.
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

// A row's bytes rounded down to whole 8-byte words for hashing (memcmp decides equality anyway).
size_t hashed_bytes(size_t row_bytes) { return row_bytes & ~size_t{7}; }

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

// Rows are matched exactly (hash, then memcmp). Columns are matched by a 64-bit signature over the
// distinct rows, and the folded table is then checked cell by cell against the file: should two
// different columns ever share a signature, every column keeps its own class instead.
void Matrix::fold(const int16_t* c) {
  const size_t R = right_ids_, L = left_ids_;
  row_of_.assign(L, 0);
  std::vector<uint32_t> row_rep;  // a left id of each row class
  std::unordered_multimap<uint64_t, uint16_t> rows_by_hash;
  for (size_t l = 0; l < L; ++l) {
    const int16_t* row_l = c + R * l;
    const uint64_t h = hash_words(row_l, hashed_bytes(2 * R));
    bool found = false;
    for (auto [it, end] = rows_by_hash.equal_range(h); it != end && !found; ++it) {
      if (std::memcmp(c + R * row_rep[it->second], row_l, 2 * R) != 0) continue;
      row_of_[l] = it->second;
      found = true;
    }
    if (found) continue;
    row_of_[l] = static_cast<uint16_t>(row_rep.size());
    rows_by_hash.emplace(h, row_of_[l]);
    row_rep.push_back(static_cast<uint32_t>(l));
  }
  std::vector<uint32_t> col_rep;  // a right id of each column class
  for (int attempt = 0; attempt < 2; ++attempt) {
    column_of_.assign(R, 0);
    col_rep.clear();
    if (attempt == 0) {
      std::vector<uint64_t> sig(R, 0x84222325cbf29ce4ull);
      for (const uint32_t l : row_rep) {
        const int16_t* row_l = c + R * l;
        for (size_t r = 0; r < R; ++r) sig[r] = (sig[r] ^ static_cast<uint16_t>(row_l[r])) * 0x100000001b3ull;
      }
      std::unordered_map<uint64_t, uint16_t> cols_by_sig;
      for (size_t r = 0; r < R; ++r) {
        auto [it, inserted] = cols_by_sig.emplace(sig[r], static_cast<uint16_t>(col_rep.size()));
        if (inserted) col_rep.push_back(static_cast<uint32_t>(r));
        column_of_[r] = it->second;
      }
    } else {
      for (size_t r = 0; r < R; ++r) {
        column_of_[r] = static_cast<uint16_t>(r);
        col_rep.push_back(static_cast<uint32_t>(r));
      }
    }
    columns_ = static_cast<uint32_t>(col_rep.size());
    costs_.resize(row_rep.size() * columns_);
    bool exact = true;  // rows matched exactly, so checking each row class's own row covers every row
    for (size_t k = 0; k < row_rep.size() && exact; ++k) {
      const int16_t* src = c + R * row_rep[k];
      int16_t* folded = costs_.data() + k * columns_;
      for (size_t j = 0; j < columns_; ++j) folded[j] = src[col_rep[j]];
      for (size_t r = 0; r < R; ++r) exact &= src[r] == folded[column_of_[r]];
    }
    if (exact) break;
  }
  row_min_.assign(row_rep.size(), std::numeric_limits<int16_t>::max());
  for (size_t k = 0; k < row_rep.size(); ++k) {
    const int16_t* folded = costs_.data() + k * columns_;
    if (columns_ > 0) row_min_[k] = *std::min_element(folded, folded + columns_);
  }
}

}  // namespace analyze
}  // namespace tamsaek
