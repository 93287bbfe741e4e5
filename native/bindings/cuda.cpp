// N-API glue for the CUDA kernels (native/cuda/api.h) and for the shared tile recurrences
// (native/cuda/select.h, lse.h, score.h), which the CPU tests call directly. No math here beyond
// looping the recurrences over test inputs. Compiled in every build: without CUDA the api answers
// from native/cuda/stub.cpp.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../cuda/api.h"
#include "../cuda/lse.h"
#include "../cuda/score.h"
#include "../cuda/select.h"
#include "napi_util.h"

namespace tamsaek {
namespace {

using napi::count;
using napi::fail;
using napi::flag;
using napi::num;
using napi::obj_arg;
using napi::queue;
using napi::typed;

using MatrixPtr = std::shared_ptr<cuda::Matrix>;

Napi::Value CudaInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const cuda::Status s = cuda::status();
  Napi::Object o = Napi::Object::New(env);
  o.Set("built", s.built);
  o.Set("archs", s.archs);
  o.Set("runtimeVersion", s.runtime_version);
  o.Set("driverVersion", s.driver_version);
  o.Set("reason", s.reason);
  Napi::Array devs = Napi::Array::New(env, s.devices.size());
  for (size_t i = 0; i < s.devices.size(); ++i) {
    const auto& d = s.devices[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("index", d.index);
    x.Set("name", d.name);
    x.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
    x.Set("totalMemory", d.total_mem);
    x.Set("multiprocessors", d.sms);
    x.Set("memoryBandwidth", d.mem_bandwidth);
    devs.Set(static_cast<uint32_t>(i), x);
  }
  o.Set("devices", devs);
  std::string why;
  o.Set("cublas", s.devices.empty() ? false : cuda::cublas_available(&why));
  o.Set("cublasReason", why);
  o.Set("maxK", static_cast<double>(cuda::kMaxK));
  o.Set("maxDim", static_cast<double>(cuda::kMaxDim));
  return o;
}

// Converts a C++ exception from the CUDA layer into a JS error on the calling thread.
template <typename F>
auto guarded(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

MatrixPtr matrix_of(Napi::Object o) {
  Napi::Value v = o.Get("matrix");
  if (!v.IsExternal()) fail(o.Env(), "matrix must be a handle from cudaMatrixCreate");
  MatrixPtr* p = v.As<Napi::External<MatrixPtr>>().Data();
  if (!p || !*p) fail(o.Env(), "the matrix handle was released");
  return *p;
}

DType dtype_arg(Napi::Object o) {
  size_t d = count(o, "dtype");
  if (d > 2) fail(o.Env(), "dtype must be 0 (f32), 1 (f16) or 2 (i8)");
  return static_cast<DType>(d);
}

Napi::Value MatrixCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = obj_arg(info, 0);
  const DType dt = dtype_arg(o);
  const size_t dim = count(o, "dim");
  MatrixPtr m = guarded(env, [&] { return cuda::matrix_create(dt, dim); });
  return Napi::External<MatrixPtr>::New(env, new MatrixPtr(m), [](Napi::Env, MatrixPtr* p) { delete p; });
}

// Frees the device memory on a worker (cudaFree waits for the device; searches in flight keep their
// reference until they end). Resolves when freed.
Napi::Value MatrixRelease(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) fail(info.Env(), "expected a matrix handle");
  MatrixPtr* p = info[0].As<Napi::External<MatrixPtr>>().Data();
  auto held = std::make_shared<MatrixPtr>(p ? std::move(*p) : MatrixPtr());
  if (p) p->reset();
  return queue(info.Env(), [held] { held->reset(); }, [](Napi::Env env) { return env.Undefined(); }, {});
}

Napi::Value MatrixWrite(const Napi::CallbackInfo& info) {
  Napi::Object o = obj_arg(info, 0);
  std::vector<Napi::Value> pins;
  MatrixPtr m = matrix_of(o);
  const DType dt = dtype_arg(o);
  const size_t row0 = count(o, "row0"), n = count(o, "count"), dim = count(o, "dim");
  const void* rows = nullptr;
  switch (dt) {
    case DType::F32: rows = typed<float>(o, "data", (row0 + n) * dim, false, napi_float32_array, pins) + row0 * dim; break;
    case DType::F16: rows = typed<uint16_t>(o, "data", (row0 + n) * dim, false, napi_uint16_array, pins) + row0 * dim; break;
    case DType::I8: rows = typed<int8_t>(o, "data", (row0 + n) * dim, false, napi_int8_array, pins) + row0 * dim; break;
  }
  const float* norms = typed<float>(o, "norms", row0 + n, false, napi_float32_array, pins) + row0;
  const float* scales = typed<float>(o, "scales", row0 + n, dt != DType::I8, napi_float32_array, pins);
  if (scales) scales += row0;
  return queue(info.Env(), [=] { cuda::matrix_write(*m, row0, n, rows, norms, scales); },
               [](Napi::Env env) { return env.Undefined(); }, pins);
}

Napi::Value Search(const Napi::CallbackInfo& info) {
  Napi::Object o = obj_arg(info, 0);
  std::vector<Napi::Value> pins;
  MatrixPtr mx = matrix_of(o);
  const size_t m = count(o, "m"), k = count(o, "k"), dim = count(o, "dim"), n = count(o, "n");
  const size_t metric = count(o, "metric"), path = o.Has("path") ? count(o, "path") : 0;
  if (metric > 2) fail(info.Env(), "metric must be 0 (dot), 1 (cosine) or 2 (l2)");
  if (path > 3) fail(info.Env(), "path must be 0..3");
  const float* q = typed<float>(o, "queries", m * dim, false, napi_float32_array, pins);
  const uint8_t* allow = typed<uint8_t>(o, "allow", (n + 7) / 8, true, napi_uint8_array, pins);
  cuda::SearchRequest rq;
  rq.metric = static_cast<Metric>(metric);
  rq.k = k;
  rq.allow = allow;
  rq.path = static_cast<cuda::Path>(path);
  struct Out {
    std::vector<std::vector<Hit>> hits;
    cuda::SearchTiming timing;
  };
  auto out = std::make_shared<Out>();
  auto run = [=] {
    if (cuda::matrix_rows(*mx) != n) throw std::invalid_argument("the device matrix holds a different number of rows");
    out->hits = cuda::search(*mx, q, m, rq, &out->timing);
  };
  auto done = [out, m, k](Napi::Env env) -> Napi::Value {
    auto rows = Napi::Int32Array::New(env, m * k);
    auto scores = Napi::Float32Array::New(env, m * k);
    for (size_t j = 0; j < m; ++j)
      for (size_t r = 0; r < k; ++r) {
        const bool has = r < out->hits[j].size();
        rows[j * k + r] = has ? static_cast<int32_t>(out->hits[j][r].idx) : -1;
        scores[j * k + r] = has ? out->hits[j][r].score : std::nanf("");
      }
    Napi::Object res = Napi::Object::New(env);
    res.Set("rows", rows);
    res.Set("scores", scores);
    res.Set("deviceSeconds", out->timing.device_seconds);
    res.Set("path", out->timing.path);
    return res;
  };
  return queue(info.Env(), run, done, pins);
}

// Bench probes: kind "copy" | "read" (seconds per pass over a matrix), "peak" (tensor flop/s),
// "alloc" (allocates and frees `bytes` of device memory: the tests' way to provoke a CUDA error).
Napi::Value Bench(const Napi::CallbackInfo& info) {
  Napi::Object o = obj_arg(info, 0);
  const std::string kind = o.Get("kind").ToString().Utf8Value();
  const int reps = static_cast<int>(count(o, "reps"));
  MatrixPtr mx = kind == "copy" || kind == "read" ? matrix_of(o) : nullptr;
  if (kind != "copy" && kind != "read" && kind != "peak" && kind != "alloc")
    fail(info.Env(), "kind must be copy, read, peak or alloc");
  const double bytes = kind == "alloc" ? num(o, "bytes") : 0;
  auto res = std::make_shared<double>(0);
  return queue(
      info.Env(),
      [=] {
        if (kind == "alloc") return cuda::probe_alloc(bytes);
        *res = kind == "copy" ? cuda::bench_copy_seconds(*mx, reps)
               : kind == "read" ? cuda::bench_read_seconds(*mx, reps)
                                : cuda::bench_tensor_peak(reps);
      },
      [res](Napi::Env env) { return Napi::Number::New(env, *res); }, {o});
}

Napi::Value LossStats(const Napi::CallbackInfo& info) {
  const cuda::LossStats s = cuda::last_loss_stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("extraDeviceBytes", s.extra_device_bytes);
  o.Set("deviceSeconds", s.device_seconds);
  return o;
}

// ---- the shared recurrences, looped over test inputs (test/cuda-recurrence.test.mjs)
Napi::Object list_result(Napi::Env env, const std::vector<float>& s, const std::vector<uint32_t>& ix, int len) {
  Napi::Object r = Napi::Object::New(env);
  auto rs = Napi::Float32Array::New(env, static_cast<size_t>(len));
  auto ri = Napi::Uint32Array::New(env, static_cast<size_t>(len));
  for (int i = 0; i < len; ++i) {
    rs[i] = s[static_cast<size_t>(i)];
    ri[i] = ix[static_cast<size_t>(i)];
  }
  r.Set("scores", rs);
  r.Set("rows", ri);
  return r;
}

Napi::Value RecurrenceTopk(Napi::Object o, bool merge) {
  Napi::Env env = o.Env();
  std::vector<Napi::Value> pins;
  const int cap = static_cast<int>(count(o, "cap"));
  std::vector<float> s(static_cast<size_t>(cap) + 1);
  std::vector<uint32_t> ix(static_cast<size_t>(cap) + 1);
  int len = 0;
  if (!merge) {
    const size_t n = count(o, "n");
    const float* sc = typed<float>(o, "scores", n, false, napi_float32_array, pins);
    const uint32_t* rw = typed<uint32_t>(o, "rows", n, false, napi_uint32_array, pins);
    for (size_t i = 0; i < n; ++i) rec::topk_insert(s.data(), ix.data(), &len, cap, sc[i], rw[i]);
    return list_result(env, s, ix, len);
  }
  const size_t na = count(o, "na"), nb = count(o, "nb");
  const float* as = typed<float>(o, "as", na, false, napi_float32_array, pins);
  const uint32_t* ai = typed<uint32_t>(o, "ai", na, false, napi_uint32_array, pins);
  const float* bs = typed<float>(o, "bs", nb, false, napi_float32_array, pins);
  const uint32_t* bi = typed<uint32_t>(o, "bi", nb, false, napi_uint32_array, pins);
  len = rec::topk_merge(as, ai, static_cast<int>(na), bs, bi, static_cast<int>(nb), s.data(), ix.data(), cap);
  return list_result(env, s, ix, len);
}

// x split into `parts` contiguous runs, each folded with lse_push, the partial states merged with lse_merge.
Napi::Value RecurrenceLse(Napi::Object o) {
  std::vector<Napi::Value> pins;
  const size_t n = count(o, "n"), parts = std::max<size_t>(1, count(o, "parts"));
  const float* x = typed<float>(o, "x", n, false, napi_float32_array, pins);
  rec::Lse total = rec::lse_empty();
  for (size_t p = 0; p < parts; ++p) {
    rec::Lse st = rec::lse_empty();
    for (size_t i = p * n / parts; i < (p + 1) * n / parts; ++i) rec::lse_push(st, x[i]);
    total = rec::lse_merge(total, st);
  }
  return Napi::Number::New(o.Env(), rec::lse_value(total));
}

Napi::Value RecurrenceScore(Napi::Object o) {
  const float q2 = static_cast<float>(num(o, "qNorm2"));
  const float s = rec::finish_score(static_cast<int>(count(o, "metric")), static_cast<float>(num(o, "dot")),
                                    static_cast<float>(num(o, "rowNorm2")), q2, q2 > 0 ? 1.0f / std::sqrt(q2) : 0.0f);
  return Napi::Number::New(o.Env(), s);
}

Napi::Value RecurrenceGist(Napi::Object o) {
  std::vector<Napi::Value> pins;
  const size_t n = count(o, "n");
  const float thr = rec::gist_threshold(static_cast<float>(num(o, "gpos")), static_cast<int>(count(o, "strategy")),
                                        static_cast<float>(num(o, "margin")));
  const float* g = typed<float>(o, "guide", n, false, napi_float32_array, pins);
  const double protect = o.Has("protect") ? num(o, "protect") : -1;
  auto masked = Napi::Uint8Array::New(o.Env(), n);
  for (size_t j = 0; j < n; ++j) masked[j] = rec::gist_masked(g[j], thr, static_cast<double>(j) == protect) ? 1 : 0;
  Napi::Object r = Napi::Object::New(o.Env());
  r.Set("threshold", thr);
  r.Set("masked", masked);
  return r;
}

Napi::Value Recurrence(const Napi::CallbackInfo& info) {
  Napi::Object o = obj_arg(info, 0);
  const std::string op = o.Get("op").ToString().Utf8Value();
  if (op == "insert" || op == "merge") return RecurrenceTopk(o, op == "merge");
  if (op == "lse") return RecurrenceLse(o);
  if (op == "score") return RecurrenceScore(o);
  if (op == "gist") return RecurrenceGist(o);
  fail(info.Env(), "op must be insert, merge, lse, score or gist");
}

}  // namespace

void register_cuda(Napi::Env env, Napi::Object exports) {
  cuda::start_probe();
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfo));
  exports.Set("cudaMatrixCreate", Napi::Function::New(env, MatrixCreate));
  exports.Set("cudaMatrixRelease", Napi::Function::New(env, MatrixRelease));
  exports.Set("cudaMatrixWrite", Napi::Function::New(env, MatrixWrite));
  exports.Set("cudaSearch", Napi::Function::New(env, Search));
  exports.Set("cudaBench", Napi::Function::New(env, Bench));
  exports.Set("cudaLossStats", Napi::Function::New(env, LossStats));
  exports.Set("recurrence", Napi::Function::New(env, Recurrence));
}

}  // namespace tamsaek
