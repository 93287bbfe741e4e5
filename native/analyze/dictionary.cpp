#include "dictionary.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <mutex>
#include <stdexcept>

namespace tamsaek {
namespace analyze {

namespace {
constexpr uint32_t kMagic = 0xef718f77u;
constexpr uint32_t kVersion = 102;
constexpr size_t kHeaderBytes = 10 * 4 + 32;

// "left-space-penalty-factor = id,cost,id,cost…" from dicrc; an absent file or key gives no penalty.
std::vector<int16_t> read_space_penalty(const std::string& dicrc) {
  std::vector<int16_t> out;
  std::ifstream in(dicrc);
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos || line.compare(0, 25, "left-space-penalty-factor") != 0) continue;
    std::stringstream values(line.substr(eq + 1));
    std::string id, cost;
    while (std::getline(values, id, ',') && std::getline(values, cost, ',')) {
      const long i = std::strtol(id.c_str(), nullptr, 10), c = std::strtol(cost.c_str(), nullptr, 10);
      if (i < 0 || i > 0xFFFF || c < 0 || c > 0x7FFF) continue;
      if (out.size() <= static_cast<size_t>(i)) out.resize(static_cast<size_t>(i) + 1, 0);
      out[static_cast<size_t>(i)] = static_cast<int16_t>(c);
    }
  }
  return out;
}

uint32_t u32_at(const uint8_t* p, size_t i) {
  uint32_t v;
  std::memcpy(&v, p + 4 * i, 4);
  return v;
}
}  // namespace

DicFile::DicFile(const std::string& path) : file_(path) {
  const uint8_t* d = file_.data();
  const size_t n = file_.size();
  if (n < kHeaderBytes) throw std::runtime_error(path + ": too short for a MeCab dictionary");
  if ((u32_at(d, 0) ^ kMagic) != static_cast<uint32_t>(n))
    throw std::runtime_error(path + ": not a MeCab dictionary (bad magic number)");
  if (u32_at(d, 1) != kVersion) throw std::runtime_error(path + ": unsupported dictionary version");
  // the header's "left size" counts the ids of the left side of a connection: the previous word's
  // right context ids
  right_ids_ = u32_at(d, 4);
  left_ids_ = u32_at(d, 5);
  const uint64_t trie_bytes = u32_at(d, 6), token_bytes = u32_at(d, 7), feature_bytes = u32_at(d, 8);
  if (kHeaderBytes + trie_bytes + token_bytes + feature_bytes != n || trie_bytes % 8 != 0 ||
      token_bytes % sizeof(Token) != 0)
    throw std::runtime_error(path + ": section sizes do not add up");
  const uint8_t* charset = d + 40;
  if (std::string(reinterpret_cast<const char*>(charset), strnlen(reinterpret_cast<const char*>(charset), 32)) !=
      "UTF-8")
    throw std::runtime_error(path + ": only UTF-8 dictionaries are supported");
  trie_ = DoubleArray(d + kHeaderBytes, trie_bytes / 8);
  tokens_ = d + kHeaderBytes + trie_bytes;
  token_count_ = token_bytes / sizeof(Token);
  features_.attach(&file_, kHeaderBytes + trie_bytes + token_bytes, feature_bytes);
}

Dictionary::Dictionary(const std::string& dir)
    : dir_(dir),
      sys_(dir + "/sys.dic"),
      unk_(dir + "/unk.dic"),
      matrix_(dir + "/matrix.bin"),
      char_file_(dir + "/char.bin") {
  chars_.load(char_file_.data(), char_file_.size());
  for (const DicFile* f : {&sys_, &unk_}) {
    if (f->left_ids() != matrix_.left_ids() || f->right_ids() != matrix_.right_ids())
      throw std::runtime_error(dir + ": dictionary and matrix.bin disagree on the context ids");
  }
  const auto& names = chars_.names();
  unk_ranges_.resize(names.size());
  for (size_t k = 0; k < names.size(); ++k) {
    const int32_t v = unk_.trie().exact(reinterpret_cast<const uint8_t*>(names[k].data()), names[k].size());
    if (v < 0) continue;
    Range r{static_cast<uint32_t>(v) >> 8, static_cast<uint32_t>(v) & 0xff};
    if (static_cast<size_t>(r.first) + r.count > unk_.token_count())
      throw std::runtime_error(dir + "/unk.dic: entry range out of bounds");
    unk_ranges_[k] = r;
  }
  if (unk_ranges_.empty() || unk_ranges_[0].count == 0)
    throw std::runtime_error(dir + "/unk.dic: no entries for the DEFAULT category");
  space_ = chars_.info(0x20);
  space_penalty_ = read_space_penalty(dir + "/dicrc");
}

size_t Dictionary::mapped_bytes() const {
  return sys_.mapped_bytes() + unk_.mapped_bytes() + char_file_.size();
}

std::shared_ptr<const Dictionary> Dictionary::open(const std::string& dir) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<const Dictionary>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[dir];
  if (auto d = slot.lock()) return d;
  auto d = std::make_shared<const Dictionary>(dir);
  slot = d;
  return d;
}

}  // namespace analyze
}  // namespace tamsaek
