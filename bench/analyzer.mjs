// Korean analyzer suite: ko-mecab (the addon's MeCab-compatible lattice on mecab-ko-dic) against
// ko-morph (lindera wasm) on the same texts in the same run, so a busy shared machine moves both.
//
//   node bench/analyzer.mjs [--out f.json] [--tiny]
//   npm run bench -- analyzer --out f.json      (through bench/run.mjs)
//
// Texts: sentences of 20-40 characters from the shared corpora (bench/lib/sentences.mjs), the
// autorag-ko pages whole; datasets/sample-ko when the shared datasets are absent (the notes say so).
// Dictionary load and resident memory are measured in a fresh child process per analyzer.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusFiles, sampleSentences } from './lib/sentences.mjs';
import { isMain, parseSuiteCli, runStandalone } from './lib/standalone.mjs';
import { gc, median, nowMs, sig } from './lib/stats.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(REPO, 'dist/index.js');
const ANALYZERS = ['ko-mecab', 'ko-morph'];

const SIZES = {
  full: {
    sample: 20000,
    minRepMs: 400,
    reps: { 'ko-mecab': 5, 'ko-morph': 3 },
    pageReps: { 'ko-mecab': 5, 'ko-morph': 2 },
  },
  tiny: {
    sample: 400,
    minRepMs: 20,
    reps: { 'ko-mecab': 2, 'ko-morph': 1 },
    pageReps: { 'ko-mecab': 1, 'ko-morph': 1 },
  },
};

export async function available() {
  if (!existsSync(DIST)) return 'dist/ is not built (npx tsc -p .)';
  const { nativeAvailable } = await import('../dist/native/index.js');
  if (!nativeAvailable()) return 'the native addon is not built (npm install)';
  const { mecabKoDicDir } = await import(DIST);
  try {
    if (!existsSync(path.join(mecabKoDicDir(), 'sys.dic'))) return 'mecab-ko-dic has no sys.dic';
  } catch (e) {
    return e.message;
  }
  return true;
}

/** Median over reps of (work units / seconds), wall clock and process CPU time; each rep ≥ minRepMs. */
function rate(pass, units, reps, minRepMs) {
  const wall = [];
  const cpu = [];
  for (let r = 0; r < reps; r++) {
    gc();
    let passes = 0;
    const c0 = process.cpuUsage();
    const t0 = nowMs();
    let elapsed = 0;
    do {
      pass();
      passes++;
      elapsed = nowMs() - t0;
    } while (elapsed < minRepMs);
    const c = process.cpuUsage(c0);
    wall.push((units * passes) / (elapsed / 1000));
    cpu.push((units * passes) / ((c.user + c.system) / 1e6));
  }
  return { wall: median(wall), cpu: median(cpu) };
}

function pages(files) {
  const autorag = files.find((f) => f.includes('autorag-ko')) ?? files[0];
  return readFileSync(autorag, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l))
    .map((d) => ({ id: d._id, text: d.title ? `${d.title} ${d.text}` : d.text }));
}

/** Load time and resident memory of one analyzer, in a fresh process: before, after the first text, after all pages. */
function memoryProbe(name, pagesFile) {
  const script = `
    const { createAnalyzer, koMecabStatus, koDicStatus } = await import(${JSON.stringify(DIST)});
    const { readFileSync } = await import('node:fs');
    const docs = readFileSync(${JSON.stringify(pagesFile)}, 'utf8').split('\\n').filter(Boolean).map((l) => JSON.parse(l).text);
    const a = createAnalyzer(${JSON.stringify(name)});
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    a.analyze('가');
    const firstMs = performance.now() - t0;
    const rss1 = process.memoryUsage().rss;
    for (const d of docs) a.analyze(d);
    const rss2 = process.memoryUsage().rss;
    const s = ${JSON.stringify(name)} === 'ko-mecab' ? koMecabStatus() : koDicStatus();
    console.log(JSON.stringify({ firstMs, loadMs: s.loadMs, rssLoad: rss1 - rss0, rssPages: rss2 - rss0 }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`memory probe of ${name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function sentenceRates(tamsaek, sentences, size, results) {
  const chars = sentences.reduce((n, s) => n + s.length, 0);
  const out = {};
  for (const name of ANALYZERS) {
    const a = tamsaek.createAnalyzer(name);
    for (const s of sentences) a.analyze(s); // load + JIT warm-up
    out[name] = rate(
      () => {
        for (const s of sentences) a.analyze(s);
      },
      sentences.length,
      size.reps[name],
      size.minRepMs,
    );
    results.push({ name: `analyzer_sentences_per_s.${name}`, value: sig(out[name].wall, 4), unit: 'sentences/s' });
    results.push({
      name: `analyzer_sentences_per_cpu_s.${name}`,
      value: sig(out[name].cpu, 4),
      unit: 'sentences/cpu-s',
    });
  }
  results.push({
    name: 'analyzer_speedup_vs_ko_morph',
    value: sig(out['ko-mecab'].wall / out['ko-morph'].wall, 3),
    unit: 'x',
  });
  results.push({
    name: 'analyzer_speedup_vs_ko_morph.cpu',
    value: sig(out['ko-mecab'].cpu / out['ko-morph'].cpu, 3),
    unit: 'x',
  });
  return chars / sentences.length;
}

async function pageRates(tamsaek, docs, size, results) {
  const texts = docs.map((d) => d.text);
  const mb = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0) / 1e6;
  for (const name of ANALYZERS) {
    const a = tamsaek.createAnalyzer(name);
    const r = rate(
      () => {
        for (const t of texts) a.analyze(t);
      },
      mb,
      size.pageReps[name],
      size.minRepMs,
    );
    results.push({ name: `analyzer_pages_mb_per_s.${name}`, value: sig(r.wall, 3), unit: 'MB/s' });
    results.push({ name: `analyzer_pages_mb_per_cpu_s.${name}`, value: sig(r.cpu, 3), unit: 'MB/cpu-s' });
  }
  // the worker-thread path: every hardware thread, the JS thread free meanwhile
  const a = tamsaek.createAnalyzer('ko-mecab');
  const walls = [];
  for (let r = 0; r < size.pageReps['ko-mecab']; r++) {
    const t0 = nowMs();
    await a.analyzeAsync(texts);
    walls.push(mb / ((nowMs() - t0) / 1000));
  }
  results.push({ name: 'analyzer_batch_async_pages_mb_per_s.ko-mecab', value: sig(median(walls), 3), unit: 'MB/s' });
  return mb;
}

function indexRates(tamsaek, docs, size, results) {
  const out = {};
  for (const name of ANALYZERS) {
    tamsaek.createAnalyzer(name).analyze('가'); // the dictionary load is measured apart
    const times = [];
    for (let r = 0; r < size.pageReps[name]; r++) {
      gc();
      const t0 = nowMs();
      const index = new tamsaek.Bm25Index({ analyzer: name });
      index.addMany(docs.map((d) => ({ id: d.id, doc: d.text })));
      index.stats();
      times.push(nowMs() - t0);
    }
    out[name] = docs.length / (median(times) / 1000);
    results.push({ name: `index_korean_docs_per_s.${name}`, value: sig(out[name], 4), unit: 'docs/s' });
  }
  results.push({
    name: 'index_korean_speedup_vs_ko_morph',
    value: sig(out['ko-mecab'] / out['ko-morph'], 3),
    unit: 'x',
  });
}

export async function run(options = {}) {
  const size = options.tiny ? SIZES.tiny : SIZES.full;
  const log = options.log ?? (() => {});
  const tamsaek = await import(DIST);
  const { files, fallback, root } = corpusFiles();
  const notes = [];
  if (fallback)
    notes.push(`shared corpora not found under ${root}: measured on datasets/sample-ko (set TAMSAEK_DATASETS)`);
  const { sentences: sample } = sampleSentences(files, size.sample);
  const sentences = sample.filter((s) => s.length >= 20 && s.length <= 40);
  const results = [];
  log(`${sentences.length} sentences of 20-40 chars`);
  const avg = sentenceRates(tamsaek, sentences, size, results);
  const docs = pages(files);
  log(`${docs.length} pages`);
  const mb = await pageRates(tamsaek, docs, size, results);
  indexRates(tamsaek, docs, size, results);
  const pagesFile = files.find((f) => f.includes('autorag-ko')) ?? files[0];
  for (const name of ANALYZERS) {
    const m = memoryProbe(name, pagesFile);
    const key = name.replace('-', '_');
    results.push({ name: `${key}_load_ms`, value: sig(m.loadMs, 3), unit: 'ms' });
    results.push({ name: `${key}_first_analyze_ms`, value: sig(m.firstMs, 3), unit: 'ms' });
    results.push({ name: `${key}_rss_added_mb`, value: sig(m.rssLoad / 2 ** 20, 3), unit: 'MiB' });
    results.push({ name: `${key}_rss_added_mb.after_pages`, value: sig(m.rssPages / 2 ** 20, 3), unit: 'MiB' });
  }
  notes.push(
    `${sentences.length} sentences of 20-40 characters (${sig(avg, 3)} avg) from a seeded sample of ${files
      .map((f) => f.split('/').slice(-2).join('/'))
      .join(
        ', ',
      )}; analyze() one at a time on one thread, median of ${size.reps['ko-mecab']} (ko-mecab) / ${size.reps['ko-morph']} (ko-morph) repetitions of at least ${size.minRepMs} ms`,
    `pages: the ${docs.length} ${fallback ? 'sample-ko' : 'autorag-ko'} documents (title + text), ${sig(mb, 3)} MB of UTF-8; MB/s counts UTF-8 bytes; *_per_cpu_s divide by the process CPU time instead of the wall clock (less sensitive to other processes on a shared machine)`,
    'index_korean_docs_per_s: new Bm25Index({ analyzer }) + addMany(pages) + stats(), dictionary already loaded, median of the repetitions',
    '*_load_ms: the dictionary load (ko-mecab: the addon mapping sys.dic, matrix.bin, char.bin, unk.dic; ko-morph: building the lindera wasm tokenizer); *_first_analyze_ms adds the addon/wasm load; rss_added: resident memory after the first text and after analysing all pages, over the process before it, in a fresh process',
  );
  return { results, notes };
}

function parseCli(argv) {
  return parseSuiteCli(argv, { out: 'string', tiny: 'flag' });
}

if (isMain(import.meta.url)) {
  await runStandalone('analyzer', {
    parseCli,
    available,
    run: (cli) => run({ tiny: cli.tiny, log: (...a) => console.error('[analyzer]', ...a) }),
  });
}
