// matrix.bin, MeCab's connection costs, folded to its distinct rows and columns.
//
// The file is uint16 R, uint16 L, then int16 cost[R * L]: the cost between a word with right context
// id r and a following word with left context id l is cost[r + R * l]. Many context ids share every
// cost (mecab-ko-dic's 2,693 left ids have 1,908 distinct rows; its 3,822 right ids 1,902 distinct
// columns), so the costs are kept as a table of distinct rows × distinct columns plus a class per
// id: a third of the file's 20 MB, read once at load, after which the file is unmapped. That keeps
// the Viterbi step's reads in a smaller table (fewer cache misses) and the process's resident memory
// down. Ids of one class are interchangeable for every connection, so the lattice groups words by
// class: the same best path, with fewer cells to read.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tamsaek {
namespace analyze {

class Matrix {
 public:
  // Throws std::runtime_error naming the file when it is not a connection matrix.
  explicit Matrix(const std::string& path);
  // Folds costs laid out as in the file (cost[r + rights * l]); for tests and for the constructor.
  Matrix(const int16_t* costs, uint32_t rights, uint32_t lefts);

  uint32_t right_ids() const { return right_ids_; }
  uint32_t left_ids() const { return left_ids_; }
  uint32_t row_classes() const { return static_cast<uint32_t>(row_min_.size()); }
  uint32_t column_classes() const { return columns_; }
  // A following word's left id → its row; a preceding word's right id → its column. Ids must be in range.
  // Classes are numbered in the order ids first show them, so id 0 (BOS and EOS) has row 0 and column 0.
  uint16_t row_of(uint32_t left_id) const { return row_of_[left_id]; }
  uint16_t column_of(uint32_t right_id) const { return column_of_[right_id]; }
  const int16_t* row(uint16_t row_class) const { return costs_.data() + static_cast<size_t>(row_class) * columns_; }
  // The lowest cost of a row: a bound that lets the Viterbi step skip predecessors that cannot win.
  int row_min(uint16_t row_class) const { return row_min_[row_class]; }
  int cost(uint32_t right_id, uint32_t left_id) const { return row(row_of_[left_id])[column_of_[right_id]]; }
  size_t bytes() const { return costs_.size() * sizeof(int16_t) + (row_of_.size() + column_of_.size()) * 2; }

 private:
  void fold(const int16_t* costs);

  uint32_t right_ids_ = 0, left_ids_ = 0, columns_ = 0;
  std::vector<uint16_t> row_of_, column_of_;
  std::vector<int16_t> costs_;  // row classes × column classes
  std::vector<int> row_min_;
};

}  // namespace analyze
}  // namespace tamsaek
