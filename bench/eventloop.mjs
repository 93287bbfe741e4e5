// eventloop suite: how long the host's event loop waits while tamsaek works (issue 19). A 5 ms
// setInterval measures the gaps (perf_hooks.monitorEventLoopDelay under-reports one long block) and a
// search is issued every 10 ms throughout; each phase reports its largest gap, the searches' p99 and
// whether every search completed.
//
//   node bench/eventloop.mjs [--docs 5000] [--huge-mb 10] [--skip-dense] [--only adapt|dense_add|bm25_add]
//        [--analyzer ko-mecab] [--out f.json]   (--analyzer applies to the --only runs)
// dense_add: an engine that already holds 5 pages (no adaptation); dense_adapt_add: the first add of the
// corpus, which adapts the default model to it first. `--only dense_add` runs the calibration and that
// add alone (no save or open), for repeated before/after runs; `--only bm25_add` the same for the BM25-only
// engine, with `--analyzer` (default: the engine's) naming the analyzer its add runs (results bm25_<analyzer>_add).
//   npm run bench -- eventloop [--docs N] [--tiny]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Bm25Index, Engine } from '../dist/index.js';
import { gapMeter, searchTicker } from './lib/gaps.mjs';
import { corpusFiles } from './lib/sentences.mjs';
import { isMain, parseSuiteCli, runStandalone } from './lib/standalone.mjs';
import { percentile, sig } from './lib/stats.mjs';

const QUERIES = ['디지털 커머스 성장', '기초연금 신청 방법', '전세 대출 금리', 'B2B 비즈니스 전략', '청년 월세 지원'];

/** `count` autorag-ko-sized pages (the shared corpus cycled with fresh ids; the bundled sample without it). */
export function pages(count) {
  const { files } = corpusFiles();
  const rows = readFileSync(files[0], 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  return Array.from({ length: count }, (_, i) => {
    const r = rows[i % rows.length];
    return { id: `p${i}`, title: r.title || undefined, text: r.text };
  });
}

/** A text of about `mb` MB of UTF-8: corpus pages repeated, with line breaks. */
function hugeText(mb) {
  const base = pages(720)
    .map((p) => p.text)
    .join('\n');
  const bytes = Buffer.byteLength(base);
  return base.repeat(Math.ceil((mb * 1e6) / bytes)).slice(0, Math.floor((mb * 1e6) / (bytes / base.length)));
}

/** Runs `work` with the gap meter and a search every 10 ms; returns the phase's figures. */
async function measured(name, engine, work, log) {
  const meter = gapMeter();
  let q = 0;
  const ticker = searchTicker(() => engine.search(QUERIES[q++ % QUERIES.length], { k: 5 }));
  meter.phase(name);
  const t0 = performance.now();
  await work();
  const seconds = (performance.now() - t0) / 1000;
  meter.phase('after');
  const s = await ticker.stop();
  meter.stop();
  const figures = {
    seconds,
    maxGap: meter.maxOf(name),
    maxCpuGap: meter.maxCpuOf(name),
    issued: s.issued,
    completed: s.completed,
    p99: percentile(s.latencies, 99),
    errors: s.errors,
  };
  log(`${name}: ${JSON.stringify(figures)}`);
  return figures;
}

function push(results, prefix, f) {
  results.push(
    { name: `${prefix}_max_gap_ms`, value: sig(f.maxGap), unit: 'ms' },
    ...(f.maxCpuGap === undefined
      ? []
      : [{ name: `${prefix}_max_gap_on_cpu_ms`, value: sig(f.maxCpuGap), unit: 'ms (main thread on a CPU)' }]),
    { name: `${prefix}_search_p99_ms`, value: sig(f.p99), unit: 'ms' },
    { name: `${prefix}_searches_completed`, value: f.issued === 0 ? 1 : sig(f.completed / f.issued), unit: 'fraction' },
    { name: `${prefix}_seconds`, value: sig(f.seconds), unit: 's' },
  );
}

async function engineRun(label, options, docs, dir, results, log) {
  const engine = await Engine.create(options);
  await engine.add(docs.slice(0, 5)); // models and dictionaries loaded before measuring
  push(results, `${label}_add`, await measured('add', engine, () => engine.add(docs.slice(5)), log));
  push(results, `${label}_save`, await measured('save', engine, () => engine.save(dir), log));
  await engine.close();
  const reader = await Engine.create(options);
  await reader.add(docs.slice(0, 5));
  let opened;
  push(
    results,
    `${label}_open`,
    await measured(
      'open',
      reader,
      async () => {
        opened = await Engine.open(dir, { readOnly: true });
      },
      log,
    ),
  );
  await opened.close();
  await reader.close();
}

/** One add of all but the first 5 documents to an engine that already holds those 5 (models loaded). */
/** `dense_add` → `dense_ko_mecab_add` for a named analyzer: results of different analyzers stay apart. */
function labelled(label, analyzer) {
  return analyzer ? label.replace(/^([a-z0-9]+)_/, `$1_${analyzer.replace(/[^A-Za-z0-9]+/g, '_')}_`) : label;
}

async function addRun(label, options, docs, results, log) {
  const engine = await Engine.create(options);
  await engine.add(docs.slice(0, 5));
  push(results, label, await measured('add', engine, () => engine.add(docs.slice(5)), log));
  await engine.close();
}

/**
 * The first add of a corpus to an engine with the default dense model: the model adapts to the
 * corpus (src/train/adapt.ts) before it embeds it. Searches go to a warm engine of 5 pages in the
 * same process (the fresh engine has nothing to find until the add commits).
 */
async function adaptRun(docs, results, log, analyzer) {
  const options = { ...(analyzer ? { analyzer } : {}), dense: { embedder: 'default' } };
  const searcher = await Engine.create(options);
  await searcher.add(docs.slice(0, 5));
  const engine = await Engine.create(options);
  push(results, labelled('dense_adapt_add', analyzer), await measured('add', searcher, () => engine.add(docs), log));
  const dense = engine.describe().legs.find((l) => l.kind === 'dense');
  log(`dense leg after the add: ${JSON.stringify(dense).slice(0, 600)}`);
  await engine.close();
  await searcher.close();
}

async function hugeRun(mb, results, log) {
  const text = hugeText(mb);
  const engine = await Engine.create();
  await engine.add([{ id: 'warm', text: '준비 문서' }]);
  push(results, 'huge_doc_add', await measured('add', engine, () => engine.add([{ id: 'huge', text }]), log));
  await engine.close();
  const index = new Bm25Index();
  index.add('warm', '준비 문서');
  const searcher = { search: async (q) => index.search(q, { k: 5 }) };
  push(
    results,
    'huge_doc_bm25index',
    await measured('add', searcher, () => index.addManyAsync([{ id: 'huge', doc: text }]), log),
  );
}

/**
 * The machine's own noise: 5 ms slices of busy work with a macrotask turn between them (a workload
 * that never blocks longer than 5 ms), measured like the phases. A phase's gap above this is ours.
 */
async function calibration(seconds, results, log) {
  const engine = await Engine.create();
  await engine.add(pages(50));
  const work = async () => {
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const sliceEnd = performance.now() + 5;
      while (performance.now() < sliceEnd);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  push(results, 'calibration_5ms_slices', await measured('calibration', engine, work, log));
  await engine.close();
}

async function queryRun(results) {
  const engine = await Engine.create();
  await engine.add(pages(50));
  const query = '가'.repeat(1 << 20);
  const t0 = performance.now();
  const code = await engine.search(query).then(
    () => 'none',
    (e) => e.code ?? 'UNTYPED',
  );
  results.push({ name: 'query_1mb_error_ms', value: sig(performance.now() - t0), unit: `ms (${code})` });
  await engine.close();
}

export async function run(options = {}) {
  const log = options.log ?? ((...a) => console.error('[eventloop]', ...a));
  const count = options.docs ?? (options.tiny ? 300 : 5000);
  const docs = pages(count);
  const results = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'tamsaek-eventloop-'));
  try {
    await calibration(options.tiny ? 1 : 10, results, log);
    const analyzer = options.analyzer;
    const chosen = analyzer ? { analyzer } : {};
    const which = `(${analyzer ?? 'default analyzer'})`;
    if (options.only === 'dense_add') {
      await addRun(labelled('dense_add', analyzer), { ...chosen, dense: { embedder: 'default' } }, docs, results, log);
      return { results, notes: [`${count} autorag-ko-sized pages; the non-adapting dense add only ${which}`] };
    }
    if (options.only === 'bm25_add') {
      await addRun(labelled('bm25_add', analyzer), chosen, docs, results, log);
      return { results, notes: [`${count} autorag-ko-sized pages; the BM25-only add ${which}`] };
    }
    if (options.only === 'adapt') {
      await adaptRun(docs, results, log, analyzer);
      return { results, notes: [`${count} autorag-ko-sized pages; the adapting first add only ${which}`] };
    }
    await engineRun('bm25', {}, docs, path.join(dir, 'bm25'), results, log);
    if (!options.skipDense) {
      await engineRun('dense', { dense: { embedder: 'default' } }, docs, path.join(dir, 'dense'), results, log);
      await adaptRun(docs, results, log);
    }
    await hugeRun(options.tiny ? 0.2 : (options.hugeMb ?? 10), results, log);
    await queryRun(results);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    results,
    notes: [
      `${count} autorag-ko-sized pages; gaps between ticks of a 5 ms setInterval; one search issued every 10 ms during each phase`,
      'absolute times on a shared machine are noise: re-run and compare in one run',
    ],
  };
}

if (isMain(import.meta.url)) {
  await runStandalone('eventloop', {
    parseCli: (argv) =>
      parseSuiteCli(argv, {
        docs: 'number',
        'huge-mb': 'number',
        'skip-dense': 'flag',
        only: 'string',
        analyzer: 'string',
        tiny: 'flag',
        out: 'string',
      }),
    run,
  });
}
