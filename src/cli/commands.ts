/** The CLI commands: each parses its arguments, calls the library and prints. */
import { createAnalyzer, listAnalyzers } from '../analyze/index.js';
import { indexCorpus } from '../engine/corpus.js';
import { evaluateRetriever, RETRIEVERS, type RetrieverName } from '../engine/evaluate.js';
import { writeTrecRun } from '../eval/trec.js';
import { Bm25Index } from '../legs/bm25/index.js';
import type { VectorIndexKind } from '../legs/dense/types.js';
import { readJsonl } from '../eval/beir.js';
import { OnnxEmbedder, type EmbedderOptions } from '../models/embedder.js';
import { intOption, numberOption, parse, UsageError } from './args.js';
import { createProgress } from './progress.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const USAGE = {
  index: 'usage: tamsaek index <beir-dir|corpus.jsonl> --out <dir> [--analyzer ko-morph] [--title-weight W] [--k1 1.2] [--b 0.75]',
  search: 'usage: tamsaek search <index-dir> "<query>" [--k 10] [--json]',
  eval: 'usage: tamsaek eval <beir-dir> [--retriever bm25|dense] [--split test|train] [--analyzer ko-morph] [--k N] [--json] [--run-out run.tsv] [--index <dir>]\n       dense: --model <dir|hub-id> [--index-kind auto|hnsw|exact|flat] [--batch-size 32] [--max-length N] [--threads N] [--offline]',
  embed: 'usage: tamsaek embed <model-dir|hub-id> "<text>" | --file f.jsonl [--query] [--json] [--batch-size 32] [--max-length N] [--threads N] [--offline]',
  analyze: 'usage: tamsaek analyze "<text>" [--analyzer ko-morph] [--json]',
  analyzers: 'usage: tamsaek analyzers',
} as const;

const modelOptions = {
  'batch-size': { type: 'string' },
  'max-length': { type: 'string' },
  threads: { type: 'string' },
  offline: { type: 'boolean' },
} as const;

function embedderOptions(args: ReturnType<typeof parse>, progress?: ReturnType<typeof createProgress>): EmbedderOptions {
  const o: EmbedderOptions = {};
  if (progress) o.onDownloadProgress = (file, done, total) => progress.update(file.split('/').pop() ?? file, done, total ?? done);
  const batchSize = intOption(args.text('batch-size'), 'batch-size', 1, 4096);
  const maxLength = intOption(args.text('max-length'), 'max-length', 2, 1_000_000);
  const threads = intOption(args.text('threads'), 'threads', 1, 4096);
  if (batchSize !== undefined) o.batchSize = batchSize;
  if (maxLength !== undefined) o.maxLength = maxLength;
  if (threads !== undefined) o.threads = threads;
  if (args.flag('offline')) o.offline = true;
  return o;
}

const indexingOptions = {
  analyzer: { type: 'string' },
  'title-weight': { type: 'string' },
  k1: { type: 'string' },
  b: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export async function indexCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(argv, { ...indexingOptions, out: { type: 'string', short: 'o' } }, USAGE.index);
  const out = args.text('out');
  if (args.positionals.length !== 1 || !out) throw new UsageError(USAGE.index);
  const progress = createProgress(!args.flag('quiet'));
  const started = performance.now();
  const index = await indexCorpus(args.positionals[0], {
    analyzer: args.text('analyzer'),
    titleWeight: numberOption(args.text('title-weight'), 'title-weight'),
    k1: numberOption(args.text('k1'), 'k1'),
    b: numberOption(args.text('b'), 'b'),
    onProgress: (done, total) => progress.update('index', done, total),
  });
  progress.stop();
  await index.save(out);
  const stats = index.stats();
  io.err(`indexed ${stats.documents} documents (${stats.terms} terms, analyzer ${index.analyzer.name}) in ${((performance.now() - started) / 1000).toFixed(1)} s → ${out}`);
}

export async function searchCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(argv, { k: { type: 'string' }, json: { type: 'boolean' } }, USAGE.search);
  if (args.positionals.length !== 2) throw new UsageError(USAGE.search);
  const k = intOption(args.text('k'), 'k', 1, 10_000) ?? 10;
  const index = await Bm25Index.open(args.positionals[0]);
  const hits = index.search(args.positionals[1], { k });
  if (args.flag('json')) {
    io.out(JSON.stringify(hits.map((h) => ({ ...h, title: index.metadata(h.id)?.title }))));
    return;
  }
  if (hits.length === 0) io.err('no results');
  hits.forEach((h, i) => {
    const title = index.metadata(h.id)?.title;
    io.out(`${String(i + 1).padStart(3)}  ${h.score.toFixed(4)}  ${h.id}${typeof title === 'string' ? `  ${title}` : ''}`);
  });
}

export async function evalCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(
    argv,
    { ...indexingOptions, ...modelOptions, retriever: { type: 'string' }, split: { type: 'string' }, k: { type: 'string' }, json: { type: 'boolean' }, 'run-out': { type: 'string' }, index: { type: 'string' }, model: { type: 'string' }, 'index-kind': { type: 'string' } },
    USAGE.eval,
  );
  if (args.positionals.length !== 1) throw new UsageError(USAGE.eval);
  const retriever = (args.text('retriever') ?? 'bm25') as RetrieverName;
  if (!RETRIEVERS.includes(retriever)) throw new UsageError(`unknown retriever "${retriever}" (available: ${RETRIEVERS.join(', ')})`);
  if (args.text('index') && (args.text('analyzer') || args.text('title-weight') || args.text('k1') || args.text('b'))) {
    throw new UsageError('--index uses the settings stored in the index: drop --analyzer/--title-weight/--k1/--b');
  }
  const indexDir = args.text('index');
  const runOut = args.text('run-out');
  const model = args.text('model');
  const indexKind = args.text('index-kind');
  const modelFlags = ['model', 'index-kind', 'batch-size', 'max-length', 'threads'].filter((f) => args.text(f) !== undefined);
  if (retriever === 'dense') {
    if (!model) throw new UsageError(`--retriever dense needs --model <dir|hub-id>\n${USAGE.eval}`);
    if (indexDir || args.text('analyzer') || args.text('title-weight') || args.text('k1') || args.text('b')) {
      throw new UsageError('--index/--analyzer/--title-weight/--k1/--b apply to --retriever bm25 only');
    }
    if (indexKind !== undefined && !['auto', 'hnsw', 'exact', 'flat'].includes(indexKind)) throw new UsageError(`--index-kind must be auto, hnsw, exact or flat, got "${indexKind}"`);
  } else if (modelFlags.length > 0 || args.flag('offline')) {
    throw new UsageError(`--${modelFlags[0] ?? 'offline'} applies to --retriever dense only`);
  }
  const progress = createProgress(!args.flag('quiet'));
  if (retriever === 'dense') {
    const report = await evaluateRetriever(args.positionals[0], {
      retriever,
      split: args.text('split'),
      k: intOption(args.text('k'), 'k', 1, 1000),
      model,
      embedder: embedderOptions(args, progress),
      indexKind: indexKind as VectorIndexKind | 'auto' | undefined,
      onProgress: (stage, done, total) => progress.update(stage, done, total),
    });
    progress.stop();
    return printReport(report, args.flag('json'), runOut, io);
  }
  const report = await evaluateRetriever(args.positionals[0], {
    retriever,
    split: args.text('split'),
    k: intOption(args.text('k'), 'k', 1, 1000),
    analyzer: args.text('analyzer'),
    titleWeight: numberOption(args.text('title-weight'), 'title-weight'),
    k1: numberOption(args.text('k1'), 'k1'),
    b: numberOption(args.text('b'), 'b'),
    index: indexDir ? await Bm25Index.open(indexDir) : undefined,
    onProgress: (stage, done, total) => progress.update(stage, done, total),
  });
  progress.stop();
  await printReport(report, args.flag('json'), runOut, io);
}

async function printReport(report: Awaited<ReturnType<typeof evaluateRetriever>>, json: boolean, runOut: string | undefined, io: Io): Promise<void> {
  if (runOut) await writeTrecRun(runOut, report.run, `tamsaek-${report.retriever}`);
  const { perQuery: _perQuery, run: _run, ...contract } = report;
  if (json) {
    io.out(JSON.stringify(contract));
    return;
  }
  const what = report.retriever === 'dense' ? `model ${report.model} · index ${report.vectorIndex}` : `analyzer ${report.analyzer}`;
  io.out(`${report.dataset} (${report.split}, ${report.queries} queries) · retriever ${report.retriever} · ${what}`);
  io.out('| metric | value |\n|---|---|');
  for (const [key, value] of Object.entries(report.metrics)) io.out(`| ${key} | ${value.toFixed(4)} |`);
  io.out(`| latency p50 (ms) | ${report.latency_ms.p50.toFixed(3)} |\n| latency p95 (ms) | ${report.latency_ms.p95.toFixed(3)} |`);
  if (runOut) io.err(`run written to ${runOut}`);
}

export async function analyzeCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(argv, { analyzer: { type: 'string' }, json: { type: 'boolean' } }, USAGE.analyze);
  if (args.positionals.length !== 1) throw new UsageError(USAGE.analyze);
  const terms = createAnalyzer(args.text('analyzer')).analyze(args.positionals[0]);
  io.out(args.flag('json') ? JSON.stringify(terms) : terms.join(' '));
}

export async function analyzersCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(argv, {}, USAGE.analyzers);
  if (args.positionals.length !== 0) throw new UsageError(USAGE.analyzers);
  for (const a of listAnalyzers()) io.out(`${a.name.padEnd(16)} ${a.description}`);
}

export async function embedCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(argv, { ...modelOptions, file: { type: 'string', short: 'f' }, query: { type: 'boolean' }, json: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } }, USAGE.embed);
  const file = args.text('file');
  if (args.positionals.length !== (file ? 1 : 2)) throw new UsageError(USAGE.embed);
  const kind = args.flag('query') ? 'query' : 'passage';
  const progress = createProgress(!args.flag('quiet'));
  const embedder = await OnnxEmbedder.load(args.positionals[0], embedderOptions(args, progress));
  progress.stop();
  try {
    if (!file) {
      const v = await embedder.embed([args.positionals[1]], { kind });
      io.out(args.flag('json') ? JSON.stringify({ model: embedder.modelId, dim: embedder.dim, embedding: Array.from(v) }) : Array.from(v, (x) => x.toPrecision(6)).join(' '));
      return;
    }
    // JSONL lines: {"_id"|"id", "title"?, "text"} objects or plain JSON strings
    const items: { id: string; text: string }[] = [];
    for await (const { value, line } of readJsonl(file)) {
      if (typeof value === 'string') items.push({ id: String(line), text: value });
      else if (value && typeof value === 'object' && typeof (value as { text?: unknown }).text === 'string') {
        const o = value as { _id?: unknown; id?: unknown; title?: unknown; text: string };
        const id = o._id ?? o.id ?? line;
        items.push({ id: String(id), text: typeof o.title === 'string' && o.title ? `${o.title} ${o.text}` : o.text });
      } else throw new UsageError(`${file}:${line}: expected a JSON string or an object with a "text" string`);
    }
    const started = performance.now();
    const vectors = await embedder.embed(
      items.map((x) => x.text),
      { kind, onProgress: (done, total) => progress.update('embed', done, total) },
    );
    progress.stop();
    const dim = embedder.dim;
    items.forEach((item, i) => {
      const v = Array.from(vectors.subarray(i * dim, (i + 1) * dim));
      io.out(args.flag('json') ? JSON.stringify({ id: item.id, embedding: v }) : `${item.id}\t${v.map((x) => x.toPrecision(6)).join(' ')}`);
    });
    io.err(`embedded ${items.length} texts with ${embedder.modelId} (${embedder.file}, dim ${dim}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await embedder.dispose();
  }
}
