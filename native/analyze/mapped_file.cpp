#include "mapped_file.h"

#include <algorithm>
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
  if (p == MAP_FAILED) {
    ::close(fd);
    throw std::runtime_error("cannot map " + path + ": " + std::strerror(e));
  }
  data_ = static_cast<const uint8_t*>(p);
  mapped_ = true;
  fd_ = fd;
}

MappedFile::~MappedFile() {
  if (mapped_) ::munmap(const_cast<uint8_t*>(data_), size_);
  if (fd_ >= 0) ::close(fd_);
}

size_t MappedFile::read(size_t offset, void* out, size_t n) const {
  if (offset >= size_) return 0;
  n = std::min(n, size_ - offset);
  if (fd_ < 0) {
    std::memcpy(out, data_ + offset, n);
    return n;
  }
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd_, static_cast<uint8_t*>(out) + done, n - done, static_cast<off_t>(offset + done));
    if (got > 0) {
      done += static_cast<size_t>(got);
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else {  // an I/O error on a file that mapped: read those bytes through the mapping instead
      std::memcpy(static_cast<uint8_t*>(out) + done, data_ + offset + done, n - done);
      done = n;
    }
  }
  return n;
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

size_t MappedFile::read(size_t offset, void* out, size_t n) const {
  if (offset >= size_) return 0;
  n = std::min(n, size_ - offset);
  std::memcpy(out, data_ + offset, n);
  return n;
}
#endif

}  // namespace analyze
}  // namespace tamsaek
