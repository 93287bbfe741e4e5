// onnx suite: the WebAssembly fallback (onnxruntime-web, what an app gets without onnxruntime-node)
// against onnxruntime-node, on the generated models of test/fixtures/models (and any model directory
// in TAMSAEK_BENCH_ONNX_MODELS, comma-separated, e.g. the XLM-R-large-shaped random model that
// `scripts/gen-test-models.py --real-shape DIR` writes). Each measurement runs in its own process
// (TAMSAEK_ONNX_RUNTIME=node|web picks the runtime), both runtimes alternate, one ONNX thread each.
//
//   onnx_web_vs_node_time.<model>  web ms ÷ node ms for the same texts (median of the repetitions)
//   onnx_<runtime>_ms_per_text.<model>
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMain, parseSuiteCli, runStandalone } from './lib/standalone.mjs';
import { median, sig } from './lib/stats.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'models');

export async function available() {
  try {
    await import('onnxruntime-node');
    await import('onnxruntime-web');
    return true;
  } catch (e) {
    return `the onnx suite compares onnxruntime-node with onnxruntime-web and needs both: ${e.message}`;
  }
}

function texts(n) {
  const corpus = readFileSync(path.join(ROOT, 'datasets', 'sample-ko', 'corpus.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).text);
  return Array.from({ length: n }, (_, i) => `${corpus[i % corpus.length]} ${i}`);
}

// What a child process runs: load, warm up, then time `reps` passes over the texts.
const CHILD = `
const [kind, dir, n, reps] = process.argv.slice(1);
const t = await import(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
const texts = JSON.parse(process.env.TAMSAEK_BENCH_TEXTS);
const model = kind === 'rerank' ? await t.CrossEncoder.load(dir, { threads: 1, cacheSize: 0 }) : await t.OnnxEmbedder.load(dir, { threads: 1 });
const once = () => (kind === 'rerank' ? model.score('기초연금 신청', texts) : model.embed(texts, { kind: 'passage' }));
await once();
const times = [];
for (let r = 0; r < Number(reps); r++) { const t0 = performance.now(); await once(); times.push(performance.now() - t0); }
const { runtime } = await t.loadOrt();
console.log(JSON.stringify({ runtime, ms: times }));
`;

function measure(kind, dir, runtime, list, reps) {
  const out = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', CHILD, kind, dir, String(list.length), String(reps)],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TAMSAEK_ONNX_RUNTIME: runtime, TAMSAEK_BENCH_TEXTS: JSON.stringify(list) },
      maxBuffer: 16 << 20,
    },
  );
  const r = JSON.parse(out.trim().split('\n').pop());
  if (r.runtime !== runtime) throw new Error(`asked for ${runtime}, the child ran ${r.runtime}`);
  return r.ms;
}

export async function run(options = {}) {
  const log = options.log ?? ((...a) => console.error('[onnx]', ...a));
  const tiny = options.tiny === true;
  const models = [
    { name: 'tiny-xlmr', kind: 'embed', dir: path.join(FIXTURES, 'tiny-xlmr') },
    { name: 'tiny-bert', kind: 'embed', dir: path.join(FIXTURES, 'tiny-bert') },
    { name: 'tiny-reranker', kind: 'rerank', dir: path.join(FIXTURES, 'tiny-reranker') },
    ...(process.env.TAMSAEK_BENCH_ONNX_MODELS ?? '')
      .split(',')
      .filter(Boolean)
      .map((dir) => ({ name: path.basename(path.resolve(dir)), kind: 'embed', dir: path.resolve(dir) })),
  ];
  const list = texts(tiny ? 8 : 64);
  const rounds = tiny ? 1 : 3;
  const reps = tiny ? 1 : 3;
  const results = [];
  const push = (name, value, unit) => results.push({ name, value, unit });
  for (const m of models) {
    const times = { node: [], web: [] };
    for (let r = 0; r < rounds; r++) {
      for (const runtime of r % 2 ? ['web', 'node'] : ['node', 'web']) {
        times[runtime].push(...measure(m.kind, m.dir, runtime, list, reps));
      }
    }
    const node = median(times.node);
    const web = median(times.web);
    log(`${m.name}: node ${sig(node, 3)} ms, web ${sig(web, 3)} ms per ${list.length} texts (${sig(web / node, 3)}x)`);
    push(`onnx_web_vs_node_time.${m.name}`, sig(web / node, 3), 'x');
    push(`onnx_node_ms_per_text.${m.name}`, sig(node / list.length, 3), 'ms');
    push(`onnx_web_ms_per_text.${m.name}`, sig(web / list.length, 3), 'ms');
  }
  const notes = [
    `${list.length} Korean texts (datasets/sample-ko, numbered) per pass: embed(texts) for encoders, score(query, texts) for the reranker (cache off); one ONNX thread in both runtimes (onnxruntime-web runs one thread in Node); each runtime in its own process, ${rounds} processes per runtime alternating, ${reps} timed passes each after a warm-up pass; ratio of the medians. Tokenization and pooling (JavaScript) are included in both`,
  ];
  return { results, notes };
}

if (isMain(import.meta.url))
  await runStandalone('onnx', {
    parseCli: (argv) => parseSuiteCli(argv, { out: 'string', tiny: 'flag' }),
    available,
    run,
  });
