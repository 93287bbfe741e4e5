// CUDA runtime glue: device discovery that never throws, errors as cuda::Error, per-thread streams,
// pinned staging, the resident Matrix, and the search orchestration (which kernels run for a request).
#include <algorithm>
#include <chrono>
#include <future>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "common.cuh"
#include "select.h"

#ifndef TAMSAEK_CUDA_ARCHS_STR
#define TAMSAEK_CUDA_ARCHS_STR ""
#endif

namespace tamsaek {
namespace cuda {

void throw_cuda(cudaError_t e, const char* what) {
  cudaGetLastError();  // reset the thread's last error (non-sticky ones), so the next launch check is not blamed
  throw Error(std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

namespace {

Status probe() {
  Status s;
  s.built = true;
  s.archs = TAMSAEK_CUDA_ARCHS_STR;
  cudaRuntimeGetVersion(&s.runtime_version);
  if (cudaDriverGetVersion(&s.driver_version) != cudaSuccess) s.driver_version = 0;
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear: "no device" is an answer, not a failure
    s.reason = s.driver_version == 0 ? "no NVIDIA driver (libcuda.so.1) is installed"
                                     : std::string("no CUDA device: ") + cudaGetErrorString(e);
    return s;
  }
  if (count == 0) {
    s.reason = "no CUDA device is visible";
    return s;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    DeviceInfo d;
    d.index = i;
    d.name = p.name;
    d.major = p.major;
    d.minor = p.minor;
    d.total_mem = static_cast<double>(p.totalGlobalMem);
    d.sms = p.multiProcessorCount;
    int clock_khz = 0, bus_bits = 0;
    if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, i) == cudaSuccess &&
        cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, i) == cudaSuccess)
      d.mem_bandwidth = 2.0 * clock_khz * 1e3 * bus_bits / 8.0;  // double data rate
    cudaGetLastError();
    s.devices.push_back(d);
  }
  if (s.devices.empty()) s.reason = "no CUDA device answered cudaGetDeviceProperties";
  return s;
}

// Driver initialisation can take a good part of a second on a GPU machine: the probe starts on its own
// thread when the addon loads (start_probe), so the JS thread rarely waits for it.
const std::shared_future<Status>& probe_future() {
  static const std::shared_future<Status> f = std::async(std::launch::async, probe).share();
  return f;
}
const Status& cached_status() { return probe_future().get(); }

cudaDeviceProp g_props;
std::once_flag g_props_once;

}  // namespace

Status status() {
  try {
    return cached_status();
  } catch (...) {
    Status s;
    s.built = true;
    s.reason = "the CUDA runtime failed to initialise";
    return s;
  }
}

bool available() { return !status().devices.empty(); }

void start_probe() { (void)probe_future(); }

void ensure_device() {
  const Status& s = cached_status();
  if (s.devices.empty()) throw Unavailable(s.reason);
  check(cudaSetDevice(s.devices[0].index), "cudaSetDevice");
}

const cudaDeviceProp& device_props() {
  std::call_once(g_props_once, [] { check(cudaGetDeviceProperties(&g_props, cached_status().devices.at(0).index), "cudaGetDeviceProperties"); });
  return g_props;
}

cudaStream_t thread_stream() {
  // one stream per host thread, kept for the life of the process (libuv's pool threads are long-lived)
  thread_local cudaStream_t st = [] {
    cudaStream_t s = nullptr;
    check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    return s;
  }();
  return st;
}

// ---- pinned staging: two buffers per thread, alternated so a host memcpy overlaps the other's DMA
namespace {
constexpr size_t kStage = size_t(8) << 20;

struct Staging {
  void* buf[2] = {nullptr, nullptr};
  cudaEvent_t done[2] = {nullptr, nullptr};
  Staging() {
    for (int i = 0; i < 2; ++i) {
      check(cudaMallocHost(&buf[i], kStage), "cudaMallocHost");
      check(cudaEventCreateWithFlags(&done[i], cudaEventDisableTiming), "cudaEventCreate");
    }
  }
};
Staging& staging() {
  thread_local Staging s;
  return s;
}
}  // namespace

void upload(void* dst, const void* src, size_t bytes, cudaStream_t st) {
  if (bytes == 0) return;
  Staging& sg = staging();
  size_t off = 0;
  for (int i = 0; off < bytes; i ^= 1) {
    const size_t len = std::min(kStage, bytes - off);
    check(cudaEventSynchronize(sg.done[i]), "cudaEventSynchronize");  // the buffer's previous DMA is over
    std::memcpy(sg.buf[i], static_cast<const char*>(src) + off, len);
    check(cudaMemcpyAsync(static_cast<char*>(dst) + off, sg.buf[i], len, cudaMemcpyHostToDevice, st), "cudaMemcpyAsync H2D");
    check(cudaEventRecord(sg.done[i], st), "cudaEventRecord");
    off += len;
  }
  for (int i = 0; i < 2; ++i) check(cudaEventSynchronize(sg.done[i]), "cudaEventSynchronize");
}

void download(void* dst, const void* src, size_t bytes, cudaStream_t st) {
  if (bytes == 0) return;
  Staging& sg = staging();
  for (size_t off = 0; off < bytes; off += kStage) {
    const size_t len = std::min(kStage, bytes - off);
    check(cudaMemcpyAsync(sg.buf[0], static_cast<const char*>(src) + off, len, cudaMemcpyDeviceToHost, st), "cudaMemcpyAsync D2H");
    check(cudaStreamSynchronize(st), "cudaStreamSynchronize");
    std::memcpy(static_cast<char*>(dst) + off, sg.buf[0], len);
  }
}

size_t dtype_bytes(DType d) { return d == DType::F32 ? 4 : d == DType::F16 ? 2 : 1; }

// ---- resident matrix
class Matrix {
 public:
  MatrixData d;
  std::shared_mutex mu;
  ~Matrix() { free_all(d); }
  static void free_all(MatrixData& x) {
    cudaFree(x.data);
    cudaFree(x.norms2);
    cudaFree(x.scales);
    cudaFree(x.rowscale);
    x.data = nullptr;
    x.norms2 = x.scales = x.rowscale = nullptr;
  }
};

// No CUDA call here: the first one (which creates the device context) happens in matrix_write, on a
// worker thread. Only the cached discovery is consulted.
std::shared_ptr<Matrix> matrix_create(DType dtype, size_t dim) {
  if (cached_status().devices.empty()) throw Unavailable(cached_status().reason);
  if (dim == 0 || dim > kMaxDim) throw std::invalid_argument("dim must be in 1.." + std::to_string(kMaxDim) + " on the GPU");
  auto m = std::make_shared<Matrix>();
  m->d.dtype = dtype;
  m->d.dim = dim;
  return m;
}

namespace {
// Grows the arrays to hold `need` rows, keeping the first `keep` rows.
void reserve(MatrixData& d, size_t need, size_t keep, cudaStream_t st) {
  if (need <= d.cap) return;
  MatrixData nd = d;
  nd.cap = std::max({need, d.cap + d.cap / 2, size_t(1024)});
  const size_t row_bytes = d.dim * dtype_bytes(d.dtype);
  check(cudaMalloc(&nd.data, nd.cap * row_bytes), "cudaMalloc (rows)");
  check(cudaMalloc(reinterpret_cast<void**>(&nd.norms2), nd.cap * 4), "cudaMalloc (norms)");
  check(cudaMalloc(reinterpret_cast<void**>(&nd.rowscale), nd.cap * 4), "cudaMalloc (row scales)");
  if (d.dtype == DType::I8) check(cudaMalloc(reinterpret_cast<void**>(&nd.scales), nd.cap * 4), "cudaMalloc (scales)");
  if (keep) {
    check(cudaMemcpyAsync(nd.data, d.data, keep * row_bytes, cudaMemcpyDeviceToDevice, st), "cudaMemcpyAsync D2D");
    check(cudaMemcpyAsync(nd.norms2, d.norms2, keep * 4, cudaMemcpyDeviceToDevice, st), "cudaMemcpyAsync D2D");
    check(cudaMemcpyAsync(nd.rowscale, d.rowscale, keep * 4, cudaMemcpyDeviceToDevice, st), "cudaMemcpyAsync D2D");
    if (nd.scales) check(cudaMemcpyAsync(nd.scales, d.scales, keep * 4, cudaMemcpyDeviceToDevice, st), "cudaMemcpyAsync D2D");
    check(cudaStreamSynchronize(st), "cudaStreamSynchronize");
  }
  Matrix::free_all(d);
  d = nd;
}
}  // namespace

void matrix_write(Matrix& mx, size_t row0, size_t count, const void* rows, const float* norms2, const float* scales) {
  ensure_device();
  std::unique_lock<std::shared_mutex> lock(mx.mu);
  MatrixData& d = mx.d;
  if (row0 > d.n) throw std::invalid_argument("matrix write past the last row");
  if (d.dtype == DType::I8 && count && !scales) throw std::invalid_argument("int8 rows need scales");
  cudaStream_t st = thread_stream();
  reserve(d, row0 + count, row0, st);
  const size_t row_bytes = d.dim * dtype_bytes(d.dtype);
  upload(static_cast<char*>(d.data) + row0 * row_bytes, rows, count * row_bytes, st);
  upload(d.norms2 + row0, norms2, count * 4, st);
  if (d.dtype == DType::I8) upload(d.scales + row0, scales, count * 4, st);
  d.n = row0 + count;
  if (count) launch_rowscale(d, row0, count, st);
  check(cudaStreamSynchronize(st), "cudaStreamSynchronize (matrix write)");
}

size_t matrix_rows(const Matrix& mx) { return mx.d.n; }
size_t matrix_device_bytes(const Matrix& mx) {
  const MatrixData& d = mx.d;
  return d.cap * (d.dim * dtype_bytes(d.dtype) + (d.dtype == DType::I8 ? 12 : 8));
}

// ---- search orchestration
namespace {

int list_cap(size_t k) { return k <= 32 ? 32 : 128; }

struct Timer {
  cudaEvent_t a = nullptr, b = nullptr;
  explicit Timer(bool on, cudaStream_t st) {
    if (!on) return;
    check(cudaEventCreate(&a), "cudaEventCreate");
    check(cudaEventCreate(&b), "cudaEventCreate");
    check(cudaEventRecord(a, st), "cudaEventRecord");
  }
  double stop(cudaStream_t st) {
    if (!a) return 0;
    check(cudaEventRecord(b, st), "cudaEventRecord");
    check(cudaEventSynchronize(b), "cudaEventSynchronize");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, a, b), "cudaEventElapsedTime");
    return ms / 1e3;
  }
  ~Timer() {
    if (a) cudaEventDestroy(a);
    if (b) cudaEventDestroy(b);
  }
};

std::vector<std::vector<Hit>> to_hits(const std::vector<float>& s, const std::vector<uint32_t>& ix, size_t m, size_t k) {
  std::vector<std::vector<Hit>> out(m);
  for (size_t j = 0; j < m; ++j)
    for (size_t r = 0; r < k; ++r) {
      const uint32_t row = ix[j * k + r];
      if (row == rec::kNoRow) break;
      out[j].push_back(Hit{s[j * k + r], row});
    }
  return out;
}

}  // namespace

std::vector<std::vector<Hit>> search(Matrix& mx, const float* queries, size_t m, const SearchRequest& rq,
                                     SearchTiming* timing) {
  ensure_device();
  if (rq.k == 0 || rq.k > kMaxK) throw std::invalid_argument("k must be in 1.." + std::to_string(kMaxK) + " on the GPU");
  std::shared_lock<std::shared_mutex> lock(mx.mu);
  const MatrixData& d = mx.d;
  if (m == 0 || d.n == 0) return std::vector<std::vector<Hit>>(m);
  cudaStream_t st = thread_stream();
  const size_t dim = d.dim, k = rq.k;
  Path path = rq.path;
  if (path == Path::Auto) path = m < 8 ? Path::Scan : Path::Fused;
  if (path == Path::Scan && m > 65535) throw std::invalid_argument("the scan path takes at most 65535 queries per call");

  // queries and their squared norms (fp32 on the host, as the CPU kernels compute them) in one upload
  std::vector<float> host(m * dim + m);
  std::memcpy(host.data(), queries, m * dim * 4);
  for (size_t j = 0; j < m; ++j) {
    float n2 = 0;
    for (size_t t = 0; t < dim; ++t) n2 += queries[j * dim + t] * queries[j * dim + t];
    host[m * dim + j] = n2;
  }
  DeviceBuffer<float> q(host.size(), st);
  upload(q.get(), host.data(), host.size() * 4, st);
  DeviceBuffer<uint8_t> allow;
  if (rq.allow) {
    allow.reset((d.n + 7) / 8, st);
    upload(allow.get(), rq.allow, allow.size(), st);
  }
  ScanArgs sa{d, q.get(), q.get() + m * dim, rq.allow ? allow.get() : nullptr, static_cast<int>(rq.metric),
              static_cast<int>(m), static_cast<int>(k)};
  DeviceBuffer<float> out_s(m * k, st);
  DeviceBuffer<uint32_t> out_i(m * k, st);
  Timer timer(timing != nullptr, st);
  if (path == Path::Scan) {
    const int cap = list_cap(k);
    const int lists = scan_blocks_per_query(d.n, static_cast<int>(m));
    DeviceBuffer<float> cs(m * lists * cap, st);
    DeviceBuffer<uint32_t> ci(m * lists * cap, st);
    launch_scan(sa, cs.get(), ci.get(), cap, st);
    launch_merge(cs.get(), ci.get(), lists, cap, static_cast<int>(m), static_cast<int>(k), false, sa, out_s.get(), out_i.get(), st);
  } else {
    const int cap = list_cap(k + 8);  // 8 spare candidates per list absorb fp16 rounding before the fp32 rescore
    const int dpad = static_cast<int>((dim + 31) / 32 * 32);
    const int mpad = static_cast<int>((m + 63) / 64 * 64);
    DeviceBuffer<__half> qh(static_cast<size_t>(mpad) * dpad, st);
    DeviceBuffer<float> qscale(mpad, st);
    launch_prepare_queries(q.get(), static_cast<int>(m), static_cast<int>(dim), dpad, qh.get(), qscale.get(), nullptr, st);
    if (path == Path::GemmSelect) {
      baseline_search(d, qh.get(), qscale.get(), sa, cap, out_s.get(), out_i.get(), st);
    } else {
      const int splits = fused_splits(d.n, static_cast<int>(m), cap);
      const size_t lists = static_cast<size_t>(mpad) * splits * cap;
      DeviceBuffer<float> cs(lists, st);
      DeviceBuffer<uint32_t> ci(lists, st);
      FusedArgs fa{&d, qh.get(), qscale.get(), sa.qnorm2, sa.allow, sa.metric, static_cast<int>(m), dpad};
      launch_fused(fa, cs.get(), ci.get(), cap, splits, st);
      launch_merge(cs.get(), ci.get(), splits, cap, static_cast<int>(m), static_cast<int>(k), true, sa, out_s.get(), out_i.get(), st);
    }
  }
  if (timing) {
    timing->device_seconds = timer.stop(st);
    timing->path = path == Path::Scan ? "scan" : path == Path::Fused ? "fused" : "gemm-select";
  }
  std::vector<float> hs(m * k);
  std::vector<uint32_t> hi(m * k);
  download(hs.data(), out_s.get(), m * k * 4, st);
  download(hi.data(), out_i.get(), m * k * 4, st);
  return to_hits(hs, hi, m, k);
}

// ---- bench and test probes
void probe_alloc(double bytes) {
  ensure_device();
  void* p = nullptr;
  check(cudaMalloc(&p, static_cast<size_t>(bytes)), "cudaMalloc (probe)");
  check(cudaFree(p), "cudaFree (probe)");
}

double bench_copy_seconds(Matrix& mx, int reps) {
  ensure_device();
  std::shared_lock<std::shared_mutex> lock(mx.mu);
  cudaStream_t st = thread_stream();
  const size_t bytes = mx.d.n * mx.d.dim * dtype_bytes(mx.d.dtype);
  DeviceBuffer<char> dst(bytes, st);
  check(cudaMemcpyAsync(dst.get(), mx.d.data, bytes, cudaMemcpyDeviceToDevice, st), "cudaMemcpyAsync D2D");  // warm
  Timer t(true, st);
  for (int r = 0; r < reps; ++r)
    check(cudaMemcpyAsync(dst.get(), mx.d.data, bytes, cudaMemcpyDeviceToDevice, st), "cudaMemcpyAsync D2D");
  return t.stop(st) / reps;
}

double bench_read_seconds(Matrix& mx, int reps) {
  ensure_device();
  std::shared_lock<std::shared_mutex> lock(mx.mu);
  cudaStream_t st = thread_stream();
  const size_t bytes = mx.d.n * mx.d.dim * dtype_bytes(mx.d.dtype);
  DeviceBuffer<float> sink(1, st);
  launch_read(mx.d.data, bytes, sink.get(), st);
  Timer t(true, st);
  for (int r = 0; r < reps; ++r) launch_read(mx.d.data, bytes, sink.get(), st);
  return t.stop(st) / reps;
}

}  // namespace cuda
}  // namespace tamsaek
