// Engine facade: one id space over BM25 + dense, fusion, rerank, snippets, chunking, abort/timeout.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, registerLeg } from 'tamsaek';
import { HashEmbedder, OverlapReranker, refuseOnceLeg } from './helpers/fake-models.mjs';
import { WELFARE_DOCS } from './helpers/welfare-docs.mjs';

const DOCS = WELFARE_DOCS;

test('hybrid search fuses BM25 and dense evidence over one id space', async () => {
  const engine = await Engine.create({ analyzer: 'ngram', dense: { embedder: new HashEmbedder() }, passages: false });
  assert.deepEqual(engine.legs, ['bm25', 'dense']);
  await engine.add(DOCS);
  // a small corpus gets the exact index, native when the addon is built (it is, for npm test)
  assert.equal(engine.describe().legs[1].index, 'FlatIndex');
  const hits = await engine.search('예금 보호 한도', { k: 3 });
  assert.equal(hits[0].id, 'deposit');
  assert.ok(hits[0].legs.bm25 && hits[0].legs.dense, 'both legs report evidence');
  assert.equal(hits[0].legs.bm25.rank, 1);
  assert.ok(hits[0].score > hits[1].score);
  assert.deepEqual(hits[0].meta, { area: 'finance' });
  assert.equal(hits[0].title, '예금자 보호');

  // the default fusion: min-max convex combination, equal weights (docs/fusion.md) — fused scores in [0, 1]
  assert.deepEqual(engine.describe().fusion, { method: 'cc', normalizer: 'mm' });
  assert.ok(hits.every((h) => h.fusedScore >= 0 && h.fusedScore <= 1));
  const mm = (leg, id) => {
    const scores = leg.hits.map((h) => h.score);
    return (
      (leg.hits.find((h) => h.id === id).score - Math.min(...scores)) / (Math.max(...scores) - Math.min(...scores))
    );
  };
  const [bm25Leg, denseLeg] = await engine.tunable().retrieve('예금 보호 한도', { depth: engine.describe().depth });
  assert.ok(Math.abs(hits[0].fusedScore - (0.5 * mm(bm25Leg, hits[0].id) + 0.5 * mm(denseLeg, hits[0].id))) < 1e-12);

  // a leg can be switched off per search, and weights change the fusion
  const bm25Only = await engine.search('예금 보호 한도', { legs: ['bm25'] });
  assert.ok(bm25Only.every((h) => h.legs.dense === undefined));
  assert.equal(bm25Only[0].score, bm25Only[0].legs.bm25.score);
  const heavyDense = await engine.search('월세 지원 청년', { weights: { bm25: 0, dense: 1 } });
  const denseOnly = await engine.search('월세 지원 청년', { legs: ['dense'] });
  assert.deepEqual(
    heavyDense.map((h) => h.id),
    denseOnly.map((h) => h.id),
  );

  // metadata filter applies to every leg
  const finance = await engine.search('지원', { filter: { area: 'finance' } });
  assert.ok(finance.length > 0 && finance.every((h) => h.meta.area === 'finance'));
});

test('upsert and delete reach every leg', async () => {
  const engine = await Engine.create({ analyzer: 'ngram', dense: { embedder: new HashEmbedder() } });
  await engine.add(DOCS);
  await assert.rejects(engine.add([DOCS[0]]), { code: 'DUPLICATE_ID' });
  await assert.rejects(
    engine.add([
      { id: 'x', text: 'a' },
      { id: 'x', text: 'b' },
    ]),
    { code: 'DUPLICATE_ID' },
  );
  await engine.upsert([{ id: 'rent', text: '반려동물 진료비 지원 제도 안내' }]);
  const pets = await engine.search('반려동물 진료비', { k: 1 });
  assert.equal(pets[0].id, 'rent');
  assert.ok(pets[0].legs.dense && pets[0].legs.bm25);
  assert.ok((await engine.search('청년 월세', { legs: ['bm25'] })).every((h) => h.id !== 'rent'));
  assert.equal(await engine.delete(['deposit', 'nope']), 1);
  for (const legs of [['bm25'], ['dense']]) {
    assert.ok(
      (await engine.search('예금자 보호 은행', { legs, k: 10 })).every((h) => h.id !== 'deposit'),
      legs.join(),
    );
  }
  assert.equal(engine.size, 4);
});

test('reranker reorders the top-N and threshold drops weak candidates', async () => {
  const engine = await Engine.create({
    analyzer: 'ngram',
    rerank: { reranker: new OverlapReranker('첫만남'), topN: 5, threshold: 1 },
  });
  await engine.add(DOCS);
  const hits = await engine.search('지원 받을 수 있는 제도', { k: 5 });
  assert.equal(hits[0].id, 'baby');
  assert.ok(hits[0].legs.rerank.score >= 100);
  assert.ok(hits.every((h) => h.legs.rerank.score >= 1));
  assert.ok(hits[0].fusedScore !== hits[0].score);
  const without = await engine.search('지원 받을 수 있는 제도', { k: 5, rerank: false });
  assert.ok(without.every((h) => h.legs.rerank === undefined));
});

test('snippets carry character offsets of the matched terms', async () => {
  const engine = await Engine.create({ analyzer: 'ko-morph' });
  const long =
    '서론입니다. '.repeat(40) +
    '주택담보 대출 금리를 낮추는 방법은 정부 지원 상품 비교입니다. ' +
    '결론입니다. '.repeat(40);
  await engine.add([{ id: 'long', text: long }, DOCS[0], DOCS[4]]);
  const [hit] = await engine.search('주택담보 대출 금리', { k: 1, highlight: { maxChars: 80 } });
  assert.equal(hit.id, 'long');
  const { snippet } = hit;
  assert.ok(snippet.end - snippet.start <= 80);
  assert.equal(long.slice(snippet.start, snippet.end), snippet.text);
  const marked = snippet.highlights.map((h) => long.slice(h.start, h.end));
  assert.ok(marked.includes('대출') && marked.includes('금리'), marked.join());
});

test('chunked documents: passages are searched, hits map back to documents with passage offsets', async () => {
  const engine = await Engine.create({
    analyzer: 'ngram',
    dense: { embedder: new HashEmbedder() },
    chunk: { by: 'sentences', size: 2, overlap: 1 },
  });
  const text =
    '첫 문장은 날씨 이야기입니다. 두 번째는 음식 이야기입니다. 세 번째는 주택 청약 조건을 설명합니다. 네 번째는 여행 이야기입니다.';
  await engine.add([{ id: 'multi', text }, ...DOCS]);
  const hits = await engine.search('주택 청약 조건', { k: 3, highlight: true });
  assert.equal(hits[0].id, 'multi');
  assert.equal(new Set(hits.map((h) => h.id)).size, hits.length, 'one hit per document');
  const p = hits[0].passage;
  assert.ok(text.slice(p.start, p.end).includes('주택 청약'));
  assert.ok(p.end - p.start < text.length);
  assert.ok(hits[0].snippet.highlights.length > 0);
  await engine.delete(['multi']);
  assert.ok((await engine.search('주택 청약 조건', { k: 10 })).every((h) => h.id !== 'multi'));
});

test('abort signals and timeouts stop a search with typed errors', async () => {
  const engine = await Engine.create({ analyzer: 'ngram', dense: { embedder: new HashEmbedder(64, { delayMs: 0 }) } });
  await engine.add(DOCS);
  const slow = new HashEmbedder(64, { delayMs: 300 });
  const slowEngine = await Engine.create({ analyzer: 'ngram', dense: { embedder: slow } });
  slow.delayMs = 0;
  await slowEngine.add(DOCS);
  slow.delayMs = 300;
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(engine.search('연금', { signal: aborted.signal }), { code: 'ABORTED' });
  const controller = new AbortController();
  const pending = slowEngine.search('연금', { signal: controller.signal });
  setTimeout(() => controller.abort(), 20);
  const started = performance.now();
  await assert.rejects(pending, { code: 'ABORTED' });
  assert.ok(performance.now() - started < 250, 'rejects when aborted, not when the embedder finishes');
  await assert.rejects(slowEngine.search('연금', { timeoutMs: 30 }), { code: 'TIMEOUT' });
});

test('searches run safely while documents are being ingested', async () => {
  const embedder = new HashEmbedder(32, { delayMs: 5 });
  const engine = await Engine.create({ analyzer: 'ngram', dense: { embedder } });
  await engine.add(DOCS);
  const batches = [];
  for (let b = 0; b < 5; b++)
    batches.push(
      Array.from({ length: 40 }, (_, i) => ({ id: `b${b}-${i}`, text: `배치 ${b} 문서 ${i} 주거 급여 안내 ${i % 7}` })),
    );
  const ingest = Promise.all(batches.map((docs) => engine.add(docs)));
  const searches = [];
  for (let i = 0; i < 20; i++) searches.push(engine.search('주거 급여', { k: 5 }));
  const results = await Promise.all(searches);
  await ingest;
  assert.equal(engine.size, DOCS.length + 200);
  for (const r of results) for (const h of r) assert.ok(engine.has(h.id));
  assert.equal((await engine.search('배치 4 문서 39', { k: 1, legs: ['bm25'] }))[0].id, 'b4-39');
});

test('precomputed document and query vectors are used as given and skip the embedder', async () => {
  const model = new HashEmbedder();
  const texts = [];
  const counting = {
    dim: model.dim,
    modelId: model.modelId,
    embed: async (t, o) => (texts.push(...t), model.embed(t, o)),
  };
  const engine = await Engine.create({ analyzer: 'ngram', dense: { embedder: counting } });
  const docVectors = await model.embed(DOCS.map((d) => `${d.title} ${d.text}`));
  const at = (i) => docVectors.slice(i * model.dim, (i + 1) * model.dim);
  // three documents bring their vectors (one as a plain array), two are embedded by the engine
  await engine.add(DOCS.map((d, i) => (i < 3 ? { ...d, vector: i === 0 ? Array.from(at(i)) : at(i) } : d)));
  assert.deepEqual(
    texts,
    DOCS.slice(3).map((d) => `${d.title} ${d.text}`),
  );
  const reference = await Engine.create({ analyzer: 'ngram', dense: { embedder: new HashEmbedder() } });
  await reference.add(DOCS);
  const query = '예금 보호 한도';
  assert.deepEqual(await engine.search(query, { legs: ['dense'] }), await reference.search(query, { legs: ['dense'] }));
  assert.equal(engine.get('pension').vector, undefined);

  // a query vector replaces embedding the query text, even with no text at all
  texts.length = 0;
  const queryVector = await model.embed([query]);
  const byVector = await engine.search('', { vector: queryVector, legs: ['dense'] });
  assert.deepEqual(texts, []);
  assert.deepEqual(byVector, await reference.search(query, { legs: ['dense'] }));
  // the vector is what counts: a document whose stored vector is the query's comes first
  await engine.upsert([{ id: 'unrelated', text: '전혀 다른 내용', vector: queryVector }]);
  assert.equal((await engine.search(query, { legs: ['dense'], k: 1 }))[0].id, 'unrelated');

  // bad vectors are typed errors and add nothing
  const size = engine.size;
  await assert.rejects(engine.add([{ id: 'v1', text: 'x', vector: new Float32Array(model.dim + 1) }]), {
    code: 'DIMENSION_MISMATCH',
  });
  await assert.rejects(engine.add([{ id: 'v2', text: 'x', vector: Array.from(at(0)).fill(NaN, 3, 4) }]), {
    code: 'INVALID_ARGUMENT',
  });
  await assert.rejects(engine.add([{ id: 'v3', text: 'x', vector: 'abc' }]), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(
    engine.add([
      { id: 'ok', text: 'x' },
      { id: 'v4', text: 'x', vector: [1, 2] },
    ]),
    { code: 'DIMENSION_MISMATCH' },
  );
  assert.equal(engine.size, size);
  await assert.rejects(engine.search(query, { vector: [1, 2, 3] }), { code: 'DIMENSION_MISMATCH' });
  await assert.rejects(engine.search(query, { vector: new Float32Array(model.dim).fill(Infinity) }), {
    code: 'INVALID_ARGUMENT',
  });
  const lexical = await Engine.create({ analyzer: 'ngram' });
  await assert.rejects(lexical.add([{ id: 'a', text: 'x', vector: at(0) }]), /no dense leg/);
  await assert.rejects(lexical.search('x', { vector: at(0) }), /no dense leg/);
});

test("dense: { dim } — a dense leg without a model takes the caller's vectors only", async () => {
  const model = new HashEmbedder();
  const engine = await Engine.create({ analyzer: 'ngram', dense: { dim: model.dim } });
  assert.deepEqual(engine.legs, ['bm25', 'passages', 'dense']);
  const vectors = await model.embed(DOCS.map((d) => `${d.title} ${d.text}`));
  await engine.add(DOCS.map((d, i) => ({ ...d, vector: vectors.subarray(i * model.dim, (i + 1) * model.dim) })));
  const reference = await Engine.create({ analyzer: 'ngram', dense: { embedder: model } });
  await reference.add(DOCS);
  const query = '청년 월세 지원';
  const vector = await model.embed([query]);
  assert.deepEqual(await engine.search(query, { vector, k: 3 }), await reference.search(query, { k: 3 }));
  assert.deepEqual(
    (await engine.search(query, { legs: ['bm25'] })).map((h) => h.id),
    (await reference.search(query, { legs: ['bm25'] })).map((h) => h.id),
  );
  // without a vector there is nothing to embed with: typed errors, nothing added
  await assert.rejects(engine.search(query), { code: 'INVALID_ARGUMENT', message: /no model/ });
  await assert.rejects(engine.add([{ id: 'novec', text: '벡터 없는 문서' }]), {
    code: 'INVALID_ARGUMENT',
    message: /no model/,
  });
  assert.equal(engine.has('novec'), false);
  await assert.rejects(Engine.create({ dense: { dim: 0 } }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(Engine.create({ dense: { dim: 1.5 } }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(Engine.create({ dense: { dim: 64, embedder: model } }), {
    code: 'INVALID_ARGUMENT',
    message: /not both/,
  });
  await assert.rejects(Engine.create({ dense: {} }), { code: 'INVALID_ARGUMENT' });
});

test('bad input: options, documents, queries', async () => {
  const engine = await Engine.create({ analyzer: 'ngram' });
  await assert.rejects(Engine.create({ analyser: 'ngram' }), { code: 'UNKNOWN_OPTION' });
  await assert.rejects(Engine.create({ depth: 0 }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(Engine.create({ fusion: { method: 'magic' } }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(Engine.create({ dense: { embedder: {} } }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(engine.add([{ id: '', text: 'x' }]), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(engine.add([{ id: 'a', text: 5 }]), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(engine.add([{ id: 'a', text: 'x', body: 'y' }]), { code: 'UNKNOWN_OPTION' });
  await assert.rejects(engine.add('not an array'), { code: 'INVALID_ARGUMENT' });
  await engine.add(DOCS);
  await assert.rejects(engine.search('연금', { k: 0 }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(engine.search('연금', { legs: ['dense'] }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(engine.search('연금', { limit: 5 }), { code: 'UNKNOWN_OPTION' });
  await assert.rejects(engine.search(42), { code: 'INVALID_ARGUMENT' });
  assert.deepEqual(await engine.search(''), []);
  assert.deepEqual(await engine.search(' \n\t '), []);
  // a failing embedder leaves no half-added documents behind
  const broken = { dim: 8, modelId: 'broken', embed: async (texts) => new Float32Array(texts.length * 8).fill(NaN) };
  const fragile = await Engine.create({ analyzer: 'ngram', dense: { embedder: broken } });
  await assert.rejects(fragile.add(DOCS), { code: 'INVALID_ARGUMENT' });
  assert.equal(fragile.size, 0);
  assert.deepEqual(await fragile.search('연금', { legs: ['bm25'] }), []);
});

test('reranking reorders only the top-N; the rest follow in fused order', async () => {
  const engine = await Engine.create({
    analyzer: 'ngram',
    rerank: { reranker: new OverlapReranker('첫만남'), topN: 2 },
  });
  await engine.add(DOCS);
  const hits = await engine.search('지원', { k: 5, legs: ['bm25'] });
  const plain = await engine.search('지원', { k: 5, legs: ['bm25'], rerank: false });
  assert.equal(hits.length, plain.length);
  assert.ok(hits.length > 2);
  assert.ok(hits.slice(0, 2).every((h) => h.legs.rerank));
  assert.ok(hits.slice(2).every((h) => !h.legs.rerank));
  assert.deepEqual(new Set(hits.slice(0, 2).map((h) => h.id)), new Set(plain.slice(0, 2).map((h) => h.id)));
  assert.deepEqual(
    hits.slice(2).map((h) => h.id),
    plain.slice(2).map((h) => h.id),
  );
});

test('a failed upsert keeps the previous version; a closed engine refuses writes with CLOSED', async () => {
  let fail = false;
  const inner = new HashEmbedder();
  const flaky = {
    dim: inner.dim,
    modelId: 'flaky',
    embed: async (texts, o) =>
      fail && texts.some((t) => t.includes('고장'))
        ? new Float32Array(texts.length * inner.dim).fill(NaN)
        : inner.embed(texts, o),
  };
  const engine = await Engine.create({ analyzer: 'ngram', dense: { embedder: flaky } });
  await engine.add(DOCS);
  fail = true;
  await assert.rejects(engine.upsert([{ id: 'rent', text: '고장 난 문서' }]), { code: 'INVALID_ARGUMENT' });
  assert.equal(engine.get('rent').text, DOCS[1].text, 'the old version is intact');
  assert.equal((await engine.search('청년 월세', { k: 1 }))[0].id, 'rent');
  await engine.close();
  await assert.rejects(engine.add([{ id: 'z', text: 'z' }]), { code: 'CLOSED' });

  // a failure after the old version was taken out (here: the vector index refuses the new rows once)
  // puts the old version back with the vector it had, even without a model to re-embed it
  // (a leg after the dense one refuses the new version once: the engine must put the old one back everywhere)
  const refuseOnce = refuseOnceLeg(registerLeg);
  for (const dense of [{ dim: 8 }, { embedder: new HashEmbedder(8) }]) {
    const e = await Engine.create({
      analyzer: 'ngram',
      legs: [
        { name: 'bm25', kind: 'bm25' },
        { name: 'dense', kind: 'dense', options: dense },
        { name: 'flaky', kind: 'refuse-once' },
      ],
      depth: 10,
    });
    const own = new Float32Array(8);
    own[5] = 1;
    await e.add([
      { id: 'kept', text: '원래 문서', vector: own },
      { id: 'other', text: '다른 문서', vector: new Float32Array(8).fill(0.3) },
    ]);
    refuseOnce.arm();
    await assert.rejects(e.upsert([{ id: 'kept', text: '새 문서', vector: new Float32Array(8).fill(1) }]), /no room/);
    assert.equal(e.get('kept').text, '원래 문서');
    assert.equal((await e.search('', { vector: own, legs: ['dense'], k: 1 }))[0].id, 'kept', JSON.stringify(dense));
    assert.equal(e.size, 2);
  }
  await assert.rejects(engine.search('월세'), { code: 'CLOSED' });
});

test('dense.chunk: the dense leg embeds passages and scores a document by its best one; BM25 keeps whole documents', async () => {
  const filler = Array.from(
    { length: 12 },
    (_, i) => `${i}번째 문단은 지역 축제와 공연 일정, 박물관 관람 시간을 소개합니다.`,
  ).join(' ');
  const long = { id: 'long', text: `${filler} 주택 청약 조건을 설명합니다. ${filler}` };
  const short = { id: 'short', text: '주택 정보 안내 게시판' };
  const query = '주택 청약 조건';
  const whole = await Engine.create({ analyzer: 'ngram', dense: { embedder: new HashEmbedder(512), chunk: false } });
  await whole.add([long, short, ...DOCS]);
  const densePassages = (e) => e.describe().legs.find((l) => l.kind === 'dense').passages;
  assert.equal(densePassages(whole), undefined);
  const wholeHits = await whole.search(query, { legs: ['dense'], k: 20 });
  assert.ok(
    wholeHits.findIndex((h) => h.id === 'long') > wholeHits.findIndex((h) => h.id === 'short'),
    'diluted by the rest of its page, the long document loses',
  );

  const split = { by: 'chars', size: 60, overlap: 20 };
  const engine = await Engine.create({
    analyzer: 'ngram',
    dense: { embedder: new HashEmbedder(512), chunk: split },
    passages: false,
  });
  await engine.add([
    long,
    short,
    ...DOCS,
    { id: 'given', text: '은행 예금 안내', vector: await new HashEmbedder(512).embed(['은행 예금 안내']) },
  ]);
  assert.deepEqual(densePassages(engine), { ...split });
  const dense = await engine.search(query, { legs: ['dense'], k: 20 });
  assert.equal(dense[0].id, 'long', 'its best passage wins');
  assert.equal(new Set(dense.map((h) => h.id)).size, dense.length, 'one hit per document');
  assert.equal(dense.length, DOCS.length + 3, 'every document once, the one with its own vector as one unit');
  const [bm25] = await engine.tunable().retrieve(query, { depth: 100 });
  assert.ok(
    bm25.hits.every((h) => !h.id.includes('\u0000')),
    'BM25 units are whole documents',
  );
  const hybrid = await engine.search(query, { k: 3, highlight: true });
  const hit = hybrid.find((h) => h.id === 'long');
  assert.ok(hit?.legs.bm25 && hit.legs.dense, 'the legs fuse on document ids');
  // the hit names the dense leg's best passage, and the snippet comes from it
  const { start, end } = hit.passage;
  assert.ok(long.text.slice(start, end).includes('주택 청약') && end - start <= 60, JSON.stringify(hit.passage));
  assert.ok(hit.snippet.start >= start && hit.snippet.end <= end);

  // upsert replaces every passage, delete removes them all
  await engine.upsert([{ id: 'long', text: filler }]);
  assert.notEqual((await engine.search(query, { legs: ['dense'] }))[0].id, 'long');
  await engine.delete(['long']);
  const after = (await engine.tunable().retrieve(query, { depth: 1000 }))[1];
  assert.ok(after.hits.every((h) => h.id !== 'long'));
  assert.equal(after.hits.length, DOCS.length + 2);

  // the model's own split is the default; false turns it off; an engine-wide chunk replaces it; both at once is an error
  const asking = Object.assign(new HashEmbedder(512), { passages: { by: 'chars', size: 80, overlap: 10 } });
  assert.deepEqual(densePassages(await Engine.create({ dense: { embedder: asking } })), {
    by: 'chars',
    size: 80,
    overlap: 10,
  });
  assert.equal(densePassages(await Engine.create({ dense: { embedder: asking, chunk: false } })), undefined);
  assert.deepEqual(
    densePassages(await Engine.create({ dense: { embedder: asking }, chunk: { by: 'sentences', size: 2 } })),
    { by: 'sentences', size: 2, overlap: 0 },
  );
  await assert.rejects(
    Engine.create({ dense: { embedder: asking, chunk: split }, chunk: { by: 'sentences', size: 2 } }),
    { code: 'INVALID_ARGUMENT', message: /dense\.chunk and chunk/ },
  );
  await assert.rejects(Engine.create({ dense: { embedder: asking, chunk: { by: 'chars', size: 0 } } }), {
    code: 'INVALID_ARGUMENT',
  });
});

test('a search analyses its query once: the BM25 leg, the highlighter and a model that reads the same terms share it', async () => {
  const { createAnalyzer } = await import('tamsaek');
  const base = createAnalyzer('ngram');
  const calls = [];
  const analyzer = { name: base.name, config: base.config, analyze: (t) => (calls.push(t), base.analyze(t)) };
  const model = new HashEmbedder();
  const given = [];
  const embedder = {
    dim: model.dim,
    modelId: 'terms-aware',
    termsAnalyzer: base.name,
    embed: (texts, o) => model.embed(texts, o),
    embedQueryTerms: (text, terms) => (given.push(terms), model.embed([text])),
  };
  const engine = await Engine.create({ analyzer, dense: { embedder } });
  await engine.add(DOCS);
  calls.length = 0;
  const hits = await engine.search('예금 보호 한도', { k: 3, highlight: true });
  assert.deepEqual(calls, ['예금 보호 한도'], 'one analysis for every leg and the snippets');
  assert.deepEqual(given, [base.analyze('예금 보호 한도')], 'the dense model got the same terms');
  assert.ok(hits[0].snippet.highlights.length > 0);
  // a model reading another analyzer's terms embeds the text itself
  const other = { ...embedder, termsAnalyzer: 'something-else' };
  const e2 = await Engine.create({ analyzer, dense: { embedder: other } });
  await e2.add(DOCS);
  given.length = 0;
  await e2.search('예금 보호 한도');
  assert.deepEqual(given, []);
});

test('with a dense model the default legs are bm25, passages (BM25 over 150-character windows) and dense, fused with the zero-shot weights', async () => {
  const long = {
    id: 'long',
    title: '주택 안내',
    text: `${'지역 축제와 공연 일정을 소개합니다. '.repeat(12)}전세 보증금 반환 보증에 가입하면 보증금을 돌려받을 수 있습니다. ${'박물관 관람 시간을 안내합니다. '.repeat(12)}`,
  };
  const engine = await Engine.create({ analyzer: 'ngram', dense: { embedder: new HashEmbedder() } });
  assert.deepEqual(engine.legs, ['bm25', 'passages', 'dense']);
  const d = engine.describe();
  assert.deepEqual(d.fusion, { method: 'cc', normalizer: 'mm', weights: { bm25: 0.4, passages: 0.3, dense: 0.3 } });
  assert.deepEqual(d.legs[1].passages, { by: 'chars', size: 150, overlap: 50 });
  // its depth per leg is 64 (chosen on validation, docs/fusion.md); other engines and given fusions keep 100
  assert.equal(d.depth, 64);
  const given = { method: 'cc', normalizer: 'mm', weights: { bm25: 0.5, passages: 0.2, dense: 0.3 } };
  const withFusion = await Engine.create({ analyzer: 'ngram', dense: { embedder: new HashEmbedder() }, fusion: given });
  assert.equal(withFusion.describe().depth, 100);
  const deep = await Engine.create({ analyzer: 'ngram', dense: { embedder: new HashEmbedder() }, depth: 200 });
  assert.equal(deep.describe().depth, 200);
  await engine.add([...DOCS, long]);
  const query = '전세 보증금 반환';
  const hits = await engine.search(query, { k: 3 });
  const results = await engine.tunable().retrieve(query, { depth: d.depth });
  const mm = (leg, id) => {
    const scores = leg.hits.map((h) => h.score);
    const hit = leg.hits.find((h) => h.id === id);
    return hit ? (hit.score - Math.min(...scores)) / (Math.max(...scores) - Math.min(...scores)) : 0;
  };
  const [b, p, v] = results;
  for (const h of hits)
    assert.ok(Math.abs(h.fusedScore - (0.4 * mm(b, h.id) + 0.3 * mm(p, h.id) + 0.3 * mm(v, h.id))) < 1e-9, h.id);
  // the passage leg finds the sentence inside the long page and names its window
  const hit = hits.find((h) => h.id === 'long');
  assert.ok(hit?.legs.passages, JSON.stringify(hits));
  assert.ok(long.text.slice(hit.passage.start, hit.passage.end).includes('전세 보증금'));
  assert.ok(hit.passage.end - hit.passage.start <= 150);
  // passages: false is the two-leg engine with equal weights
  const two = await Engine.create({ analyzer: 'ngram', dense: { embedder: new HashEmbedder() }, passages: false });
  assert.deepEqual(two.legs, ['bm25', 'dense']);
  assert.deepEqual(two.describe().fusion, { method: 'cc', normalizer: 'mm' });
  assert.equal(two.describe().depth, 100);
  await assert.rejects(Engine.create({ dense: { dim: 4 }, passages: { by: 'chars', size: 0 } }), {
    code: 'INVALID_ARGUMENT',
  });
});
