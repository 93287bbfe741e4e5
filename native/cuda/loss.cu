// Contrastive losses on the GPU (InfoNCE / MNRL, symmetric, GISTEmbed; the cached step gathers its
// chunks on upload): the same loss::Spec, semantics and results as the CPU engine
// (native/loss/contrastive.h), organised for a GPU.
//
// Rows are processed in strips of RS rows. For a strip, every block's score tile scale * r^.c^ (and the
// guide similarity, for masked blocks) is computed by a tiled SIMT fp32 GEMM into one RS x W strip
// (W = the problem's concatenated columns); masks are applied with score.h's gist_masked; a warp per
// row folds the row into an online log-sum-exp (lse.h) and rewrites it in place as
// g = weight/B * scale * (softmax - onehot); two more GEMMs push g into dR (strip rows) and dC (all
// candidates). Memory beyond the inputs and gradients is the strip (RS x W) and one guide tile,
// O(RS x batch), with RS chosen to keep it under half the embeddings' bytes. fp32 throughout, so the
// results match the CPU kernels to fp32 rounding (the GPU tests state the tolerance).
#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "common.cuh"
#include "lse.h"
#include "score.h"

namespace tamsaek {
namespace cuda {
namespace {

// ---- tiled fp32 GEMM with strided operands:
//   C[i*ldc + j] (+)= sum_p A[i*as0 + p*as1] * ks[p] * B[p*bs0 + j*bs1]   (ks optional)
struct Gemm {
  int M, N, K;
  const float* A;
  long long as0, as1;
  const float* B;
  long long bs0, bs1;
  const float* ks;
  float* C;
  long long ldc;
  bool accumulate;  // C += (else C =)
};

constexpr int TM = 64, TN = 64, TK = 16, kGemmThreads = 256;

__device__ __forceinline__ void gemm_load(const Gemm& g, float (*As)[TM + 4], float (*Bs)[TN + 4], int i0, int j0, int p0) {
  const int t = threadIdx.x;
  const bool a_p_fast = g.as1 == 1, b_j_fast = g.bs1 == 1;
#pragma unroll
  for (int e = 0; e < (TM * TK) / kGemmThreads; ++e) {
    const int idx = t + e * kGemmThreads;
    const int p = a_p_fast ? idx % TK : idx / TM, i = a_p_fast ? idx / TK : idx % TM;
    float v = 0.0f;
    if (i0 + i < g.M && p0 + p < g.K) {
      v = g.A[(i0 + i) * g.as0 + static_cast<long long>(p0 + p) * g.as1];
      if (g.ks) v *= g.ks[p0 + p];
    }
    As[p][i] = v;
  }
#pragma unroll
  for (int e = 0; e < (TN * TK) / kGemmThreads; ++e) {
    const int idx = t + e * kGemmThreads;
    const int j = b_j_fast ? idx % TN : idx / TK, p = b_j_fast ? idx / TN : idx % TK;
    Bs[p][j] = (j0 + j < g.N && p0 + p < g.K) ? g.B[static_cast<long long>(p0 + p) * g.bs0 + (j0 + j) * g.bs1] : 0.0f;
  }
}

__global__ void __launch_bounds__(kGemmThreads) gemm_kernel(Gemm g, int k_per_split) {
  __shared__ __align__(16) float As[TK][TM + 4];
  __shared__ __align__(16) float Bs[TK][TN + 4];
  const int i0 = blockIdx.y * TM, j0 = blockIdx.x * TN;
  const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;
  const int k_begin = blockIdx.z * k_per_split, k_end = min(g.K, k_begin + k_per_split);
  float acc[4][4] = {};
  for (int p0 = k_begin; p0 < k_end; p0 += TK) {
    __syncthreads();
    Gemm gs = g;
    gs.K = k_end;  // zero past this split's range
    gemm_load(gs, As, Bs, i0, j0, p0);
    __syncthreads();
#pragma unroll
    for (int p = 0; p < TK; ++p) {
      const float4 a = *reinterpret_cast<const float4*>(&As[p][ty * 4]);
      const float4 b = *reinterpret_cast<const float4*>(&Bs[p][tx * 4]);
      const float av[4] = {a.x, a.y, a.z, a.w}, bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
      for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[r][c] = fmaf(av[r], bv[c], acc[r][c]);
    }
  }
  const bool split = gridDim.z > 1;
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    const int i = i0 + ty * 4 + r;
    if (i >= g.M) continue;
#pragma unroll
    for (int c = 0; c < 4; ++c) {
      const int j = j0 + tx * 4 + c;
      if (j >= g.N) continue;
      float* out = g.C + i * g.ldc + j;
      if (split) atomicAdd(out, acc[r][c]);
      else *out = g.accumulate ? *out + acc[r][c] : acc[r][c];
    }
  }
}

void gemm(const Gemm& g, cudaStream_t st) {
  if (g.M == 0 || g.N == 0) return;
  const int mt = (g.M + TM - 1) / TM, nt = (g.N + TN - 1) / TN;
  // split a deep, narrow product (dR of a strip) over K so that every SM has work; split partials add
  // atomically, so they need an accumulating C
  int splits = 1;
  if (g.accumulate) {
    const int want = (2 * device_props().multiProcessorCount + mt * nt - 1) / (mt * nt);
    splits = std::max(1, std::min(want, g.K / 256));
  }
  const int kps = ((g.K + splits - 1) / splits + TK - 1) / TK * TK;
  splits = (g.K + kps - 1) / kps;
  gemm_kernel<<<dim3(nt, mt, std::max(1, splits)), kGemmThreads, 0, st>>>(g, kps);
  check_launch("gemm_kernel");
}

// ---- element and row kernels
__global__ void inv_norms_kernel(const float* x, size_t n, size_t dim, bool cosine, float* out) {
  const size_t row = blockIdx.x * static_cast<size_t>(blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= n) return;
  float s = 0.0f;
  for (size_t t = lane; t < dim; t += 32) s = fmaf(x[row * dim + t], x[row * dim + t], s);
  s = warp_sum(s);
  if (lane == 0) out[row] = !cosine ? 1.0f : s > 0.0f ? 1.0f / sqrtf(s) : 0.0f;
}

struct Finish {
  float* S;            // strip, row stride W, this block's columns start at S
  long long W;
  int rows, cols, r0;  // strip rows, block columns, first strip row (global index)
  float scale;
  const float *ir, *ic;               // inverse norms of the block's rows (global index) and columns
  bool masked, protect_diag;
  const float* guide_tile;            // rows x cols guide dots (guide embeddings), or null
  const float *gir, *gic;             // guide inverse norms
  const float* guide_matrix;          // explicit guide similarities (global rows x cols), or null
  long long gld;
  const float* thr;                   // per-row thresholds (global index)
};

__global__ void finish_kernel(Finish f) {
  const long long idx = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x;
  if (idx >= static_cast<long long>(f.rows) * f.cols) return;
  const int r = static_cast<int>(idx / f.cols), j = static_cast<int>(idx % f.cols), i = f.r0 + r;
  float* s = f.S + r * f.W + j;
  float v = f.scale * f.ir[i] * f.ic[j] * *s;
  if (f.masked) {
    const float g = f.guide_matrix ? f.guide_matrix[i * f.gld + j] : f.guide_tile[idx] * f.gir[i] * f.gic[j];
    if (rec::gist_masked(g, f.thr[i], f.protect_diag && i == j)) v = rec::neg_inf();
  }
  *s = v;
}

// One warp per strip row: online log-sum-exp over the whole row, the row's loss, then the row
// rewritten as g = fr * softmax - fr * onehot(label).
__global__ void rows_kernel(float* S, long long W, int rows, int r0, float fr, float* loss_rows) {
  const int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (r >= rows) return;
  float* row = S + r * W;
  const int label = r0 + r;  // column i of block 0
  rec::Lse st = rec::lse_empty();
  for (long long j = lane; j < W; j += 32) rec::lse_push(st, row[j]);
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    rec::Lse other{__shfl_xor_sync(0xffffffffu, st.m, o), __shfl_xor_sync(0xffffffffu, st.s, o)};
    st = rec::lse_merge(st, other);
  }
  const float lse = rec::lse_value(st);
  const float lab = row[label];
  __syncwarp();
  if (lane == 0) loss_rows[label] = lse - lab;
  for (long long j = lane; j < W; j += 32) {
    const float g = fr * expf(row[j] - lse);  // expf(-inf) = 0 for masked entries
    row[j] = j == label ? g - fr : g;
  }
}

// dx = (dx^ - x^ (x^ . dx^)) / |x|, with dx^ accumulated in g.
__global__ void normalize_back_kernel(const float* x, float* g, const float* inv, size_t n, size_t dim) {
  const size_t row = blockIdx.x * static_cast<size_t>(blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= n) return;
  float d = 0.0f;
  for (size_t t = lane; t < dim; t += 32) d = fmaf(x[row * dim + t], g[row * dim + t], d);
  d = warp_sum(d);
  const float iv = inv[row], proj = iv * iv * d;
  for (size_t t = lane; t < dim; t += 32) g[row * dim + t] = (g[row * dim + t] - x[row * dim + t] * proj) * iv;
}

unsigned warps_grid(size_t rows) { return static_cast<unsigned>((rows + 7) / 8); }

// ---- host orchestration
struct Resident {
  DeviceBuffer<float> emb[3], guide[3], inv[3], ginv[3], grad[3], thr;
  std::map<const float*, std::unique_ptr<DeviceBuffer<float>>> matrices;  // explicit guide matrices
};

void upload_inputs(const loss::Spec& sp, size_t B, Resident& d, cudaStream_t st) {
  for (int m = 0; m < 3; ++m) {
    if (!sp.emb[m]) continue;
    const size_t n = sp.rows[m];
    d.emb[m].reset(n * sp.dim, st);
    upload(d.emb[m].get(), sp.emb[m], n * sp.dim * 4, st);
    d.inv[m].reset(n, st);
    inv_norms_kernel<<<warps_grid(n), 256, 0, st>>>(d.emb[m].get(), n, sp.dim, sp.cosine, d.inv[m].get());
    check_launch("inv_norms_kernel");
    d.grad[m].reset(n * sp.dim, st);
    check(cudaMemsetAsync(d.grad[m].get(), 0, n * sp.dim * 4, st), "cudaMemsetAsync");
    if (sp.guide[m] && sp.guide_dim) {
      d.guide[m].reset(n * sp.guide_dim, st);
      upload(d.guide[m].get(), sp.guide[m], n * sp.guide_dim * 4, st);
      d.ginv[m].reset(n, st);
      inv_norms_kernel<<<warps_grid(n), 256, 0, st>>>(d.guide[m].get(), n, sp.guide_dim, true, d.ginv[m].get());
      check_launch("inv_norms_kernel");
    }
  }
  if (sp.mask_threshold) {
    d.thr.reset(B, st);
    upload(d.thr.get(), sp.mask_threshold, B * 4, st);
  }
  for (const auto& pr : sp.problems)
    for (const auto& bl : pr.blocks)
      if (bl.masked && bl.guide_matrix && !d.matrices.count(bl.guide_matrix)) {
        const size_t len = B * sp.rows[bl.col];
        auto buf = std::make_unique<DeviceBuffer<float>>(len, st);
        upload(buf->get(), bl.guide_matrix, len * 4, st);
        d.matrices[bl.guide_matrix] = std::move(buf);
      }
}

struct Strip {
  float* S;        // RS x W
  float* Gt;       // RS x (widest masked block) guide dots
  size_t rows, r0, W;
};

// Scores (and masks) of every block of one problem for one strip of rows.
void strip_scores(const loss::Spec& sp, const loss::Problem& pr, Resident& d, const Strip& s, cudaStream_t st) {
  size_t off = 0;
  const int rs = static_cast<int>(s.rows);
  for (const auto& bl : pr.blocks) {
    const int nb = static_cast<int>(sp.rows[bl.col]);
    const long long dim = static_cast<long long>(sp.dim);
    const float* R = d.emb[bl.row].get() + s.r0 * sp.dim;
    gemm(Gemm{rs, nb, static_cast<int>(sp.dim), R, dim, 1, d.emb[bl.col].get(), 1, dim, nullptr, s.S + off,
              static_cast<long long>(s.W), false}, st);
    const bool guided = bl.masked && !bl.guide_matrix;
    if (guided) {
      const long long gd = static_cast<long long>(sp.guide_dim);
      gemm(Gemm{rs, nb, static_cast<int>(sp.guide_dim), d.guide[bl.guide_row].get() + s.r0 * sp.guide_dim, gd, 1,
                d.guide[bl.guide_col].get(), 1, gd, nullptr, s.Gt, nb, false}, st);
    }
    Finish f{s.S + off, static_cast<long long>(s.W), rs, nb, static_cast<int>(s.r0), sp.scale, d.inv[bl.row].get(),
             d.inv[bl.col].get(), bl.masked, bl.protect_diag, guided ? s.Gt : nullptr,
             guided ? d.ginv[bl.guide_row].get() : nullptr, guided ? d.ginv[bl.guide_col].get() : nullptr,
             bl.guide_matrix ? d.matrices.at(bl.guide_matrix)->get() : nullptr, nb, d.thr.get()};
    const long long total = static_cast<long long>(rs) * nb;
    finish_kernel<<<static_cast<unsigned>((total + 255) / 256), 256, 0, st>>>(f);
    check_launch("finish_kernel");
    off += nb;
  }
}

// Gradients of one strip: dR_strip += G_b diag(ic) C_b, dC_b += G_b^T diag(ir) R_strip for every block.
void strip_gradients(const loss::Spec& sp, const loss::Problem& pr, Resident& d, const Strip& s, cudaStream_t st) {
  size_t off = 0;
  const int rs = static_cast<int>(s.rows), dim = static_cast<int>(sp.dim);
  const long long W = static_cast<long long>(s.W);
  for (const auto& bl : pr.blocks) {
    const int nb = static_cast<int>(sp.rows[bl.col]);
    const float* G = s.S + off;
    const float* R = d.emb[bl.row].get() + s.r0 * sp.dim;
    gemm(Gemm{rs, dim, nb, G, W, 1, d.emb[bl.col].get(), dim, 1, d.inv[bl.col].get(), d.grad[bl.row].get() + s.r0 * sp.dim,
              dim, true}, st);
    gemm(Gemm{nb, dim, rs, G, 1, W, R, dim, 1, d.inv[bl.row].get() + s.r0, d.grad[bl.col].get(), dim, true}, st);
    off += nb;
  }
}

size_t strip_rows(size_t B, size_t widest_row, size_t emb_bytes) {
  // TAMSAEK_CUDA_LOSS_STRIP fixes the strip height (tests use it to cover several strips on small batches)
  if (const char* env = getenv("TAMSAEK_CUDA_LOSS_STRIP")) {
    const long v = strtol(env, nullptr, 10);
    if (v > 0) return std::min(static_cast<size_t>(v), B);
  }
  const size_t budget = std::max<size_t>(size_t(16) << 20, emb_bytes / 2);
  size_t rs = budget / (widest_row * 4);
  rs = std::max<size_t>(64, rs / 64 * 64);
  return std::min(rs, B);
}

std::mutex g_stats_mu;
LossStats g_last_stats;

}  // namespace

LossStats last_loss_stats() {
  std::lock_guard<std::mutex> lock(g_stats_mu);
  return g_last_stats;
}

double contrastive(const loss::Spec& sp, float* grad[3], LossStats* stats_out) {
  LossStats local;
  LossStats* stats = stats_out ? stats_out : &local;
  ensure_device();
  if (sp.problems.empty()) throw std::invalid_argument("no problems");
  const size_t B = sp.rows[sp.problems[0].blocks.at(0).row];
  size_t emb_bytes = 0, widest = 0, widest_guided = 0;
  for (int m = 0; m < 3; ++m)
    if (sp.emb[m]) emb_bytes += sp.rows[m] * sp.dim * 4;
  for (const auto& pr : sp.problems) {
    size_t W = 0;
    for (const auto& bl : pr.blocks) {
      if (!sp.emb[bl.row] || !sp.emb[bl.col]) throw std::invalid_argument("block references a missing matrix");
      if (sp.rows[bl.row] != B) throw std::invalid_argument("row matrices must all have B rows");
      W += sp.rows[bl.col];
      if (bl.masked && !bl.guide_matrix) widest_guided = std::max(widest_guided, sp.rows[bl.col]);
    }
    widest = std::max(widest, W);
  }
  cudaStream_t st = thread_stream();
  cudaEvent_t t0, t1;
  check(cudaEventCreate(&t0), "cudaEventCreate");
  check(cudaEventCreate(&t1), "cudaEventCreate");
  check(cudaEventRecord(t0, st), "cudaEventRecord");
  Resident d;
  upload_inputs(sp, B, d, st);
  const size_t RS = strip_rows(B, widest + widest_guided, emb_bytes);
  DeviceBuffer<float> S(RS * widest, st), Gt(RS * widest_guided, st), loss_rows(B * sp.problems.size(), st);
  for (size_t p = 0; p < sp.problems.size(); ++p) {
    const loss::Problem& pr = sp.problems[p];
    size_t W = 0;
    for (const auto& bl : pr.blocks) W += sp.rows[bl.col];
    const float fr = static_cast<float>(sp.scale * pr.weight / static_cast<double>(B));
    for (size_t r0 = 0; r0 < B; r0 += RS) {
      Strip s{S.get(), Gt.get(), std::min(RS, B - r0), r0, W};
      strip_scores(sp, pr, d, s, st);
      rows_kernel<<<warps_grid(s.rows), 256, 0, st>>>(s.S, static_cast<long long>(W), static_cast<int>(s.rows),
                                                     static_cast<int>(r0), fr, loss_rows.get() + p * B);
      check_launch("rows_kernel");
      strip_gradients(sp, pr, d, s, st);
    }
  }
  for (int m = 0; m < 3; ++m) {
    if (!sp.emb[m] || !grad[m]) continue;
    if (sp.cosine) {
      normalize_back_kernel<<<warps_grid(sp.rows[m]), 256, 0, st>>>(d.emb[m].get(), d.grad[m].get(), d.inv[m].get(),
                                                                   sp.rows[m], sp.dim);
      check_launch("normalize_back_kernel");
    }
  }
  check(cudaEventRecord(t1, st), "cudaEventRecord");
  std::vector<float> rows(B * sp.problems.size());
  download(rows.data(), loss_rows.get(), rows.size() * 4, st);
  for (int m = 0; m < 3; ++m)
    if (sp.emb[m] && grad[m]) download(grad[m], d.grad[m].get(), sp.rows[m] * sp.dim * 4, st);
  double total = 0;
  for (size_t p = 0; p < sp.problems.size(); ++p) {
    double sum = 0;
    for (size_t i = 0; i < B; ++i) sum += rows[p * B + i];
    total += sp.problems[p].weight * sum / static_cast<double>(B);
  }
  if (stats) {
    float ms = 0;
    check(cudaEventElapsedTime(&ms, t0, t1), "cudaEventElapsedTime");
    stats->device_seconds = ms / 1e3;
    size_t extra = S.bytes() + Gt.bytes() + loss_rows.bytes() + d.thr.bytes();
    for (int m = 0; m < 3; ++m) extra += d.inv[m].bytes() + d.ginv[m].bytes();
    stats->extra_device_bytes = static_cast<double>(extra);
    std::lock_guard<std::mutex> lock(g_stats_mu);
    g_last_stats = *stats;
  }
  cudaEventDestroy(t0);
  cudaEventDestroy(t1);
  return total;
}

}  // namespace cuda
}  // namespace tamsaek
