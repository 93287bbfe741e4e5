// The tamsaek command line: index → search → eval on the bundled sample, contracts and errors.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from './helpers/cli.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const sample = join(root, 'datasets/sample-ko');

const run = runCli;

test('index, search and eval the sample dataset', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-cli-'));
  try {
    const indexed = await run(['index', sample, '--out', join(dir, 'idx'), '--analyzer', 'ngram']);
    assert.equal(indexed.code, 0, indexed.stderr);
    assert.equal(indexed.stdout, '');
    assert.match(indexed.stderr, /indexed 8 documents/);

    const searched = await run(['search', join(dir, 'idx'), '예금자 보호 한도', '--k', '3', '--json']);
    assert.equal(searched.code, 0, searched.stderr);
    const hits = JSON.parse(searched.stdout);
    assert.equal(hits.length, 3);
    assert.equal(hits[0].id, '금융 - 예금자 보호 - 1');
    assert.ok(hits[0].score > hits[1].score);

    const evaluated = await run([
      'eval',
      sample,
      '--retriever',
      'bm25',
      '--analyzer',
      'ngram',
      '--json',
      '--k',
      '5',
      '--run-out',
      join(dir, 'run.tsv'),
    ]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const report = JSON.parse(evaluated.stdout); // stdout holds exactly one JSON object
    assert.deepEqual(Object.keys(report), [
      'dataset',
      'path',
      'split',
      'retriever',
      'analyzer',
      'queries',
      'metrics',
      'latency_ms',
    ]);
    assert.equal(report.dataset, 'sample-ko');
    assert.equal(report.path, sample);
    assert.equal(report.split, 'test');
    assert.equal(report.retriever, 'bm25');
    for (const key of [
      'ndcg@10',
      'recall@1',
      'recall@10',
      'mrr@10',
      'map@10',
      'f1@1',
      'precision@1',
      'ndcg@5',
      'recall@5',
    ]) {
      assert.ok(report.metrics[key] >= 0 && report.metrics[key] <= 1, key);
    }
    assert.ok(report.latency_ms.p50 >= 0 && report.latency_ms.p95 >= report.latency_ms.p50);
    const runFile = await readFile(join(dir, 'run.tsv'), 'utf8');
    assert.match(runFile, /^q1 Q0 .+ 1 [0-9.]+ tamsaek-bm25$/m);

    const fromIndex = await run(['eval', sample, '--index', join(dir, 'idx'), '--json']);
    assert.equal(fromIndex.code, 0, fromIndex.stderr);
    assert.deepEqual(
      JSON.parse(fromIndex.stdout).metrics,
      Object.fromEntries(Object.entries(report.metrics).filter(([k]) => !k.endsWith('@5'))),
    );

    // hybrid with the shipped model, --fusion adapt: the weights are tuned on the train split, and the report says so
    const hybrid = await run(['eval', sample, '--retriever', 'hybrid', '--fusion', 'adapt', '--json']);
    assert.equal(hybrid.code, 0, hybrid.stderr);
    const hybridReport = JSON.parse(hybrid.stdout);
    assert.equal(hybridReport.fusion.mode, 'tuned on train');
    assert.equal(hybridReport.fusion.labels, 'train split');
    assert.equal(hybridReport.fusion.configs.length, 1);
    assert.equal(hybridReport.model, 'tamsaek-static-ko-v2');
    // the adaptive fusion searches one number: the BM25 weight of a min-max combination
    assert.equal(hybridReport.fusion.configs[0].fusion.method, 'cc');
    assert.equal(hybridReport.fusion.configs[0].fusion.normalizer, 'mm');
    assert.ok(hybridReport.metrics['ndcg@10'] > 0);
    // by default (and with --fusion fixed) exactly what an engine does without a fusion of its own: no labels
    const fixed = JSON.parse((await run(['eval', sample, '--retriever', 'hybrid', '--json'])).stdout);
    assert.equal(fixed.fusion.mode, 'fixed');
    assert.equal(fixed.fusion.labels, 'none');
    assert.deepEqual(fixed.fusion.configs[0].fusion, {
      method: 'cc',
      normalizer: 'mm',
      weights: { bm25: 0.4, passages: 0.3, dense: 0.3 },
    });
    assert.equal(fixed.fusion.configs[0].depth, 64);
    assert.equal((await run(['eval', sample, '--fusion', 'fixed'])).code, 2, '--fusion needs --retriever hybrid');

    // tune: train/test on the sample, configuration written where asked and usable by eval --config
    const tuned = await run(['tune', sample, '--max-evals', '20', '--out', join(dir, 'tuned.json'), '--json']);
    assert.equal(tuned.code, 0, tuned.stderr);
    const tuneReport = JSON.parse(tuned.stdout);
    assert.equal(tuneReport.mode, 'train/test');
    assert.ok(tuneReport.tuned.train >= tuneReport.default.train);
    const withConfig = await run([
      'eval',
      sample,
      '--retriever',
      'hybrid',
      '--config',
      join(dir, 'tuned.json'),
      '--json',
    ]);
    assert.equal(withConfig.code, 0, withConfig.stderr);
    assert.equal(JSON.parse(withConfig.stdout).fusion.mode, 'config');
    const line = JSON.parse((await run(['tune', sample, '--space', 'weight', '--json'])).stdout);
    assert.equal(line.tuned.config.fusion.normalizer, 'mm');
    assert.equal((await run(['tune', sample, '--space', 'grid'])).code, 2);
    const badFusion = await run(['eval', sample, '--retriever', 'hybrid', '--fusion', 'sometimes']);
    assert.equal(badFusion.code, 2);
    assert.match(badFusion.stderr, /--fusion must be one of adapt, fixed, got "sometimes"/);
    const badStrategy = await run([
      'train',
      '--qrels',
      sample,
      '--out',
      join(dir, 'never'),
      '--margin-strategy',
      'nearest',
    ]);
    assert.equal(badStrategy.code, 2);
    assert.match(badStrategy.stderr, /--margin-strategy must be one of absolute, relative/);
    // a negative number is the option's value (parseArgs alone calls it an ambiguous option), then range-checked
    const negativeLr = await run(['train', '--qrels', sample, '--out', join(dir, 'never'), '--lr', '-0.5']);
    assert.equal(negativeLr.code, 1);
    assert.match(negativeLr.stderr, /lr must be a finite number > 0, got -0\.5 \[INVALID_ARGUMENT\]/);
    const negativeK = await run(['eval', sample, '--k', '-3']);
    assert.match(negativeK.stderr, /--k must be an integer in 1\.\.\d+, got "-3"/);

    const train = await run(['eval', sample, '--split', 'train', '--analyzer', 'ngram', '--json']);
    assert.equal(JSON.parse(train.stdout).split, 'train');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('index --vector-field: precomputed vectors from the corpus, with --dim (no model) or beside a model', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-cli-'));
  try {
    const corpus = join(dir, 'corpus.jsonl');
    const lines = [
      { _id: 'a', title: '기초연금', text: '만 65세 이상 어르신 기초연금', emb: [1, 0, 0] },
      { _id: 'b', title: '월세', text: '청년 월세 지원', emb: [0, 1, 0] },
      { _id: 'c', title: '예금', text: '예금자 보호 한도', emb: [0, 0, 1] },
    ];
    await writeFile(corpus, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const indexed = await run([
      'index',
      corpus,
      '--out',
      join(dir, 'idx'),
      '--analyzer',
      'ngram',
      '--dim',
      '3',
      '--vector-field',
      'emb',
    ]);
    assert.equal(indexed.code, 0, indexed.stderr);
    assert.match(indexed.stderr, /indexed 3 documents \(legs bm25\+passages\+dense/);
    const { Engine } = await import('tamsaek');
    const engine = await Engine.open(join(dir, 'idx'), { readOnly: true });
    // the stored vectors are the corpus's: a query vector pointing at c finds c, whatever the text says
    assert.equal((await engine.search('기초연금', { vector: [0, 0.1, 1], legs: ['dense'], k: 1 }))[0].id, 'c');
    await engine.close();
    const lexical = await run(['search', join(dir, 'idx'), '청년 월세', '--legs', 'bm25', '--json']);
    assert.equal(JSON.parse(lexical.stdout)[0].id, 'b');
    const noModel = await run(['search', join(dir, 'idx'), '청년 월세']);
    assert.equal(noModel.code, 1);
    assert.match(noModel.stderr, /no model.*INVALID_ARGUMENT/);

    // bad uses: usage errors (exit 2) before any work, bad data as typed errors (exit 1)
    assert.equal((await run(['index', corpus, '--out', join(dir, 'x1'), '--dim', '3'])).code, 2);
    assert.equal(
      (await run(['index', corpus, '--out', join(dir, 'x2'), '--dim', '0', '--vector-field', 'emb'])).code,
      2,
    );
    assert.equal(
      (
        await run([
          'index',
          corpus,
          '--out',
          join(dir, 'x3'),
          '--dim',
          '3',
          '--model',
          'default',
          '--vector-field',
          'emb',
        ])
      ).code,
      2,
    );
    const wrongDim = await run(['index', corpus, '--out', join(dir, 'x4'), '--dim', '4', '--vector-field', 'emb']);
    assert.equal(wrongDim.code, 1);
    assert.match(wrongDim.stderr, /DIMENSION_MISMATCH/);
    await writeFile(corpus, `${JSON.stringify({ _id: 'z', text: 'x', emb: 'nope' })}\n`);
    const badField = await run(['index', corpus, '--out', join(dir, 'x5'), '--dim', '3', '--vector-field', 'emb']);
    assert.equal(badField.code, 1);
    assert.match(badField.stderr, /"emb" must be an array of numbers.*PARSE_ERROR/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('analyze and index take analyzer configs (inline JSON or a .json file, word-list files), analyze takes --file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-cli-analyzer-'));
  try {
    const inline = await run([
      'analyze',
      '--analyzer',
      '{"name":"ko-mecab","userDictionary":["그루브웍스"]}',
      '그루브웍스에서 일해요',
    ]);
    assert.equal(inline.code, 0, inline.stderr);
    assert.equal(inline.stdout.trim(), '그루브웍스 일 하');
    const plain = await run(['analyze', '--analyzer', 'ko-mecab', '그루브웍스에서 일해요']);
    assert.notEqual(plain.stdout.trim(), '그루브웍스 일 하');
    const file = join(dir, 'analyzer.json');
    // word lists may be files beside the config, in Nori / synonym-filter formats
    await writeFile(join(dir, 'synonyms.txt'), '# equivalent terms\n기초연금, zzqx\n');
    await writeFile(join(dir, 'words.txt'), '세종시 세종 시\n그루브웍스\n');
    await writeFile(file, JSON.stringify({ name: 'ko-mecab', synonyms: 'synonyms.txt', userDictionary: 'words.txt' }));
    const fromFiles = await run(['analyze', '--analyzer', file, '그루브웍스는 세종시에 있다']);
    // plain ko-mecab: 그루브 웍스 종시 있 그루브+웍스; a user word's parts make a compound term as dictionary words do
    assert.equal(fromFiles.stdout.trim(), '그루브웍스 세종 시 있 세종+시');
    const idx = join(dir, 'idx');
    const built = await run(['index', sample, '--analyzer', file, '--out', idx, '--quiet']);
    assert.equal(built.code, 0, built.stderr);
    const hits = await run(['search', idx, 'zzqx', '--json']);
    assert.equal(hits.code, 0, hits.stderr);
    const found = JSON.parse(hits.stdout);
    assert.ok(found.length > 0 && found.every((h) => h.title.includes('기초연금')), hits.stdout);
    // the sample never says zzqx: only the synonym stored with the index finds those pages
    const plainIdx = join(dir, 'plain');
    assert.equal((await run(['index', sample, '--analyzer', 'ko-mecab', '--out', plainIdx, '--quiet'])).code, 0);
    assert.deepEqual(JSON.parse((await run(['search', plainIdx, 'zzqx', '--json'])).stdout), []);
    await writeFile(join(dir, 'rules.txt'), '노령연금 => 기초연금\n');
    for (const [value, message] of [
      [join(dir, 'missing.json'), /cannot read it \(ENOENT\)/],
      ['{"name":', /not valid JSON/],
      ['{"nam":"ko-mecab"}', /a JSON object with a "name"/],
      [JSON.stringify({ name: 'ko-mecab', synonyms: join(dir, 'rules.txt') }), /not one-way rules/],
      [JSON.stringify({ name: 'ko-mecab', stopwords: join(dir, 'none.txt') }), /stopwords .*cannot read it/],
    ]) {
      const bad = await run(['analyze', '--analyzer', value, 'x']);
      assert.equal(bad.code, 2, `${value}: ${bad.stderr}`);
      assert.match(bad.stderr, message);
    }
    // many texts at once: JSONL strings or {id, title, text}; the same terms as one at a time
    const texts = join(dir, 'texts.jsonl');
    await writeFile(texts, '"기초연금을 신청하려면"\n{"id":"a","title":"청년","text":"월세 지원을 받았다"}\n');
    const many = await run(['analyze', '--file', texts, '--analyzer', 'ko-mecab', '--json']);
    assert.equal(many.code, 0, many.stderr);
    const lines = many.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const one = async (t) => JSON.parse((await run(['analyze', '--analyzer', 'ko-mecab', '--json', t])).stdout);
    assert.deepEqual(lines, [
      { id: '1', terms: await one('기초연금을 신청하려면') },
      { id: 'a', terms: await one('청년 월세 지원을 받았다') },
    ]);
    assert.equal((await run(['analyze', '--file', texts, '--verbose'])).code, 2);
    const unknown = await run(['analyze', '--analyzer', '{"name":"ko-mecab","bogus":1}', 'x']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /UNKNOWN_OPTION/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('errors: one line on stderr, non-zero exit, stack only with --debug', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-cli-'));
  try {
    const unknownOption = await run(['eval', sample, '--retriver', 'bm25']);
    assert.equal(unknownOption.code, 2);
    assert.match(unknownOption.stderr, /Unknown option '--retriver'/);

    const unknownCommand = await run(['serach']);
    assert.equal(unknownCommand.code, 2);

    const missing = await run(['search', join(dir, 'nothing'), '질문']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    assert.match(missing.stderr, /NOT_FOUND/);
    assert.doesNotMatch(missing.stderr, /\n\s+at /);

    const withStack = await run(['search', join(dir, 'nothing'), '질문', '--debug']);
    assert.match(withStack.stderr, /\n\s+at /);

    const badJsonl = join(dir, 'bad.jsonl');
    await writeFile(badJsonl, '{"_id":"a","title":"","text":"하나"}\n{"_id":"b", oops}\n');
    const malformed = await run(['index', badJsonl, '--out', join(dir, 'bad-idx'), '--analyzer', 'whitespace']);
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, /bad\.jsonl:2/);

    const dup = join(dir, 'dup.jsonl');
    await writeFile(dup, '{"_id":"a","text":"하나"}\n{"_id":"a","text":"둘"}\n');
    const duplicated = await run(['index', dup, '--out', join(dir, 'dup-idx'), '--analyzer', 'whitespace']);
    assert.equal(duplicated.code, 1);
    assert.match(duplicated.stderr, /dup\.jsonl:2/);

    const badK = await run(['search', join(dir, 'nothing'), '질문', '--k', '0']);
    assert.equal(badK.code, 2);
    const badRetriever = await run(['eval', sample, '--retriever', 'magic']);
    assert.equal(badRetriever.code, 2);
    assert.match(badRetriever.stderr, /unknown retriever "magic"/);

    const version = await run(['--version']);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('train: writes a model eval can load, scores --eval sets per epoch; an existing model is refused before training unless --force', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-cli-'));
  try {
    const out = join(dir, 'model');
    const args = (seed) => [
      'train',
      '--qrels',
      sample,
      '--corpus',
      sample,
      '--dim',
      '16',
      '--buckets',
      '1024',
      '--batch-size',
      '8',
      '--epochs',
      '1',
      '--seed',
      String(seed),
      '--out',
      out,
      '--json',
      '-q',
    ];
    const badRows = await run([...args(1), '--rows', '1024']);
    assert.equal(badRows.code, 1);
    assert.match(badRows.stderr, /rows must be an integer in 32\.\.buckets-1 \(1023\), got 1024 \[INVALID_ARGUMENT\]/);
    const badEval = await run([...args(1), '--eval', join(dir, 'missing')]);
    assert.equal(badEval.code, 1);
    assert.match(badEval.stderr, /dataset directory not found: .*missing \[NOT_FOUND\]/);
    await assert.rejects(readFile(join(out, 'config.json')), 'nothing written when an eval set is missing');

    const first = await run([...args(1), '--epochs', '2', '--eval', sample]);
    assert.equal(first.code, 0, first.stderr);
    const summary = JSON.parse(first.stdout);
    assert.ok(summary.steps > 0);
    assert.deepEqual(
      summary.eval.map((e) => [e.epoch, e.set, e.split]),
      [
        [1, 'sample-ko', 'test'],
        [2, 'sample-ko', 'test'],
      ],
    );
    for (const e of summary.eval)
      assert.ok(e['ndcg@10'] >= 0 && e['ndcg@10'] <= 1 && e['recall@1'] >= 0 && e['recall@1'] <= 1);
    const config = await readFile(join(out, 'config.json'), 'utf8');
    const weights = await readFile(join(out, 'model.safetensors'));
    assert.equal(JSON.parse(config).training.seed, 1);
    // the exact bytes repeat only on the same kernel family and thread count: both are recorded
    const { kernel, threads } = JSON.parse(config).training;
    assert.ok(['avx512', 'avx2', 'scalar'].includes(kernel), kernel);
    assert.ok(Number.isInteger(threads) && threads >= 1);
    const dense = await run(['eval', sample, '--retriever', 'dense', '--model', out, '--json']);
    assert.equal(dense.code, 0, dense.stderr);
    assert.ok(JSON.parse(dense.stdout).metrics['ndcg@10'] >= 0);
    // the passage split the model asks for: 150/50 characters unless --passages says otherwise
    assert.deepEqual(JSON.parse(config).passages, { by: 'chars', size: 150, overlap: 50 });
    assert.deepEqual(JSON.parse(dense.stdout).passages, { by: 'chars', size: 150, overlap: 50 });

    const again = await run(args(2));
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /config\.json already exists \(use force \/ --force to replace the model\) \[INVALID_ARGUMENT\]/,
    );
    assert.doesNotMatch(again.stderr, /trained/);
    assert.equal(await readFile(join(out, 'config.json'), 'utf8'), config, 'the existing model is untouched');
    assert.deepEqual(await readFile(join(out, 'model.safetensors')), weights);

    const forced = await run([...args(2), '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    const replaced = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    assert.equal(replaced.training.seed, 2);
    assert.doesNotMatch(replaced.training.command, /--force/, 'the recorded command reproduces the model anywhere');
    const whole = await run([...args(2), '--force', '--passages', 'none']);
    assert.equal(whole.code, 0, whole.stderr);
    assert.equal(JSON.parse(await readFile(join(out, 'config.json'), 'utf8')).passages, undefined);
    assert.equal((await run([...args(2), '--force', '--passages', '10:10'])).code, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
