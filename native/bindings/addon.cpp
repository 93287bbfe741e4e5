// N-API glue only: argument unpacking, lifetime pinning, AsyncWorker/Promise plumbing. No math.
// The TS layer (src/native/) validates arguments and maps errors to TamsaekError; the checks here
// are a second line of defence so that a bad call can never crash the process.
#include <napi.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/aligned.h"
#include "../common/cpu.h"
#include "../common/threads.h"
#include "../cuda/api.h"
#include "../loss/cached.h"
#include "../loss/contrastive.h"
#include "../loss/gist.h"
#include "../loss/infonce.h"
#include "../simd/kernels.h"
#include "../topk/search.h"
#include "../train/sparse.h"
#include "napi_util.h"

using namespace tamsaek;
using namespace tamsaek::napi;  // Job, queue and the argument readers, shared with the other binding files

namespace tamsaek {
// The Korean analyzer's functions (native/bindings/analyze.cpp).
void register_analyze(Napi::Env env, Napi::Object exports);
void register_cuda(Napi::Env env, Napi::Object exports);  // bindings/cuda.cpp
}

namespace {

// Runs a job on the calling (JS) thread and settles its promise at once: for work far under a
// millisecond, where the worker-thread round trip costs more than the work itself.
Napi::Value run_now(Napi::Env env, const std::function<void()>& run, const std::function<Napi::Value(Napi::Env)>& done) {
  auto deferred = Napi::Promise::Deferred::New(env);
  std::string error;
  try {
    run();
  } catch (const std::bad_alloc&) {
    error = "out of memory";
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (error.empty()) deferred.Resolve(done(env));
  else deferred.Reject(Napi::Error::New(env, error).Value());
  return deferred.Promise();
}

int threads_of(Napi::Object o) {
  Napi::Value v = o.Get("threads");
  if (v.IsUndefined() || v.IsNull()) return default_threads();
  double d = num(o, "threads");
  if (d < 1 || d > 1024) fail(o.Env(), "threads must be in 1..1024");
  return static_cast<int>(d);
}


DType dtype_of(Napi::Object o) {
  size_t d = count(o, "dtype");
  if (d > 2) fail(o.Env(), "dtype must be 0 (f32), 1 (f16) or 2 (i8)");
  return static_cast<DType>(d);
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("kernel", active_kernels().name);
  o.Set("available", available_kernels());
  o.Set("cpu", cpu_features_string());
  o.Set("defaultThreads", default_threads());
  return o;
}

Napi::Value SetKernel(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) fail(info.Env(), "kernel name must be a string");
  return Napi::Boolean::New(info.Env(), set_active_kernels(info[0].As<Napi::String>().Utf8Value()));
}

Napi::Value Scratch(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("current", static_cast<double>(scratch_stats().current.load()));
  o.Set("peak", static_cast<double>(scratch_stats().peak.load()));
  if (info.Length() > 0 && info[0].ToBoolean().Value()) scratch_reset_peak();
  return o;
}

Napi::Value Encode(const Napi::CallbackInfo& info) {
  Napi::Object o = obj_arg(info, 0);
  std::vector<Napi::Value> pins;
  size_t n = count(o, "n"), dim = count(o, "dim"), row0 = count(o, "row0");
  DType dt = dtype_of(o);
  const float* src = typed<float>(o, "src", n * dim, false, napi_float32_array, pins);
  void* dst = nullptr;
  switch (dt) {
    case DType::F32: dst = typed<float>(o, "dst", (row0 + n) * dim, false, napi_float32_array, pins) + row0 * dim; break;
    case DType::F16: dst = typed<uint16_t>(o, "dst", (row0 + n) * dim, false, napi_uint16_array, pins) + row0 * dim; break;
    case DType::I8: dst = typed<int8_t>(o, "dst", (row0 + n) * dim, false, napi_int8_array, pins) + row0 * dim; break;
  }
  float* scales = typed<float>(o, "scales", row0 + n, dt != DType::I8, napi_float32_array, pins);
  float* norms = typed<float>(o, "norms", row0 + n, false, napi_float32_array, pins) + row0;
  if (scales) scales += row0;
  int threads = threads_of(o);
  return queue(info.Env(), [=] { encode_rows(src, n, dim, dt, dst, scales, norms, threads); },
               [](Napi::Env env) { return env.Undefined(); }, pins);
}

Napi::Value Search(const Napi::CallbackInfo& info) {
  Napi::Object o = obj_arg(info, 0);
  std::vector<Napi::Value> pins;
  Store st;
  st.n = count(o, "n");
  st.dim = count(o, "dim");
  st.dtype = dtype_of(o);
  if (st.dim == 0) fail(info.Env(), "dim must be positive");
  size_t m = count(o, "m"), k = count(o, "k");
  if (k == 0) fail(info.Env(), "k must be positive");
  size_t metric = count(o, "metric");
  if (metric > 2) fail(info.Env(), "metric must be 0 (dot), 1 (cosine) or 2 (l2)");
  switch (st.dtype) {
    case DType::F32: st.data = typed<float>(o, "data", st.n * st.dim, false, napi_float32_array, pins); break;
    case DType::F16: st.data = typed<uint16_t>(o, "data", st.n * st.dim, false, napi_uint16_array, pins); break;
    case DType::I8: st.data = typed<int8_t>(o, "data", st.n * st.dim, false, napi_int8_array, pins); break;
  }
  st.scales = typed<float>(o, "scales", st.n, st.dtype != DType::I8, napi_float32_array, pins);
  st.norms2 = typed<float>(o, "norms", st.n, metric == 0, napi_float32_array, pins);
  st.allow = typed<uint8_t>(o, "allow", (st.n + 7) / 8, true, napi_uint8_array, pins);
  const float* q = typed<float>(o, "queries", m * st.dim, false, napi_float32_array, pins);
  int threads = threads_of(o);
  // "inline": the caller judged the search tiny (well under a millisecond): no worker hop
  bool run_inline = flag(o, "inline", false);
  struct Out { std::vector<std::vector<Hit>> hits; };
  auto out = std::make_shared<Out>();
  std::function<void()> run = [=] { out->hits = exact_search(st, static_cast<Metric>(metric), q, m, k, threads); };
  std::function<Napi::Value(Napi::Env)> done = [out, m, k](Napi::Env env) -> Napi::Value {
    auto rows = Napi::Int32Array::New(env, m * k);
    auto scores = Napi::Float32Array::New(env, m * k);
    for (size_t j = 0; j < m; ++j) {
      const auto& h = out->hits[j];
      for (size_t r = 0; r < k; ++r) {
        if (r < h.size()) {
          rows[j * k + r] = static_cast<int32_t>(h[r].idx);
          scores[j * k + r] = h[r].score;
        } else {
          rows[j * k + r] = -1;
          scores[j * k + r] = std::nanf("");
        }
      }
    }
    Napi::Object res = Napi::Object::New(env);
    res.Set("rows", rows);
    res.Set("scores", scores);
    return res;
  };
  return run_inline ? run_now(info.Env(), run, done) : queue(info.Env(), run, done, pins);
}

std::vector<loss::Chunk> chunk_list(Napi::Object o, const char* key, size_t dim, std::vector<Napi::Value>& pins) {
  Napi::Value v = o.Get(key);
  std::vector<loss::Chunk> out;
  if (v.IsUndefined() || v.IsNull()) return out;
  if (!v.IsArray()) fail(o.Env(), std::string(key) + " must be an array of Float32Array chunks");
  Napi::Array arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value c = arr.Get(i);
    if (!c.IsTypedArray() || c.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      fail(o.Env(), std::string(key) + " chunks must be Float32Array");
    auto ta = c.As<Napi::Float32Array>();
    if (ta.ElementLength() % dim != 0) fail(o.Env(), std::string(key) + " chunk length must be a multiple of dim");
    pins.push_back(c);
    out.push_back({ta.Data(), ta.ElementLength() / dim});
  }
  return out;
}

// Contrastive losses. opts.kind: "infonce" | "gist"; when opts.cached is true the embeddings come as
// chunk lists (aChunks, pChunks, nChunks, and for gist gaChunks, gpChunks, gnChunks).
// The embeddings (and GIST's guide) of one contrastive call, read from its options object; gradients and the
// loss are written back through it by the worker.
struct ContrastiveInputs {
  std::vector<loss::Chunk> ch[6];  // cached losses: a, p, n, guide a, guide p, guide n as row chunks
  const float* m[6] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};  // the same as whole matrices
  size_t B = 0, H = 0;
  loss::GuideMatrices gm;
  float* grad[3] = {nullptr, nullptr, nullptr};
  double loss = 0;
};

void read_chunked_inputs(Napi::Object o, bool gist, size_t dim, size_t gdim, ContrastiveInputs& S,
                         std::vector<Napi::Value>& pins) {
  Napi::Env env = o.Env();
  const char* keys[6] = {"aChunks", "pChunks", "nChunks", "gaChunks", "gpChunks", "gnChunks"};
  for (int i = 0; i < 6; ++i) {
    if (i >= 3 && !gist) break;
    S.ch[i] = chunk_list(o, keys[i], i >= 3 ? gdim : dim, pins);
  }
  auto rows = [&](int i) {
    size_t r = 0;
    for (auto& c : S.ch[i]) r += c.rows;
    return r;
  };
  S.B = rows(0);
  S.H = rows(2);
  if (rows(1) != S.B) fail(env, "anchors and positives must have the same number of rows");
  if (gist && (rows(3) != S.B || rows(4) != S.B || rows(5) != S.H))
    fail(env, "guide chunks must match the embedding chunks");
}

void read_matrix_inputs(Napi::Object o, bool gist, size_t dim, size_t gdim, bool ca, bool cp, ContrastiveInputs& S,
                        std::vector<Napi::Value>& pins) {
  S.B = count(o, "B");
  S.H = count(o, "H");
  S.m[0] = typed<float>(o, "a", S.B * dim, false, napi_float32_array, pins);
  S.m[1] = typed<float>(o, "p", S.B * dim, false, napi_float32_array, pins);
  S.m[2] = typed<float>(o, "n", S.H * dim, S.H == 0, napi_float32_array, pins);
  if (!gist) return;
  if (!o.Get("guideAP").IsUndefined()) {
    S.gm.ap = typed<float>(o, "guideAP", S.B * S.B, false, napi_float32_array, pins);
    S.gm.aa = typed<float>(o, "guideAA", S.B * S.B, !ca, napi_float32_array, pins);
    S.gm.pp = typed<float>(o, "guidePP", S.B * S.B, !cp, napi_float32_array, pins);
    S.gm.an = typed<float>(o, "guideAN", S.B * S.H, S.H == 0, napi_float32_array, pins);
  } else {
    S.m[3] = typed<float>(o, "ga", S.B * gdim, false, napi_float32_array, pins);
    S.m[4] = typed<float>(o, "gp", S.B * gdim, false, napi_float32_array, pins);
    S.m[5] = typed<float>(o, "gn", S.H * gdim, S.H == 0, napi_float32_array, pins);
  }
}

Napi::Value Contrastive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = obj_arg(info, 0);
  std::vector<Napi::Value> pins;
  std::string kind = o.Get("kind").ToString().Utf8Value();
  if (kind != "infonce" && kind != "gist") fail(env, "kind must be infonce or gist");
  const bool gist = kind == "gist";
  const bool cached = flag(o, "cached", false);
  size_t dim = count(o, "dim");
  if (dim == 0) fail(env, "dim must be positive");
  size_t gdim = gist ? count(o, "guideDim") : 0;
  const bool cosine = flag(o, "cosine", true);
  const bool symmetric = flag(o, "symmetric", false);
  const int threads = threads_of(o);
  const size_t row_chunk = o.Has("rowChunk") ? count(o, "rowChunk") : 96;
  const size_t col_tile = o.Has("colTile") ? count(o, "colTile") : 256;
  const size_t mask_cap = o.Has("maskCap") && !o.Get("maskCap").IsUndefined() ? count(o, "maskCap") : static_cast<size_t>(-1);
  const double scale = gist ? 1.0 / num(o, "temperature") : num(o, "scale");
  const double margin = gist ? num(o, "margin") : 0.0;
  const int strategy = gist ? static_cast<int>(count(o, "strategy")) : 0;
  const bool ca = flag(o, "contrastAnchors", true), cp = flag(o, "contrastPositives", true);
  const bool on_gpu = flag(o, "cuda", false);  // the same Spec on the GPU (native/cuda/loss.cu)

  auto S = std::make_shared<ContrastiveInputs>();
  if (cached)
    read_chunked_inputs(o, gist, dim, gdim, *S, pins);
  else
    read_matrix_inputs(o, gist, dim, gdim, ca, cp, *S, pins);
  if (S->B == 0) fail(env, "the batch is empty");
  S->grad[0] = typed<float>(o, "gradA", S->B * dim, false, napi_float32_array, pins);
  S->grad[1] = typed<float>(o, "gradP", S->B * dim, false, napi_float32_array, pins);
  S->grad[2] = typed<float>(o, "gradN", S->H * dim, S->H == 0, napi_float32_array, pins);

  auto run = [=] {
    AlignedBuffer<float> gathered[6];
    const float* m[6];
    for (int i = 0; i < 6; ++i) {
      m[i] = S->m[i];
      if (cached && !S->ch[i].empty()) {
        loss::gather(S->ch[i], i >= 3 ? gdim : dim, gathered[i]);
        m[i] = gathered[i].data();
      }
    }
    const size_t B = S->B, H = S->H;
    loss::Spec sp;
    AlignedBuffer<float> thr;
    if (gist) {
      AlignedBuffer<float> gpos(B);
      if (S->gm.ap) {
        for (size_t i = 0; i < B; ++i) gpos[i] = S->gm.ap[i * B + i];
      } else {
        loss::diag_cosine(m[3], m[4], B, gdim, gpos.data());
      }
      thr.reset(B);
      loss::gist_thresholds(gpos.data(), B, static_cast<loss::MarginStrategy>(strategy), static_cast<float>(margin),
                            thr.data());
      sp = loss::gist_spec(m[0], m[1], H ? m[2] : nullptr, B, H, dim, m[3], m[4], m[5], gdim, S->gm, thr.data(),
                           static_cast<float>(1.0 / scale), cosine, ca, cp);
    } else {
      sp = loss::infonce_spec(m[0], m[1], H ? m[2] : nullptr, B, H, dim, static_cast<float>(scale), cosine, symmetric);
    }
    sp.threads = threads;
    sp.row_chunk = row_chunk;
    sp.col_tile = col_tile;
    sp.mask_cap = mask_cap;
    float* g[3] = {S->grad[0], S->grad[1], S->grad[2]};
    S->loss = on_gpu ? cuda::contrastive(sp, g) : loss::run(sp, g);
  };
  return queue(env, run, [S](Napi::Env e) { return Napi::Number::New(e, S->loss); }, pins);
}

// Bench helpers: plain streaming read of a Float32Array with `threads` threads, and the FMA peak.
Napi::Value BenchStream(const Napi::CallbackInfo& info) {
  Napi::Object o = obj_arg(info, 0);
  std::vector<Napi::Value> pins;
  size_t n = count(o, "n");
  const float* x = typed<float>(o, "data", n, false, napi_float32_array, pins);
  int threads = threads_of(o);
  auto secs = std::make_shared<double>(0);
  auto sink = std::make_shared<float>(0);
  return queue(
      info.Env(),
      [=] {
        std::vector<float> part(static_cast<size_t>(threads));
        auto t0 = std::chrono::steady_clock::now();
        parallel_run(threads, [&](int t) {
          size_t b, e;
          split_range(n, threads, t, 1024, b, e);
          part[static_cast<size_t>(t)] = active_kernels().stream_read(x + b, e - b);
        });
        *secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        for (float v : part) *sink += v;
      },
      [secs, sink](Napi::Env env) {
        Napi::Object r = Napi::Object::New(env);
        r.Set("seconds", *secs);
        r.Set("sink", *sink);
        return r;
      },
      pins);
}

Napi::Value BenchPeak(const Napi::CallbackInfo& info) {
  Napi::Object o = obj_arg(info, 0);
  size_t iters = count(o, "iters");
  int threads = threads_of(o);
  // optional kernel family for the peak ("avx2" is the reference the bench divides by)
  const Kernels* K = &active_kernels();
  Napi::Value kv = o.Get("kernel");
  if (kv.IsString()) {
    std::string name = kv.As<Napi::String>().Utf8Value();
    if (name == "avx2" && avx2_kernels()) K = avx2_kernels();
    else if (name == "avx512" && avx512_kernels()) K = avx512_kernels();
    else if (name == "scalar") K = &scalar_kernels();
    else if (name != active_kernels().name) fail(info.Env(), "benchPeak: kernel family not available: " + name);
  }
  auto res = std::make_shared<std::pair<double, double>>(0, 0);
  return queue(
      info.Env(),
      [=] {
        std::vector<double> flops(static_cast<size_t>(threads));
        std::vector<float> sink(static_cast<size_t>(threads));
        auto t0 = std::chrono::steady_clock::now();
        parallel_run(threads, [&](int t) {
          flops[static_cast<size_t>(t)] = K->peak_fma(iters, &sink[static_cast<size_t>(t)]);
        });
        res->second = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        for (double f : flops) res->first += f;
      },
      [res](Napi::Env env) {
        Napi::Object r = Napi::Object::New(env);
        r.Set("flops", res->first);
        r.Set("seconds", res->second);
        return r;
      },
      {});
}

// Static-model pooling (native/train/sparse.h). Common CSR arguments: n, off (Int32 n+1), ids (Int32),
// w (Float32, optional), rows, dim.
sparse::Csr csr_of(Napi::Object o, std::vector<Napi::Value>& pins) {
  sparse::Csr x;
  x.n = count(o, "n");
  x.off = typed<int32_t>(o, "off", x.n + 1, false, napi_int32_array, pins);
  if (x.off[0] != 0 || x.off[x.n] < 0) fail(o.Env(), "off must start at 0 and end at a non-negative count");
  const size_t nnz = static_cast<size_t>(x.off[x.n]);
  x.ids = typed<int32_t>(o, "ids", nnz, false, napi_int32_array, pins);
  x.w = typed<float>(o, "w", nnz, true, napi_float32_array, pins);
  return x;
}

Napi::Value PoolForward(const Napi::CallbackInfo& info) {
  Napi::Object o = obj_arg(info, 0);
  std::vector<Napi::Value> pins;
  sparse::Csr x = csr_of(o, pins);
  size_t rows = count(o, "rows"), dim = count(o, "dim");
  if (dim == 0) fail(info.Env(), "dim must be positive");
  const bool i8 = flag(o, "int8", false);
  const float* tf = i8 ? nullptr : typed<float>(o, "table", rows * dim, false, napi_float32_array, pins);
  const int8_t* ti = i8 ? typed<int8_t>(o, "table", rows * dim, false, napi_int8_array, pins) : nullptr;
  const float* sc = i8 ? typed<float>(o, "scales", rows, false, napi_float32_array, pins) : nullptr;
  float* out = typed<float>(o, "out", x.n * dim, false, napi_float32_array, pins);
  const bool normalize = flag(o, "normalize", false);
  int threads = threads_of(o);
  return queue(info.Env(), [=] { sparse::pool_forward(x, tf, ti, sc, rows, dim, normalize, out, threads); },
               [](Napi::Env env) { return env.Undefined(); }, pins);
}

Napi::Value PoolBackward(const Napi::CallbackInfo& info) {
  Napi::Object o = obj_arg(info, 0);
  std::vector<Napi::Value> pins;
  sparse::Csr x = csr_of(o, pins);
  size_t rows = count(o, "rows"), dim = count(o, "dim");
  if (dim == 0) fail(info.Env(), "dim must be positive");
  const float* g = typed<float>(o, "grad", x.n * dim, false, napi_float32_array, pins);
  int threads = threads_of(o);
  if (!o.Get("gradTable").IsUndefined()) {
    float* gt = typed<float>(o, "gradTable", rows * dim, false, napi_float32_array, pins);
    return queue(info.Env(), [=] { sparse::pool_backward_dense(x, g, rows, dim, gt, threads); },
                 [](Napi::Env env) { return env.Undefined(); }, pins);
  }
  float* table = typed<float>(o, "table", rows * dim, false, napi_float32_array, pins);
  float* m = typed<float>(o, "m", rows * dim, false, napi_float32_array, pins);
  float* v = typed<float>(o, "v", rows * dim, false, napi_float32_array, pins);
  int32_t* slot = typed<int32_t>(o, "slot", rows, false, napi_int32_array, pins);
  sparse::AdamParams p;
  p.lr = static_cast<float>(num(o, "lr"));
  p.beta1 = static_cast<float>(num(o, "beta1"));
  p.beta2 = static_cast<float>(num(o, "beta2"));
  p.eps = static_cast<float>(num(o, "eps"));
  p.step = num(o, "step");
  if (p.step < 1) fail(info.Env(), "step must be >= 1");
  auto touched = std::make_shared<size_t>(0);
  return queue(info.Env(), [=] { *touched = sparse::pool_backward_adam(x, g, rows, dim, table, m, v, slot, p, threads); },
               [touched](Napi::Env env) { return Napi::Number::New(env, static_cast<double>(*touched)); }, pins);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setKernel", Napi::Function::New(env, SetKernel));
  exports.Set("scratch", Napi::Function::New(env, Scratch));
  exports.Set("encode", Napi::Function::New(env, Encode));
  exports.Set("search", Napi::Function::New(env, Search));
  exports.Set("contrastive", Napi::Function::New(env, Contrastive));
  exports.Set("poolForward", Napi::Function::New(env, PoolForward));
  exports.Set("poolBackward", Napi::Function::New(env, PoolBackward));
  exports.Set("benchStream", Napi::Function::New(env, BenchStream));
  exports.Set("benchPeak", Napi::Function::New(env, BenchPeak));
  register_analyze(env, exports);
  register_cuda(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tamsaek, Init)
