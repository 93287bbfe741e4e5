/** The CLI commands: each parses its arguments, calls the library and prints. */
import { createAnalyzer, listAnalyzers } from '../analyze/index.js';
import { indexCorpus } from '../engine/corpus.js';
import { evaluateRetriever, RETRIEVERS, type RetrieverName } from '../engine/evaluate.js';
import { writeTrecRun } from '../eval/trec.js';
import { Bm25Index } from '../legs/bm25/index.js';
import { intOption, numberOption, parse, UsageError } from './args.js';
import { createProgress } from './progress.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const USAGE = {
  index: 'usage: tamsaek index <beir-dir|corpus.jsonl> --out <dir> [--analyzer ko-morph] [--title-weight W] [--k1 1.2] [--b 0.75]',
  search: 'usage: tamsaek search <index-dir> "<query>" [--k 10] [--json]',
  eval: 'usage: tamsaek eval <beir-dir> --retriever bm25 [--split test|train] [--analyzer ko-morph] [--k N] [--json] [--run-out run.tsv] [--index <dir>]',
  analyze: 'usage: tamsaek analyze "<text>" [--analyzer ko-morph] [--json]',
  analyzers: 'usage: tamsaek analyzers',
} as const;

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
    { ...indexingOptions, retriever: { type: 'string' }, split: { type: 'string' }, k: { type: 'string' }, json: { type: 'boolean' }, 'run-out': { type: 'string' }, index: { type: 'string' } },
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
  const progress = createProgress(!args.flag('quiet'));
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
  if (runOut) await writeTrecRun(runOut, report.run, `tamsaek-${retriever}`);
  const { perQuery: _perQuery, run: _run, ...contract } = report;
  if (args.flag('json')) {
    io.out(JSON.stringify(contract));
    return;
  }
  io.out(`${report.dataset} (${report.split}, ${report.queries} queries) · retriever ${report.retriever} · analyzer ${report.analyzer}`);
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
