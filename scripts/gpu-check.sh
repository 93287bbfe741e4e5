#!/usr/bin/env bash
# npm run gpu-check: everything that needs an NVIDIA GPU, in one run (< 8 minutes), on any machine with a
# GPU, its driver, the CUDA toolkit (nvcc) and this checkout after `npm install` (no network needed here).
#
#  1. builds the addon with cmake-js (npm run build:native) and lists its CUDA images (sm_80..sm_90 + PTX)
#  2. prints `tamsaek info` (CPU kernels, CUDA devices)
#  3. runs the GPU tests against the CPU kernels (TAMSAEK_REQUIRE_GPU=1: a skipped GPU test fails), the
#     recurrence tests and the native suites against the CUDA-built addon
#  4. runs `npm run bench -- cuda` (results in bench/cuda-results.json)
#  5. embeds and reranks with the synthetic XLM-R-large models on onnxruntime's CUDA provider
#     (scripts/gpu-models.mjs: prints why and passes when onnxruntime-node's CUDA provider is not installed)
#  6. prints a summary with the issue's targets; exits non-zero when a step failed or a target was missed
set -uo pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s)
LOG=.tmp/gpu-check
mkdir -p "$LOG"
declare -a SUMMARY
FAILED=0

step() { # name, timeout seconds, command...
  local name=$1 limit=$2
  shift 2
  local t=$(date +%s)
  echo "==> $name"
  if timeout "$limit" "$@" > >(tee "$LOG/$name.log") 2>&1; then
    SUMMARY+=("ok    $name ($(($(date +%s) - t)) s)")
  else
    SUMMARY+=("FAIL  $name ($(($(date +%s) - t)) s, log $LOG/$name.log)")
    FAILED=1
  fi
}

command -v nvcc >/dev/null || { echo "gpu-check: nvcc not found (install the CUDA toolkit or put it on PATH)"; exit 2; }
[ -d node_modules/cmake-js ] || { echo "gpu-check: run npm install first (node_modules/cmake-js is missing)"; exit 2; }
command -v nvidia-smi >/dev/null && nvidia-smi -L

step build-ts 120 npm run build --silent
step build-native 300 npm run build:native
step archs 30 node scripts/list-fatbin.mjs build-cmake/Release/tamsaek.node --require 80,86,89,90
step info 30 node dist/cli/main.js info
step gpu-tests 240 env TAMSAEK_REQUIRE_GPU=1 node --test test/cuda-device.test.mjs test/cuda-recurrence.test.mjs \
  test/native-search.test.mjs test/native-flat.test.mjs test/native-loss.test.mjs
rm -f bench/cuda-results.json
step bench 300 npm run bench --silent -- cuda --out bench/cuda-results.json
step onnx-models 300 node scripts/gpu-models.mjs --out bench/gpu-models-results.json
[ -f bench/cuda-results.json ] || { SUMMARY+=("FAIL  bench wrote no results (suite skipped?)"); FAILED=1; }

echo
echo "gpu-check summary ($(($(date +%s) - T0)) s):"
printf '  %s\n' "${SUMMARY[@]}"
if [ -f bench/cuda-results.json ]; then
  node -e '
    const r = require("./bench/cuda-results.json").results;
    const v = (n) => r.find((x) => x.name === n)?.value;
    const targets = [["cuda_topk_vs_copy_bandwidth", "<=", 1.3], ["cuda_fused_vs_gemm_then_select", ">=", 1.5], ["cuda_batched_fraction_of_tensor_peak", ">=", 0.6]];
    let miss = 0;
    for (const x of r) console.log(`  ${x.name.padEnd(40)} ${String(x.value).padStart(10)} ${x.unit}`);
    for (const [n, op, t] of targets) {
      const x = v(n);
      const ok = x !== undefined && (op === "<=" ? x <= t : x >= t);
      if (!ok) miss++;
      console.log(`  target ${n} ${op} ${t}: ${x === undefined ? "not measured" : x} ${ok ? "ok" : "MISSED"}`);
    }
    process.exitCode = miss ? 1 : 0;
  ' || FAILED=1
fi
exit $FAILED
