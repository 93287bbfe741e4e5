#include "mapped_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define TAMSAEK_HAVE_MMAP 1
#endif

namespace tamsaek {
namespace analyze {

#ifdef TAMSAEK_HAVE_MMAP
MappedFile::MappedFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw std::runtime_error("cannot stat " + path + ": " + std::strerror(e));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ == 0) {
    ::close(fd);
    data_ = owned_.data();
    return;
  }
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  int e = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (p == MAP_FAILED) throw std::runtime_error("cannot map " + path + ": " + std::strerror(e));
  data_ = static_cast<const uint8_t*>(p);
  mapped_ = true;
}

MappedFile::~MappedFile() {
  if (mapped_) ::munmap(const_cast<uint8_t*>(data_), size_);
}
#else
MappedFile::MappedFile(const std::string& path) : path_(path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::streamoff n = in.tellg();
  if (n < 0) throw std::runtime_error("cannot read " + path);
  owned_.resize(static_cast<size_t>(n));
  in.seekg(0);
  if (n > 0 && !in.read(reinterpret_cast<char*>(owned_.data()), n)) throw std::runtime_error("cannot read " + path);
  data_ = owned_.data();
  size_ = owned_.size();
}

MappedFile::~MappedFile() = default;
#endif

}  // namespace analyze
}  // namespace tamsaek
