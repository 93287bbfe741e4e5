#!/usr/bin/env bash
# Registers, stack and spills of every CUDA kernel for each shipped architecture (ptxas -v), as the table
# in docs/CUDA.md. Usage: bash scripts/ptxas-report.sh [archs...]   (default: 80 86 89 90)
set -euo pipefail
cd "$(dirname "$0")/../native/cuda"
archs=("${@:-80 86 89 90}")
[ $# -eq 0 ] && archs=(80 86 89 90)
for a in "${archs[@]}"; do
  for f in scan batched merge baseline loss; do
    nvcc -std=c++17 -O3 -arch="sm_$a" --expt-relaxed-constexpr -lineinfo -Xptxas -v -c "$f.cu" -o /dev/null 2>&1
  done
done | node -e '
  const lines = require("fs").readFileSync(0, "utf8").split("\n");
  const { execFileSync } = require("child_process");
  let fn, arch, stack, spill;
  for (const l of lines) {
    let m = l.match(/Compiling entry function .(\S+). for .(sm_\d+)/);
    if (m) [, fn, arch] = m;
    m = l.match(/(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads/);
    if (m) [stack, spill] = [m[1], `${m[2]}/${m[3]}`];
    m = l.match(/Used (\d+) registers/);
    if (m && fn) {
      const name = execFileSync("c++filt", [fn], { encoding: "utf8" }).trim()
        .replace(/tamsaek::cuda::\(anonymous namespace\)::/, "").replace(/\(.*\)/, "");
      console.log(`${arch}  ${name.padEnd(28)} registers ${m[1].padStart(3)}  stack ${stack}  spill stores/loads ${spill}`);
      fn = undefined;
    }
  }'
