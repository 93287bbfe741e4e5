// The search playground of `tamsaek serve`: its JSON (GET /analyze, GET /describe, POST /search with
// explain) against the engine itself, and the page in a real browser — Debian's chromium, driven by
// puppeteer-core on 127.0.0.1: a Korean query typed and searched, the rendered results and every leg's
// rank and score checked against Engine.search, a weight slider moved (the page re-fuses without
// another /search; the order and fused scores equal Engine.search with those weights), a bad request
// shown as its typed error, a screenshot saved. The browser test skips, saying why, without chromium.
// TAMSAEK_PLAYGROUND_SCREENSHOT=path keeps the screenshot (docs/playground.png is made this way);
// TAMSAEK_PLAYGROUND_CORPUS=corpus.jsonl serves another corpus (default datasets/sample-ko).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createServer, Engine } from 'tamsaek';

const root = fileURLToPath(new URL('..', import.meta.url));
const QUERY = '기초연금은 몇 살부터 받나요';

function findChromium() {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {}
  }
  return undefined;
}
const chromium = findChromium();

let engine;
let server;
let base;

before(async () => {
  const corpus = process.env.TAMSAEK_PLAYGROUND_CORPUS ?? join(root, 'datasets', 'sample-ko', 'corpus.jsonl');
  const docs = (await readFile(corpus, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .map(({ _id, title, text }) => ({ id: _id, title, text }));
  engine = await Engine.create({ dense: { embedder: 'default' } });
  await engine.add(docs);
  server = createServer(engine, { persist: 'off' });
  const { port } = await server.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  await server?.close();
  await engine?.close();
});

async function json(path, init) {
  const response = await fetch(base + path, init);
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
}

const post = (body) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

test('GET /analyze, GET /describe and POST /search explain answer from the engine', async () => {
  const analysis = await json(`/analyze?q=${encodeURIComponent(QUERY)}`);
  assert.equal(analysis.status, 200);
  assert.deepEqual(analysis.body.terms, engine.analyzer.analyze(QUERY));
  // ko-morph (the default) gives terms; an analyzer with tokens (ko-mecab) also gives surface, POS and morphemes
  assert.equal(analysis.body.analyzer, engine.analyzer.name);
  const mecab = await Engine.create({ analyzer: 'ko-mecab' });
  const mecabServer = createServer(mecab, { persist: 'off' });
  try {
    const { port } = await mecabServer.listen(0, '127.0.0.1');
    const r = await fetch(`http://127.0.0.1:${port}/analyze?q=${encodeURIComponent(QUERY)}`);
    const body = await r.json();
    assert.deepEqual(body.terms, mecab.analyzer.analyze(QUERY));
    assert.deepEqual(
      body.tokens.map((t) => [t.surface, t.pos]),
      mecab.analyzer.tokens(QUERY).map((t) => [t.surface, t.pos]),
    );
    assert.ok(
      body.tokens.some((t) => t.morphemes.some((m) => m.term === null)),
      'particles are dropped',
    );
  } finally {
    await mecabServer.close();
    await mecab.close();
  }
  assert.equal((await json('/analyze')).body.error.code, 'INVALID_ARGUMENT');
  assert.equal((await json('/analyze?q=a&x=1')).body.error.code, 'UNKNOWN_OPTION');
  assert.equal((await json('/analyze?q=a', { method: 'POST' })).status, 405);

  const described = await json('/describe');
  assert.deepEqual(described.body, JSON.parse(JSON.stringify(engine.describe())));

  const searched = await json('/search', post({ query: QUERY, k: 3, explain: true }));
  assert.equal(searched.status, 200);
  const { explain } = searched.body;
  const direct = await engine.tunable().retrieve(QUERY, { depth: explain.depth });
  assert.deepEqual(
    explain.legs.map((l) => [l.name, l.hits.map((h) => h.id)]),
    direct.map((l) => [l.name, l.hits.map((h) => h.id)]),
  );
  for (const leg of explain.legs) for (const h of leg.hits) assert.equal(explain.titles[h.id], engine.get(h.id).title);
  assert.equal((await json('/search', post({ query: QUERY, explain: 'yes' }))).body.error.code, 'INVALID_ARGUMENT');
  assert.equal((await json('/search', post({ query: QUERY }))).body.explain, undefined);
});

test('the page, its assets and the fusion modules are served; nothing else from dist', async () => {
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.match(await page.text(), /<script type="module" src="\/playground\/app.js">/);
  for (const path of ['/playground/app.js', '/lib/fuse/index.js', '/lib/fuse/cc.js', '/lib/errors.js']) {
    const r = await fetch(base + path);
    assert.equal(r.status, 200, path);
    assert.match(r.headers.get('content-type'), /^text\/javascript/, path);
  }
  for (const path of ['/lib/fuse/../engine/engine.js', '/lib/fuse/%2e%2e%2fengine.js', '/lib/engine/engine.js', '/x'])
    assert.equal((await fetch(base + path)).status, 404, path);
});

test('the playground in headless Chromium: search, per-leg scores, weight slider, typed error', {
  skip: chromium ? false : 'Debian chromium is not installed (apt-get install chromium)',
  timeout: 120_000,
}, async () => {
  const { default: puppeteer } = await import('puppeteer-core');
  const profile = await mkdtemp(join(tmpdir(), 'tamsaek-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    userDataDir: profile,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 1300 });
    const searches = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/search') searches.push(r.method());
    });
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="true"]');
    const stats = await page.$eval('#stats', (e) => e.textContent);
    assert.match(stats, new RegExp(`${engine.size} documents`));
    const described = engine.describe();
    assert.ok(stats.includes(`legs ${described.legs.map((l) => `${l.name} (${l.kind})`).join(', ')}`), stats);

    // keyboard: "/" focuses the query box from anywhere
    await page.click('h1');
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
    await page.keyboard.type(QUERY);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#results li[data-id]');
    await page.waitForSelector('#analysis:not([hidden])');

    const rows = () =>
      page.$$eval('#results li[data-id]', (items) =>
        items.map((li) => ({
          id: li.dataset.id,
          title: li.querySelector('.title').textContent,
          marks: [...li.querySelectorAll('mark')].map((m) => m.textContent),
          fused: li.querySelector('.fused').textContent,
          legs: Object.fromEntries(
            [...li.querySelectorAll('[data-leg]')].map((c) => [c.dataset.leg, c.dataset.rank ?? null]),
          ),
        })),
      );
    const expected = await engine.search(QUERY, { k: 10, highlight: true });
    const shown = await rows();
    assert.deepEqual(
      shown.map((r) => r.id),
      expected.map((h) => h.id),
    );
    shown.forEach((row, i) => {
      const hit = expected[i];
      assert.equal(row.title, hit.title);
      assert.equal(row.fused, `fused ${hit.fusedScore.toFixed(4)}`);
      for (const leg of engine.legs)
        assert.equal(row.legs[leg], hit.legs[leg] ? String(hit.legs[leg].rank) : null, `${row.id} ${leg}`);
    });
    assert.ok(shown[0].marks.length > 0, 'the top hit has highlighted terms');
    const morphemes = await page.$$eval('#morphemes li', (items) => items.map((li) => li.textContent));
    assert.ok(morphemes.some((m) => m.startsWith('기초')));
    assert.equal(
      await page.$eval('#terms', (e) => e.textContent),
      `index terms: ${engine.analyzer.analyze(QUERY).join(' ')}`,
    );

    // the bm25 slider to 0.3 by keyboard: the page re-fuses, and agrees with the engine run with those
    // weights (a slider is the weight ÷ the largest configured one; the others keep their weights)
    const configured = Object.fromEntries(engine.legs.map((l) => [l, described.fusion.weights?.[l] ?? 1]));
    const top = Math.max(...Object.values(configured));
    await page.focus('#sliders input[data-leg="bm25"]');
    await page.keyboard.press('Home');
    for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight');
    assert.equal(await page.$eval('#sliders input[data-leg="bm25"]', (e) => e.value), '0.3');
    await page.waitForFunction(() => document.querySelector('#latency').textContent.startsWith('re-fused'));
    const reweighted = await engine.search(QUERY, { k: 10, weights: { ...configured, bm25: 0.3 * top } });
    const refused = await rows();
    assert.deepEqual(
      refused.map((r) => [r.id, r.fused]),
      reweighted.map((h) => [h.id, `fused ${h.fusedScore.toFixed(4)}`]),
    );
    assert.deepEqual(searches, ['POST'], 'the slider did not search again');

    const shot = process.env.TAMSAEK_PLAYGROUND_SCREENSHOT ?? join(profile, 'playground.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok((await stat(shot)).size > 10_000);

    // a bad request: k = 0 is refused by the server with its typed error, shown in the page
    await page.$eval('#k', (e) => {
      e.value = '0';
    });
    await page.focus('#q');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#error:not([hidden])');
    assert.match(
      await page.$eval('#error', (e) => e.textContent),
      /^INVALID_ARGUMENT k must be an integer in 1\.\.1000.*HTTP 400/,
    );
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
});
