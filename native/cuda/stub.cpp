// The CUDA interface in a build without a CUDA toolkit (node-gyp, or cmake-js where nvcc is absent):
// status() says so, and every GPU entry point throws cuda::Unavailable.
#include "api.h"

namespace tamsaek {
namespace cuda {
namespace {
[[noreturn]] void not_built() {
  throw Unavailable("this addon was built without CUDA (npm run build:native on a machine with the CUDA toolkit)");
}
}  // namespace

class Matrix {};

Status status() {
  Status s;
  s.reason = "the addon was built without CUDA";
  return s;
}
bool available() { return false; }
void start_probe() {}
std::shared_ptr<Matrix> matrix_create(DType, size_t) { not_built(); }
void matrix_write(Matrix&, size_t, size_t, const void*, const float*, const float*) { not_built(); }
size_t matrix_rows(const Matrix&) { return 0; }
size_t matrix_device_bytes(const Matrix&) { return 0; }
std::vector<std::vector<Hit>> search(Matrix&, const float*, size_t, const SearchRequest&, SearchTiming*) {
  not_built();
}
double contrastive(const loss::Spec&, float**, LossStats*) { not_built(); }
LossStats last_loss_stats() { return LossStats{}; }
double bench_copy_seconds(Matrix&, int) { not_built(); }
double bench_read_seconds(Matrix&, int) { not_built(); }
double bench_tensor_peak(int) { not_built(); }
void probe_alloc(double) { not_built(); }
bool cublas_available(std::string* why) {
  if (why) *why = "the addon was built without CUDA";
  return false;
}

}  // namespace cuda
}  // namespace tamsaek
