// A dictionary's feature strings (CSV, NUL-terminated; feature.h), read on demand with pread and kept.
//
// Only the entries of best paths are ever read, one string of ~50 bytes scattered over a 35 MB section.
// Read through the mapping, each first read faults in the pages around it (the kernel maps 16 at a
// time), so after a corpus most of the section sits in the process's resident memory for strings it
// read once; read with pread, only the strings are kept. Safe to call from any thread.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mapped_file.h"

namespace tamsaek {
namespace analyze {

class FeatureStrings {
 public:
  FeatureStrings() = default;
  FeatureStrings(const FeatureStrings&) = delete;
  FeatureStrings& operator=(const FeatureStrings&) = delete;
  // Reads from the section [offset, offset + bytes) of `file`, which must outlive this object.
  void attach(const MappedFile* file, size_t offset, size_t bytes) {
    file_ = file;
    offset_ = offset;
    bytes_ = bytes;
  }

  // The string at this offset of the section; empty when out of range or unterminated. The view stays
  // valid while this object lives, except once the cache is full (kMaxCachedBytes): then it is valid
  // until the calling thread's next get().
  std::string_view get(uint32_t offset) const;
  size_t cached_bytes() const { return cached_bytes_.load(std::memory_order_relaxed); }

  static constexpr size_t kMaxCachedBytes = size_t{16} << 20;

 private:
  std::string read(uint32_t offset) const;

  static constexpr size_t kShards = 16;
  struct Shard {
    std::mutex mu;
    std::unordered_map<uint32_t, std::string> strings;
  };
  const MappedFile* file_ = nullptr;
  size_t offset_ = 0, bytes_ = 0;
  mutable std::array<Shard, kShards> shards_;
  mutable std::atomic<size_t> cached_bytes_{0};
};

}  // namespace analyze
}  // namespace tamsaek
