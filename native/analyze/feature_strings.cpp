#include "feature_strings.h"

#include <cstring>

namespace tamsaek {
namespace analyze {

std::string FeatureStrings::read(uint32_t offset) const {
  std::string s;
  if (file_ == nullptr || offset >= bytes_) return s;
  size_t want = 128;
  for (size_t at = offset;;) {
    const size_t n = std::min(want, bytes_ - at);
    const size_t old = s.size();
    s.resize(old + n);
    const size_t got = file_->read(offset_ + at, s.data() + old, n);
    s.resize(old + got);
    const void* nul = std::memchr(s.data() + old, 0, got);
    if (nul != nullptr) {
      s.resize(static_cast<size_t>(static_cast<const char*>(nul) - s.data()));
      return s;
    }
    at += got;
    if (got == 0 || at >= bytes_) return std::string();  // unterminated
    want *= 2;
  }
}

std::string_view FeatureStrings::get(uint32_t offset) const {
  Shard& shard = shards_[(offset * 0x9E3779B1u) >> 28];
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.strings.find(offset);
    if (it != shard.strings.end()) return it->second;
  }
  std::string s = read(offset);
  if (cached_bytes_.load(std::memory_order_relaxed) >= kMaxCachedBytes) {
    thread_local std::string overflow;
    overflow = std::move(s);
    return overflow;
  }
  std::lock_guard<std::mutex> lock(shard.mu);
  auto [it, inserted] = shard.strings.emplace(offset, std::move(s));
  if (inserted) cached_bytes_.fetch_add(it->second.size() + 64, std::memory_order_relaxed);
  return it->second;
}

}  // namespace analyze
}  // namespace tamsaek
