// A read-only file mapping. The dictionary files (sys.dic 80 MB, matrix.bin 20 MB) are mapped, never
// read into memory: the kernel pages in what the analysis touches and shares the pages between
// processes. Where mmap does not exist (Windows builds) the file is read into a private buffer.
// read() serves sections that are better read a few bytes at a time than mapped (dictionary.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tamsaek {
namespace analyze {

class MappedFile {
 public:
  // Throws std::runtime_error naming the path when the file cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // Copies up to n bytes from `offset` without touching the mapping (pread): bytes read this way do
  // not become pages of this process. Returns how many were copied (fewer at the end of the file).
  size_t read(size_t offset, void* out, size_t n) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  int fd_ = -1;  // kept open for read()
  std::vector<uint8_t> owned_;  // the fallback copy when the file is not mapped
};

}  // namespace analyze
}  // namespace tamsaek
