/** The CLI commands: each parses its arguments, calls the library and prints. */

import { writeFile } from 'node:fs/promises';
import { analyzeAll } from '../analyze/batch.js';
import { createAnalyzer, listAnalyzers } from '../analyze/index.js';
import { loadBeir, readJsonl, resolveCorpusPath } from '../data/beir.js';
import { Engine } from '../engine/engine.js';
import { readManifest } from '../engine/manifest.js';
import { buildEngine } from '../eval/corpus.js';
import { evaluateRetriever, RETRIEVERS, type RetrieverName } from '../eval/harness.js';
import { writeTrecRun } from '../eval/trec.js';
import { Bm25Index } from '../legs/bm25/index.js';
import type { VectorIndexKind } from '../legs/dense/types.js';
import type { EmbedderOptions } from '../models/embedder.js';
import { loadEmbedder } from '../models/load.js';
import { TUNE_SPACES, tuneEngine } from '../tune/index.js';
import { titled } from '../util/chunker.js';
import type { Limits } from '../util/limits.js';
import { analyzerOption } from './analyzer-option.js';
import { choiceOption, intOption, numberOption, type Parsed, parse, passagesOption, UsageError } from './args.js';
import { readTunedConfig } from './config-file.js';
import { createProgress } from './progress.js';

export type { Io } from './io.js';

import { ADAPT_USAGE, adaptFlags, adaptOption, seedFlag } from './adapt.js';
import { EXPORT_USAGE } from './export.js';
import type { Io } from './io.js';
import { RUNTIME_OPTIONS, rerankerArg, runtimeOptions } from './runtime-flags.js';
import { TRAIN_USAGE } from './train.js';

export const USAGE = {
  ...TRAIN_USAGE,
  ...ADAPT_USAGE,
  ...EXPORT_USAGE,
  index:
    'usage: tamsaek index <beir-dir|corpus.jsonl> --out <dir> [--analyzer <name|config.json|{json}> (default ko-morph)] [--model <dir|id> [--passages none|<chars>[:<overlap>]] | --dim N] [--vector-field <name>] [--title-weight W] [--k1 1.2] [--b 0.75] [--adapt [--adapt-seconds 45] [--seed 42] | --no-adapt]',
  search: 'usage: tamsaek search <index-dir> "<query>" [--k 10] [--legs bm25,dense] [--json]',
  eval: 'usage: tamsaek eval <beir-dir> --retriever bm25|dense|hybrid [--model <dir|id> (default: the shipped static model)] [--reranker <dir|id>] [--config tuned.json | --fusion fixed|adapt (adapt uses labels)] [--split test|train] [--analyzer <name|config.json|{json}> (default ko-morph)] [--k N] [--json] [--run-out run.tsv] [--index <dir>]\n       model options: [--passages none|<chars>[:<overlap>] (default: as the model asks)] [--no-adapt | --adapt-seconds 45] [--index-kind auto|hnsw|exact|flat] [--batch-size 32] [--max-length N] [--threads N] [--offline] [--fp32] [--provider cpu|cuda|auto]',
  tune: 'usage: tamsaek tune <beir-dir> [--model <dir|id> (default: the shipped static model)] | --index <dir> [--metric ndcg@10] [--budget-ms N] [--max-evals 400] [--seed 42] [--folds 5] [--space full|weight] [--reranker <dir|id>] [--out config.json] [--json]',
  embed:
    'usage: tamsaek embed <model-dir|hub-id> "<text>" | --file f.jsonl [--query] [--json] [--batch-size 32] [--max-length N] [--threads N] [--offline] [--fp32] [--provider cpu|cuda|auto]',
  analyze:
    'usage: tamsaek analyze "<text>" [--verbose] | --file <texts.jsonl>  [--analyzer <name|config.json|{json}> (default ko-morph)] [--json]',
  analyzers: 'usage: tamsaek analyzers',
  serve:
    'usage: tamsaek serve <index-dir> [--host 127.0.0.1] [--port 8780] [--read-only] [--max-body 1mb] [--max-search-body 280kb] [--timeout-ms 30000] [--save-delay-ms 0] [--max-query-chars 4096] [--max-query-terms 1024] [--max-document-chars 10485760] [--exit-with-parent | --no-exit-with-parent]',
} as const;

const modelOptions = {
  ...RUNTIME_OPTIONS,
  'batch-size': { type: 'string' },
  'max-length': { type: 'string' },
  threads: { type: 'string' },
  offline: { type: 'boolean' },
} as const;

function embedderOptions(
  args: ReturnType<typeof parse>,
  progress?: ReturnType<typeof createProgress>,
): EmbedderOptions {
  const o: EmbedderOptions = {};
  if (progress)
    o.onDownloadProgress = (file, done, total) => progress.update(file.split('/').pop() ?? file, done, total ?? done);
  const batchSize = intOption(args.text('batch-size'), 'batch-size', 1, 4096);
  const maxLength = intOption(args.text('max-length'), 'max-length', 2, 1_000_000);
  const threads = intOption(args.text('threads'), 'threads', 1, 4096);
  if (batchSize !== undefined) o.batchSize = batchSize;
  if (maxLength !== undefined) o.maxLength = maxLength;
  if (threads !== undefined) o.threads = threads;
  if (args.flag('offline')) o.offline = true;
  return { ...o, ...runtimeOptions(args) };
}

const indexingOptions = {
  analyzer: { type: 'string' },
  'title-weight': { type: 'string' },
  k1: { type: 'string' },
  b: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export async function indexCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(
    argv,
    {
      ...indexingOptions,
      out: { type: 'string', short: 'o' },
      model: { type: 'string' },
      dim: { type: 'string' },
      'vector-field': { type: 'string' },
      passages: { type: 'string' },
      ...adaptFlags,
      ...seedFlag,
    },
    USAGE.index,
  );
  const passages = passagesOption(args.text('passages'));
  if (passages !== undefined && !args.text('model'))
    throw new UsageError("--passages splits documents for a --model's dense leg");
  const out = args.text('out');
  if (args.positionals.length !== 1 || !out) throw new UsageError(USAGE.index);
  // precomputed vectors: a field of each corpus line, for the --model's dense leg or a model-less one of --dim values
  const vectorField = args.text('vector-field');
  const dim = intOption(args.text('dim'), 'dim', 1, 65_536);
  if (dim !== undefined && args.text('model'))
    throw new UsageError('--dim is for vectors without a model: give --model or --dim, not both');
  if (dim !== undefined && !vectorField)
    throw new UsageError("--dim needs --vector-field: the corpus field that holds each document's vector");
  const progress = createProgress(!args.flag('quiet'));
  const started = performance.now();
  const adapt = adaptOption(args, intOption(args.text('seed'), 'seed', 0, 2 ** 31));
  // --adapt adapts the shipped model unless --model names another static model
  const model = args.text('model') ?? (adapt ? 'default' : undefined);
  if (adapt === false && !model) throw new UsageError('--no-adapt goes with a dense --model');
  const engine = await buildEngine(
    await resolveCorpusPath(args.positionals[0]),
    {
      analyzer: await analyzerOption(args.text('analyzer')),
      bm25: {
        titleWeight: numberOption(args.text('title-weight'), 'title-weight'),
        k1: numberOption(args.text('k1'), 'k1'),
        b: numberOption(args.text('b'), 'b'),
      },
      dense: model
        ? {
            embedder: model,
            ...(passages !== undefined ? { chunk: passages } : {}),
            ...(adapt !== undefined ? { adapt } : {}),
          }
        : dim !== undefined
          ? { dim }
          : undefined,
    },
    (done, total, stage) => progress.update(stage ?? 'index', done, total),
    vectorField,
  );
  progress.stop();
  await engine.save(out);
  await engine.close();
  io.err(
    `indexed ${engine.size} documents (legs ${engine.legs.join('+')}, analyzer ${engine.analyzer.name}) in ${((performance.now() - started) / 1000).toFixed(1)} s → ${out}`,
  );
}

export async function searchCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(
    argv,
    { k: { type: 'string' }, json: { type: 'boolean' }, legs: { type: 'string' } },
    USAGE.search,
  );
  if (args.positionals.length !== 2) throw new UsageError(USAGE.search);
  const k = intOption(args.text('k'), 'k', 1, 10_000) ?? 10;
  const legs = args.text('legs')?.split(',') as string[] | undefined;
  const engine = await Engine.open(args.positionals[0], { readOnly: true });
  let hits: Awaited<ReturnType<Engine['search']>>;
  try {
    hits = await engine.search(args.positionals[1], { k, legs, highlight: true });
  } finally {
    await engine.close();
  }
  if (args.flag('json')) {
    io.out(JSON.stringify(hits));
    return;
  }
  if (hits.length === 0) io.err('no results');
  hits.forEach((h, i) => {
    io.out(`${String(i + 1).padStart(3)}  ${h.score.toFixed(4)}  ${h.id}${h.title ? `  ${h.title}` : ''}`);
    if (h.snippet) io.out(`      ${h.snippet.text.replace(/\s+/g, ' ')}`);
  });
}

/** An index directory holds an engine (manifest.json) or a bare BM25 index (bm25.tsk). */
async function openAnyIndex(dir: string): Promise<Engine | Bm25Index> {
  return (await readManifest(dir)) ? Engine.open(dir, { readOnly: true }) : Bm25Index.open(dir);
}

function fusionMode(value: string | undefined, retriever: RetrieverName): 'adapt' | 'fixed' | undefined {
  if (value === undefined) return undefined;
  if (retriever !== 'hybrid') throw new UsageError('--fusion applies to --retriever hybrid');
  return choiceOption(value, 'fusion', ['adapt', 'fixed'] as const);
}

export async function evalCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(
    argv,
    {
      ...indexingOptions,
      ...modelOptions,
      'index-kind': { type: 'string' },
      retriever: { type: 'string' },
      split: { type: 'string' },
      k: { type: 'string' },
      json: { type: 'boolean' },
      'run-out': { type: 'string' },
      index: { type: 'string' },
      model: { type: 'string' },
      reranker: { type: 'string' },
      'rerank-top-n': { type: 'string' },
      config: { type: 'string' },
      fusion: { type: 'string' },
      passages: { type: 'string' },
      ...adaptFlags,
    },
    USAGE.eval,
  );
  if (args.positionals.length !== 1) throw new UsageError(USAGE.eval);
  const retriever = (args.text('retriever') ?? 'bm25') as RetrieverName;
  if (!RETRIEVERS.includes(retriever))
    throw new UsageError(`unknown retriever "${retriever}" (available: ${RETRIEVERS.join(', ')})`);
  const passages = passagesOption(args.text('passages'));
  const adapt = adaptOption(args);
  if (adapt !== undefined && (retriever === 'bm25' || args.text('index')))
    throw new UsageError(
      '--adapt applies to --retriever dense or hybrid built here (adapt an index with tamsaek adapt)',
    );
  if (passages !== undefined && (retriever === 'bm25' || args.text('index')))
    throw new UsageError('--passages applies to --retriever dense or hybrid built here (an --index keeps its own)');
  if (args.text('index') && (args.text('analyzer') || args.text('title-weight') || args.text('k1') || args.text('b'))) {
    throw new UsageError('--index uses the settings stored in the index: drop --analyzer/--title-weight/--k1/--b');
  }
  const indexDir = args.text('index');
  const runOut = args.text('run-out');
  const model = args.text('model');
  const indexKind = args.text('index-kind');
  const modelFlags = ['model', 'index-kind', 'batch-size', 'max-length', 'threads'].filter(
    (f) => args.text(f) !== undefined,
  );
  if (retriever === 'dense') {
    if (args.text('analyzer') || args.text('title-weight') || args.text('k1') || args.text('b')) {
      throw new UsageError('--analyzer/--title-weight/--k1/--b do not apply to --retriever dense');
    }
    choiceOption(indexKind, 'index-kind', ['auto', 'hnsw', 'exact', 'flat']);
  } else if (
    retriever === 'bm25' &&
    (modelFlags.length > 0 || args.flag('offline') || args.text('reranker') || args.text('config'))
  ) {
    throw new UsageError(
      `--${modelFlags[0] ?? (args.flag('offline') ? 'offline' : args.text('reranker') ? 'reranker' : 'config')} applies to --retriever dense or hybrid`,
    );
  }
  const progress = createProgress(!args.flag('quiet'));
  if (retriever === 'dense' && !indexDir) {
    const report = await evaluateRetriever(args.positionals[0], {
      retriever,
      split: args.text('split'),
      k: intOption(args.text('k'), 'k', 1, 1000),
      model,
      embedder: embedderOptions(args, progress),
      indexKind: indexKind as VectorIndexKind | 'auto' | undefined,
      passages,
      ...(adapt !== undefined ? { adapt } : {}),
      onProgress: (stage, done, total) => progress.update(stage, done, total),
    });
    progress.stop();
    return printReport(report, args.flag('json'), runOut, io);
  }
  const report = await evaluateRetriever(args.positionals[0], {
    retriever,
    split: args.text('split'),
    k: intOption(args.text('k'), 'k', 1, 1000),
    analyzer: await analyzerOption(args.text('analyzer')),
    titleWeight: numberOption(args.text('title-weight'), 'title-weight'),
    k1: numberOption(args.text('k1'), 'k1'),
    b: numberOption(args.text('b'), 'b'),
    model: args.text('model'),
    reranker: await rerankerArg(args),
    rerankTopN: intOption(args.text('rerank-top-n'), 'rerank-top-n', 1, 1000),
    config: await readTunedConfig(args.text('config')),
    fusion: fusionMode(args.text('fusion'), retriever),
    passages,
    ...(adapt !== undefined ? { adapt } : {}),
    index: indexDir ? await openAnyIndex(indexDir) : undefined,
    onProgress: (stage, done, total) => progress.update(stage, done, total),
  });
  progress.stop();
  await printReport(report, args.flag('json'), runOut, io);
}

async function printReport(
  report: Awaited<ReturnType<typeof evaluateRetriever>>,
  json: boolean,
  runOut: string | undefined,
  io: Io,
): Promise<void> {
  if (runOut) await writeTrecRun(runOut, report.run, `tamsaek-${report.retriever}`);
  const { perQuery: _perQuery, run: _run, ...contract } = report;
  if (json) {
    io.out(JSON.stringify(contract));
    return;
  }
  const what =
    report.retriever === 'dense'
      ? `model ${report.model} · index ${report.vectorIndex}`
      : `analyzer ${report.analyzer}`;
  io.out(`${report.dataset} (${report.split}, ${report.queries} queries) · retriever ${report.retriever} · ${what}`);
  if (report.fusion)
    io.out(
      `fusion: ${report.fusion.mode} (labels used: ${report.fusion.labels}) ${JSON.stringify(report.fusion.configs[0]?.fusion)}`,
    );
  if (report.adapted) io.out(`dense model adapted to the corpus: ${JSON.stringify(report.adapted)}`);
  io.out('| metric | value |\n|---|---|');
  for (const [key, value] of Object.entries(report.metrics)) io.out(`| ${key} | ${value.toFixed(4)} |`);
  io.out(
    `| latency p50 (ms) | ${report.latency_ms.p50.toFixed(3)} |\n| latency p95 (ms) | ${report.latency_ms.p95.toFixed(3)} |`,
  );
  if (runOut) io.err(`run written to ${runOut}`);
}

/** JSONL lines of `--file`: {"_id"|"id", "title"?, "text"} objects (title + text) or plain JSON strings (id = line). */
async function readTextItems(file: string): Promise<{ id: string; text: string }[]> {
  const items: { id: string; text: string }[] = [];
  for await (const { value, line } of readJsonl(file)) {
    if (typeof value === 'string') items.push({ id: String(line), text: value });
    else if (value && typeof value === 'object' && typeof (value as { text?: unknown }).text === 'string') {
      const o = value as { _id?: unknown; id?: unknown; title?: unknown; text: string };
      const id = o._id ?? o.id ?? line;
      items.push({ id: String(id), text: titled(typeof o.title === 'string' ? o.title : undefined, o.text) });
    } else throw new UsageError(`${file}:${line}: expected a JSON string or an object with a "text" string`);
  }
  return items;
}

export async function analyzeCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(
    argv,
    {
      analyzer: { type: 'string' },
      file: { type: 'string', short: 'f' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
    },
    USAGE.analyze,
  );
  const file = args.text('file');
  if (args.positionals.length !== (file ? 0 : 1)) throw new UsageError(USAGE.analyze);
  const analyzer = createAnalyzer(await analyzerOption(args.text('analyzer')));
  if (file) {
    if (args.flag('verbose')) throw new UsageError('analyze --verbose takes one text, not --file');
    // many texts: analysed in slices (ko-mecab: on worker threads), one output line each
    const items = await readTextItems(file);
    const terms = await analyzeAll(
      analyzer,
      items.map((x) => x.text),
    );
    items.forEach((item, i) =>
      io.out(
        args.flag('json') ? JSON.stringify({ id: item.id, terms: terms[i] }) : `${item.id}\t${terms[i]!.join(' ')}`,
      ),
    );
    return;
  }
  const text = args.positionals[0]!;
  const terms = analyzer.analyze(text);
  if (!args.flag('verbose')) {
    io.out(args.flag('json') ? JSON.stringify(terms) : terms.join(' '));
    return;
  }
  if (analyzer.tokens === undefined)
    throw new UsageError(`analyze --verbose: ${analyzer.name} gives no morpheme offsets (ko-mecab does)`);
  const tokens = analyzer.tokens(text);
  if (args.flag('json')) {
    io.out(JSON.stringify({ analyzer: analyzer.name, terms, tokens }));
    return;
  }
  // one line per dictionary entry: offsets (UTF-16, into the text as given), surface, POS, and the
  // morphemes it stands for with the term each gives ("-" when the stop filter drops it)
  for (const t of tokens) {
    const kind = t.type === undefined ? '' : `\t${t.type} ${t.expression ?? ''}`;
    io.out(`${t.start}-${t.end}\t${t.surface}\t${t.pos}${kind}`);
    for (const m of t.morphemes)
      io.out(`  ${m.start}-${m.end}\t${m.surface}/${m.pos}\t${m.term === null ? '-' : m.term}`);
  }
  io.out(`terms: ${terms.join(' ')}`);
}

export async function analyzersCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(argv, {}, USAGE.analyzers);
  if (args.positionals.length !== 0) throw new UsageError(USAGE.analyzers);
  for (const a of listAnalyzers()) io.out(`${a.name.padEnd(16)} ${a.description}`);
  // on stderr: stdout stays one analyzer per line for scripts
  io.err(
    '\nOptions (user words, stop tags, stopwords, synonyms) go in a config: --analyzer \'{"name":"ko-mecab","userDictionary":["첫만남이용권"]}\' or --analyzer my-analyzer.json (docs/analyzers.md).',
  );
}

export async function embedCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(
    argv,
    {
      ...modelOptions,
      file: { type: 'string', short: 'f' },
      query: { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    },
    USAGE.embed,
  );
  const file = args.text('file');
  if (args.positionals.length !== (file ? 1 : 2)) throw new UsageError(USAGE.embed);
  const kind = args.flag('query') ? 'query' : 'passage';
  const progress = createProgress(!args.flag('quiet'));
  const embedder = await loadEmbedder(args.positionals[0], embedderOptions(args, progress));
  progress.stop();
  try {
    if (!file) {
      const v = await embedder.embed([args.positionals[1]], { kind });
      io.out(
        args.flag('json')
          ? JSON.stringify({ model: embedder.modelId, dim: embedder.dim, embedding: Array.from(v) })
          : Array.from(v, (x) => x.toPrecision(6)).join(' '),
      );
      return;
    }
    const items = await readTextItems(file);
    const started = performance.now();
    const vectors = await embedder.embed(
      items.map((x) => x.text),
      { kind, onProgress: (done, total) => progress.update('embed', done, total) },
    );
    progress.stop();
    const dim = embedder.dim;
    items.forEach((item, i) => {
      const v = Array.from(vectors.subarray(i * dim, (i + 1) * dim));
      io.out(
        args.flag('json')
          ? JSON.stringify({ id: item.id, embedding: v })
          : `${item.id}\t${v.map((x) => x.toPrecision(6)).join(' ')}`,
      );
    });
    io.err(
      `embedded ${items.length} texts with ${embedder.modelId} (${'file' in embedder ? embedder.file : 'static'}, dim ${dim}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  } finally {
    await embedder.dispose();
  }
}

/** --max-query-chars / --max-query-terms / --max-document-chars: a positive integer, or 0 for no limit. */
function serveLimits(args: Parsed): Limits {
  const limits: Limits = {};
  for (const [flag, key] of [
    ['max-query-chars', 'maxQueryChars'],
    ['max-query-terms', 'maxQueryTerms'],
    ['max-document-chars', 'maxDocumentChars'],
  ] as const) {
    const value = intOption(args.text(flag), flag, 0, Number.MAX_SAFE_INTEGER);
    if (value !== undefined) limits[key] = value === 0 ? Infinity : value;
  }
  return limits;
}

export async function serveCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(
    argv,
    {
      host: { type: 'string' },
      port: { type: 'string' },
      'read-only': { type: 'boolean' },
      'max-body': { type: 'string' },
      'max-search-body': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'save-delay-ms': { type: 'string' },
      'max-query-chars': { type: 'string' },
      'max-query-terms': { type: 'string' },
      'max-document-chars': { type: 'string' },
      'exit-with-parent': { type: 'boolean' },
      'no-exit-with-parent': { type: 'boolean' },
    },
    USAGE.serve,
  );
  if (args.positionals.length !== 1) throw new UsageError(USAGE.serve);
  const { runServe, parseByteSize, underNpmExec } = await import('../serve/run.js');
  const size = (name: string): number | undefined => {
    const text = args.text(name);
    try {
      return text === undefined ? undefined : parseByteSize(text);
    } catch (error) {
      throw new UsageError(`--${name}: ${(error as Error).message}`);
    }
  };
  const saveDelayMs = intOption(args.text('save-delay-ms'), 'save-delay-ms', 0, 3_600_000) ?? 0;
  await runServe({
    dir: args.positionals[0],
    host: args.text('host'),
    port: intOption(args.text('port'), 'port', 0, 65535),
    readOnly: args.flag('read-only'),
    maxBodyBytes: size('max-body'),
    maxSearchBodyBytes: size('max-search-body'),
    timeoutMs: intOption(args.text('timeout-ms'), 'timeout-ms', 1, 3_600_000),
    persist: saveDelayMs > 0 ? 'async' : 'sync',
    saveDelayMs,
    limits: serveLimits(args),
    exitWithParent: args.flag('no-exit-with-parent') ? false : args.flag('exit-with-parent') || underNpmExec(),
    log: io.err,
  });
}

export async function tuneCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(
    argv,
    {
      ...indexingOptions,
      metric: { type: 'string' },
      'budget-ms': { type: 'string' },
      'max-evals': { type: 'string' },
      seed: { type: 'string' },
      folds: { type: 'string' },
      space: { type: 'string' },
      index: { type: 'string' },
      model: { type: 'string' },
      reranker: { type: 'string' },
      out: { type: 'string', short: 'o' },
      json: { type: 'boolean' },
    },
    USAGE.tune,
  );
  if (args.positionals.length !== 1) throw new UsageError(USAGE.tune);
  const indexDir = args.text('index');
  const model = args.text('model');
  const progress = createProgress(!args.flag('quiet'));
  const train = await loadBeir(args.positionals[0], { split: 'train' }).catch(() => undefined);
  const test = await loadBeir(args.positionals[0], { split: 'test' });
  const reranker = args.text('reranker');
  const engine = indexDir
    ? await Engine.open(indexDir)
    : await buildEngine(
        test.corpusPath,
        {
          analyzer: await analyzerOption(args.text('analyzer')),
          bm25: {
            titleWeight: numberOption(args.text('title-weight'), 'title-weight'),
            k1: numberOption(args.text('k1'), 'k1'),
            b: numberOption(args.text('b'), 'b'),
          },
          dense: { embedder: model ?? 'default' },
          rerank: reranker ? { reranker, topN: 20 } : undefined,
        },
        (done, total) => progress.update('index', done, total),
      );
  try {
    const qrels = new Map([...(train?.qrels ?? []), ...test.qrels]);
    const report = await tuneEngine(
      engine,
      { train: train?.queries ?? [], test: test.queries, qrels },
      {
        metric: args.text('metric'),
        budgetMs: intOption(args.text('budget-ms'), 'budget-ms', 1, 86_400_000),
        maxEvaluations: intOption(args.text('max-evals'), 'max-evals', 1, 1_000_000),
        seed: intOption(args.text('seed'), 'seed', 0, 2 ** 31 - 1),
        folds: intOption(args.text('folds'), 'folds', 2, 100),
        space: choiceOption(args.text('space'), 'space', TUNE_SPACES),
        onProgress: (stage, done, total) => progress.update(stage, done, total),
      },
    );
    progress.stop();
    const out = args.text('out');
    if (out)
      await writeFile(
        out,
        `${JSON.stringify(
          { dataset: test.name, metric: report.metric, mode: report.mode, config: report.tuned.config },
          null,
          2,
        )}\n`,
      );
    if (indexDir) {
      engine.configure(report.tuned.config);
      await engine.save();
    }
    if (args.flag('json')) {
      io.out(JSON.stringify({ dataset: test.name, ...report }));
      return;
    }
    const fmt = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(4));
    io.out(
      `${test.name} · ${report.metric} · ${report.mode} (${report.queries.train} train / ${report.queries.test} test queries) · ${report.evaluations} configurations${report.stoppedByBudget ? ' (stopped by budget)' : ''}`,
    );
    io.out(`| configuration | train | test${report.mode === 'cross-fitted' ? ' (cross-fitted)' : ''} |\n|---|---|---|`);
    io.out(
      `| default ${JSON.stringify(report.default.config)} | ${fmt(report.default.train)} | ${fmt(report.default.test)} |`,
    );
    io.out(`| tuned ${JSON.stringify(report.tuned.config)} | ${fmt(report.tuned.train)} | ${fmt(report.tuned.test)} |`);
    if (out) io.err(`configuration written to ${out}`);
    if (indexDir) io.err(`configuration stored in ${indexDir}/manifest.json (search uses it by default)`);
  } finally {
    await engine.close();
  }
}
