// Host-side interface of the CUDA kernels (native/cuda/*.cu), free of CUDA types so that the bindings
// (native/bindings/cuda.cpp) compile with any C++ compiler. A build without a CUDA toolkit links
// native/cuda/stub.cpp instead, which answers "not built with CUDA" everywhere.
//
// Errors: every CUDA failure throws cuda::Error whose message starts with "CUDA_ERROR: " and carries the
// CUDA message; asking for the GPU where none is usable throws cuda::Unavailable ("CUDA_UNAVAILABLE: ").
// The TypeScript layer turns both prefixes into TamsaekError codes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../loss/contrastive.h"
#include "../topk/search.h"

namespace tamsaek {
namespace cuda {

struct Error : std::runtime_error {
  explicit Error(const std::string& what) : std::runtime_error("CUDA_ERROR: " + what) {}
};
struct Unavailable : std::runtime_error {
  explicit Unavailable(const std::string& why) : std::runtime_error("CUDA_UNAVAILABLE: " + why) {}
};

struct DeviceInfo {
  int index = 0;
  std::string name;
  int major = 0, minor = 0;
  double total_mem = 0;        // bytes
  int sms = 0;
  double mem_bandwidth = 0;    // bytes/s from clock x bus width (0 when the runtime does not report them)
};

struct Status {
  bool built = false;          // compiled with CUDA
  std::string archs;           // CUDA_ARCHITECTURES of the build
  int runtime_version = 0;     // e.g. 13000
  int driver_version = 0;      // 0 when no driver is installed
  std::vector<DeviceInfo> devices;
  std::string reason;          // why no device is usable (empty when one is)
};

// Never throws: a missing driver or device is reported in `reason`.
Status status();
// True when built with CUDA and at least one device is visible.
bool available();
// Starts the device discovery on a background thread (called when the addon loads).
void start_probe();

// Largest k the GPU kernels select (larger k: the caller searches on the CPU).
constexpr size_t kMaxK = 120;
// Largest dimension the GPU kernels take (the query lives in shared memory).
constexpr size_t kMaxDim = 8192;

// A row store resident in device memory: uploaded once (or appended to), searched many times.
class Matrix;
std::shared_ptr<Matrix> matrix_create(DType dtype, size_t dim);
// Writes rows [row0, row0 + count) (dtype layout as native/topk/search.h), their squared norms and int8
// scales, and sets the row count to row0 + count (rows past it are dropped).
void matrix_write(Matrix& mx, size_t row0, size_t count, const void* rows, const float* norms2, const float* scales);
size_t matrix_rows(const Matrix& mx);
size_t matrix_device_bytes(const Matrix& mx);

enum class Path : int { Auto = 0, Scan = 1, Fused = 2, GemmSelect = 3 };

struct SearchRequest {
  Metric metric = Metric::Dot;
  size_t k = 10;
  const uint8_t* allow = nullptr;  // bitmap over rows (nullptr: all rows)
  Path path = Path::Auto;          // Auto: scan for fewer than 8 queries, fused tensor-core tiles otherwise
};

struct SearchTiming {
  double device_seconds = 0;  // kernel time between CUDA events (no host transfers)
  std::string path;           // the path that ran
};

// Exact top-k of m queries (fp32, m x dim). Scores and ties follow native/topk/search.h.
std::vector<std::vector<Hit>> search(Matrix& mx, const float* queries, size_t m, const SearchRequest& rq,
                                     SearchTiming* timing = nullptr);

// Contrastive losses on the GPU: the same Spec and results as loss::run (native/loss/contrastive.h).
struct LossStats {
  double extra_device_bytes = 0;  // device memory beyond inputs and gradients (peak)
  double device_seconds = 0;
};
double contrastive(const loss::Spec& spec, float* grad[3], LossStats* stats = nullptr);
// Statistics of the last contrastive() call in this process (for the bench).
LossStats last_loss_stats();

// Bench probes on a resident matrix: device-to-device copy and a plain read of the same bytes
// (seconds per pass), and the WMMA fp16 tensor-core issue rate (flop/s) of a register-only loop.
double bench_copy_seconds(Matrix& mx, int reps);
double bench_read_seconds(Matrix& mx, int reps);
double bench_tensor_peak(int reps);
// Allocates and frees `bytes` of device memory (tests: a failing allocation must surface as CUDA_ERROR).
void probe_alloc(double bytes);
// Whether the cuBLAS baseline can run (libcublas found at run time), with the reason when not.
bool cublas_available(std::string* why);

}  // namespace cuda
}  // namespace tamsaek
