// Export contracts: every body an export writes validates against the OpenSearch / Elasticsearch API
// specifications (structure and types), and passes the project's own rules from FACTS.md, each of which
// a planted mistake breaks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkExportRules,
  float32Json,
  NORI_DEFAULT_STOP_TAGS,
  noriStopTags,
  noriTags,
  prepareExport,
  renderQueryTemplate,
  resolveTarget,
} from 'tamsaek';
import { specFor } from './helpers/spec-validator.mjs';

const TARGETS = [
  ['opensearch', '2.19'],
  ['opensearch', '3.x'],
  ['elasticsearch', '8.x'],
  ['elasticsearch', '9.x'],
];

function source(overrides = {}) {
  return {
    dir: '/tmp/x',
    generation: 1,
    documents: 3,
    analyzer: {
      name: 'ko-morph',
      userDictionary: [
        { word: '세종시', pos: 'NNP', parts: ['세종', '시'] },
        { word: '기초연금', pos: 'NNG' },
      ],
      synonyms: [
        ['노인', '어르신', '고령자'],
        ['국민연금', '국민 연금'],
      ],
      stopwords: ['것'],
    },
    bm25: { k1: 1.2, b: 0.75 },
    dense: {
      dim: 8,
      metric: 'cosine',
      indexKind: 'auto',
      hnsw: { M: 16, efConstruction: 200, efSearch: 64 },
      passages: true,
      modelId: 'm',
    },
    fusion: { method: 'cc', normalizer: 'mm' },
    depth: 100,
    ...overrides,
  };
}

// fusion configurations each target line can express
function fusionsFor(target, version) {
  const all = [
    { method: 'cc', normalizer: 'mm', weights: { bm25: 0.3, dense: 0.7 } },
    { method: 'cc', normalizer: 'l2' },
    { method: 'rrf', k: 60 },
  ];
  if (target === 'opensearch' && version === '3.x')
    all.push(
      { method: 'cc', normalizer: 'z', weights: { bm25: 2, dense: 1 } },
      { method: 'cc', normalizer: 'tmm', theoreticalMin: { bm25: 0, passages: 0, win: 0, dense: -1 } },
      { method: 'rrf', k: 20, weights: { bm25: 1, dense: 3 } },
    );
  if (target === 'elasticsearch' && version === '9.x')
    all.push({ method: 'rrf', k: 10, weights: { bm25: 1, dense: 3 } });
  return all;
}

function render(prepared, dim) {
  return renderQueryTemplate(prepared.bodies.template.script.source, {
    query_text: '기초연금 "신청"\n방법',
    query_vector: dim ? Array.from({ length: dim }, (_, i) => (i + 1) / dim) : undefined,
    size: 10,
  });
}

function assertValid(errors, what) {
  assert.deepEqual(errors, [], `${what}: ${errors.join('; ')}`);
}

for (const [target, version] of TARGETS) {
  test(`${target} ${version}: index, pipeline and search bodies validate against the spec and pass the rules`, () => {
    const spec = specFor(target);
    const t = resolveTarget(target, version);
    const layouts = [
      source(),
      source({ dense: { ...source().dense, passages: false, metric: 'dot' } }),
      source({ dense: undefined }),
      source({ bm25: { k1: 1.5, b: 0.6, titleWeight: 2 } }),
      source({ analyzer: { name: 'whitespace', synonyms: [['a', 'b']] } }),
      source({ analyzer: { name: 'ko-mecab', userDictionary: ['기초연금', { word: '세종시', cost: 2000 }] } }),
      source({ passages: { name: 'passages', k1: 1.2, b: 0.75, split: { by: 'chars', size: 150 }, bigrams: true } }),
      source({
        passages: { name: 'win', k1: 0.9, b: 0.6, split: { by: 'chars', size: 80 }, bigrams: false },
        dense: { ...source().dense, passages: false },
      }),
    ];
    let checked = 0;
    for (const base of layouts) {
      const fusions = base.dense ? fusionsFor(target, version) : [base.fusion];
      for (const fusion of fusions) {
        const s = { ...base, fusion };
        if (s.bm25.titleWeight !== undefined && target === 'opensearch' && version === '2.19') continue;
        const prepared = prepareExport(s, t, { shards: 2, replicas: 0 }, 'tamsaek-test');
        const what = `${JSON.stringify(fusion)} dense=${JSON.stringify(s.dense?.passages)}`;
        assertValid(spec.index(prepared.bodies.index), `index ${what}`);
        if (prepared.bodies.pipeline) assertValid(spec.pipeline(prepared.bodies.pipeline), `pipeline ${what}`);
        assert.equal(prepared.bodies.pipeline !== undefined, target === 'opensearch' && s.dense !== undefined);
        const search = render(prepared, s.dense?.dim);
        assertValid(spec.search(search), `search ${what}`);
        assert.deepEqual(
          checkExportRules(t, { index: prepared.bodies.index, pipeline: prepared.bodies.pipeline, search }),
          [],
        );
        checked++;
      }
    }
    assert.ok(checked >= 9);
  });
}

test('the validator has teeth: mistyped bodies are rejected', () => {
  const os = specFor('opensearch');
  const es = specFor('elasticsearch');
  const prepared = prepareExport(source(), resolveTarget('opensearch', '3.x'), {}, 'x');
  const index = structuredClone(prepared.bodies.index);
  index.settings.index.analysis.tokenizer.tamsaek_nori.decompound_mode = 'split';
  assert.notDeepEqual(os.index(index), []);
  const dim = structuredClone(prepared.bodies.index);
  dim.mappings.properties.passages.properties.vector.dimension = '8';
  assert.notDeepEqual(os.index(dim), []);
  const pipeline = structuredClone(prepared.bodies.pipeline);
  pipeline.phase_results_processors[0]['normalization-processor'].normalization.technique = 'minmax';
  assert.notDeepEqual(os.pipeline(pipeline), []);
  const search = render(prepared, 8);
  search.query.hybrid.queries[1].nested.query.knn['passages.vector'].vector = 'not a vector';
  assert.notDeepEqual(os.search(search), []);
  const esPrepared = prepareExport(source(), resolveTarget('elasticsearch', '9.x'), {}, 'x');
  const esSearch = render(esPrepared, 8);
  esSearch.retriever.linear.retrievers[0].normalizer = 'zscore';
  assert.notDeepEqual(es.search(esSearch), []);
  const esIndex = structuredClone(esPrepared.bodies.index);
  esIndex.mappings.properties.passages.properties.vector.similarity = 'cosinesimil';
  assert.notDeepEqual(es.index(esIndex), []);
  assert.notDeepEqual(os.bulkAction({ index: { _index: 'x', _id: 1 }, create: {} }), []);
});

test('stop tags: tamsaek prefixes become valid nori tags per Lucene; defaults as FACTS.md lists them', () => {
  for (const lucene of [9, 10]) {
    const valid = new Set(noriTags(lucene));
    for (const tag of NORI_DEFAULT_STOP_TAGS[lucene]) assert.ok(valid.has(tag), `${tag} on Lucene ${lucene}`);
    const tags = noriStopTags(['E', 'J', 'MM', 'S', 'VC'], lucene);
    for (const tag of tags) assert.ok(valid.has(tag));
    for (const kept of ['SL', 'SN', 'SH', 'NNG', 'NNP', 'VV', 'VA', 'MAG']) assert.ok(!tags.includes(kept), kept);
    for (const dropped of ['MM', 'SF', 'SC', 'SY', 'VCP', 'VCN']) assert.ok(tags.includes(dropped), dropped);
  }
  assert.ok(noriStopTags(['E', 'J'], 9).includes('E') && noriStopTags(['E', 'J'], 9).includes('J'));
  assert.deepEqual(noriStopTags(['E'], 10), ['EP', 'EF', 'EC', 'ETN', 'ETM']);
  assert.ok(!noriTags(10).includes('E') && !noriTags(10).includes('J'));
  assert.ok(!noriTags(9).includes('EC') && !noriTags(9).includes('JKS'));
  assert.deepEqual(noriStopTags(['EC', 'JX'], 10), ['EC', 'JX']);
  assert.throws(() => noriStopTags(['EC'], 9), { code: 'NOT_SUPPORTED' });
});

// ---- planted mistakes: one per rule ----

function bodies(target = 'opensearch', version = '3.x', s = source()) {
  const t = resolveTarget(target, version);
  const prepared = prepareExport(s, t, {}, 'x');
  return {
    t,
    index: structuredClone(prepared.bodies.index),
    pipeline: prepared.bodies.pipeline && structuredClone(prepared.bodies.pipeline),
    search: render(prepared, s.dense?.dim),
  };
}

function violations(b) {
  return checkExportRules(b.t, { index: b.index, pipeline: b.pipeline, search: b.search });
}

test('rule: at most 5 hybrid sub-queries, hybrid at the top level only', () => {
  const b = bodies();
  assert.deepEqual(violations(b), []);
  const sub = b.search.query.hybrid.queries[0];
  b.search.query.hybrid.queries = [sub, sub, sub, sub, sub, sub];
  assert.match(violations(b).join(), /6 sub-queries/);
  const c = bodies();
  c.search.query = { bool: { must: [c.search.query] } };
  assert.match(violations(c).join(), /top-level/);
});

test('rule: weights in [0, 1], summing to 1, one per sub-query', () => {
  const b = bodies();
  const params = b.pipeline.phase_results_processors[0]['normalization-processor'].combination.parameters;
  params.weights = [0.6, 0.6];
  assert.match(violations(b).join(), /sum to 1/);
  params.weights = [1.2, -0.2];
  assert.match(violations(b).join(), /\[0, 1\]/);
  params.weights = [0.2, 0.3, 0.5];
  assert.match(violations(b).join(), /3 weights for 2 sub-queries/);
  const e = bodies('elasticsearch', '9.x');
  e.search.retriever.linear.retrievers[0].weight = 0.9;
  assert.match(violations(e).join(), /sum to 1/);
  const r = bodies('opensearch', '3.x', source({ fusion: { method: 'rrf', weights: { bm25: 1, dense: 3 } } }));
  r.pipeline.phase_results_processors[0]['score-ranker-processor'].combination.parameters.weights = [0.5, 0.6];
  assert.match(violations(r).join(), /sum to 1/);
});

test('rule: stop tags valid for the target version', () => {
  const b = bodies('opensearch', '3.x');
  b.index.settings.index.analysis.filter.tamsaek_pos.stoptags.push('E');
  assert.match(violations(b).join(), /stop tags E are not nori tags on Lucene 10/);
  const c = bodies('elasticsearch', '8.x');
  assert.deepEqual(violations(c), []);
  c.index.settings.index.analysis.filter.tamsaek_pos.stoptags.push('JKS');
  assert.match(violations(c).join(), /JKS are not nori tags on Lucene 9/);
});

test('rule: no nori filter defined as a custom type', () => {
  const b = bodies();
  b.index.settings.index.analysis.filter.reading = { type: 'nori_readingform' };
  assert.match(violations(b).join(), /nori_readingform has no options/);
  const c = bodies();
  c.index.settings.index.analysis.char_filter = { kanji: { type: 'normalize_kanji' } };
  assert.match(violations(c).join(), /no char filter/);
  const d = bodies();
  d.index.settings.index.analysis.tokenizer.tamsaek_nori.user_dictionary = 'userdict_ko.txt';
  assert.match(violations(d).join(), /cannot both be set/);
});

test('rules: version features, rank constant, vector dimension, index.knn', () => {
  const z = bodies('opensearch', '3.x', source({ fusion: { method: 'cc', normalizer: 'z' } }));
  assert.deepEqual(violations(z), []);
  const z2 = { ...z, t: resolveTarget('opensearch', '2.19') };
  assert.match(violations(z2).join(), /z_score needs OpenSearch 3.x/);
  z.pipeline.phase_results_processors[0]['normalization-processor'].combination.technique = 'harmonic_mean';
  assert.match(violations(z).join(), /only with arithmetic_mean/);
  const r = bodies('opensearch', '3.x', source({ fusion: { method: 'rrf' } }));
  r.pipeline.phase_results_processors[0]['score-ranker-processor'].combination.rank_constant = 0;
  assert.match(violations(r).join(), /rank_constant/);
  const v = bodies();
  v.index.mappings.properties.passages.properties.vector.dimension = 20_000;
  delete v.index.settings.index.knn;
  const out = violations(v).join();
  assert.match(out, /dimension must be an integer in 1..16000/);
  assert.match(out, /index.knn must be true/);
});

test('bulk vectors: every float32 prints as a decimal that reads back as exactly the same float32', () => {
  const values = [0, -0, 1, -1, 0.1, 1 / 3, 1e-8, -3.4e38, 1.17549435e-38, 2 ** -149, 123456.789];
  let seed = 11;
  for (let i = 0; i < 20_000; i++)
    values.push(Math.fround(((seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5) * 2 ** ((i % 40) - 20)));
  for (const v of values) {
    const f = Math.fround(v);
    const text = float32Json(f);
    assert.ok(Math.fround(Number(text)) === f, text); // -0 prints as 0, the same value
    const digits = text.replace(/^-/, '').split('e')[0].replace('.', '').replace(/^0+/, '');
    assert.ok(digits.length <= 9, text);
    assert.doesNotThrow(() => JSON.parse(`[${text}]`));
  }
  assert.throws(() => float32Json(Number.NaN), { code: 'INVALID_ARGUMENT' });
});
