// The playground page's script (served by tamsaek serve at /playground/app.js; plain browser ES
// modules, no build step). A search asks once for the hits and for each leg's own list
// (POST /search with explain: true); the weight sliders re-fuse those lists here with the engine's
// own fusion module (/lib/fuse/index.js is dist/fuse), so the legs never run again.
import { fuse } from '/lib/fuse/index.js';

const $ = (id) => document.getElementById(id);
let description;
let current;

class RequestError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

async function getJson(url, init) {
  const response = await fetch(url, init);
  const body = await response.json().catch(() => ({}));
  if (!response.ok)
    throw new RequestError(
      body.error?.code ?? 'HTTP_ERROR',
      body.error?.message ?? response.statusText,
      response.status,
    );
  return body;
}

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child);
  return node;
}

const fmt = (x, digits = 4) => (typeof x === 'number' ? x.toFixed(digits) : '—');

function showError(error) {
  const box = $('error');
  box.replaceChildren();
  if (!error) {
    box.hidden = true;
    return;
  }
  const status = error.status ? ` (HTTP ${error.status})` : '';
  box.append(element('code', { className: 'code' }, error.code ?? 'ERROR'), ` ${error.message}${status}`);
  box.hidden = false;
}

function renderStats() {
  const d = description;
  const legs = d.legs.map((l) => `${l.name} (${l.kind})`).join(', ');
  const fusion = d.fusion.method === 'rrf' ? 'RRF' : `${d.fusion.method}/${d.fusion.normalizer ?? 'mm'}`;
  const rerank = d.rerank ? ` · rerank ${d.rerank.model} top ${d.rerank.topN}` : '';
  $('stats').textContent =
    `${d.documents.toLocaleString()} documents · analyzer ${d.analyzer} · legs ${legs} · fusion ${fusion}, depth ${d.depth}${rerank}`;
}

function renderAnalysis(analysis) {
  $('analysis').hidden = false;
  $('analyzer-name').textContent = analysis.analyzer;
  const list = $('morphemes');
  list.replaceChildren();
  const morphemes = analysis.tokens
    ? analysis.tokens.flatMap((t) => t.morphemes)
    : analysis.terms.map((term) => ({ surface: term, pos: '', term }));
  for (const m of morphemes) {
    const item = element('li', {
      className: m.term === null ? 'dropped' : '',
      title: m.term ?? 'dropped by the filter',
    });
    item.append(m.surface, element('span', { className: 'pos' }, m.pos));
    list.append(item);
  }
  $('terms').textContent = `index terms: ${analysis.terms.join(' ') || '(none)'}`;
}

/** The snippet with its highlights as <mark>s (text nodes only: nothing from the index becomes HTML). */
function snippetNode(snippet) {
  const p = element('p', { className: 'snippet' });
  let at = 0;
  const text = snippet.text;
  for (const h of snippet.highlights) {
    const start = h.start - snippet.start;
    const end = h.end - snippet.start;
    if (start < at || end > text.length) continue;
    p.append(text.slice(at, start), element('mark', {}, text.slice(start, end)));
    at = end;
  }
  p.append(text.slice(at));
  return p;
}

function scoresNode(row) {
  const box = element('div', { className: 'scores' });
  box.append(element('span', { className: 'fused', dataset: { score: row.fused } }, `fused ${fmt(row.fused)}`));
  for (const leg of current.explain.legs) {
    const e = row.legs[leg.name];
    const chip = e
      ? element(
          'span',
          { className: 'leg', dataset: { leg: leg.name, rank: e.rank } },
          `${leg.name} #${e.rank} · ${fmt(e.score, 3)}`,
        )
      : element('span', { className: 'leg absent', dataset: { leg: leg.name } }, `${leg.name} —`);
    box.append(chip);
  }
  const rerank = current.hits.get(row.id)?.legs.rerank;
  if (rerank)
    box.append(element('span', { className: 'leg', dataset: { leg: 'rerank' } }, `rerank ${fmt(rerank.score)}`));
  return box;
}

function renderResults(rows) {
  const list = $('results');
  list.replaceChildren();
  for (const row of rows) {
    const hit = current.hits.get(row.id);
    const title = hit?.title ?? current.explain.titles[row.id] ?? row.id;
    const item = element('li', { tabIndex: -1, dataset: { id: row.id } });
    item.append(
      element(
        'div',
        {},
        element('span', { className: 'title' }, title),
        element('span', { className: 'doc-id' }, row.id),
      ),
    );
    if (hit?.snippet) item.append(snippetNode(hit.snippet));
    else item.append(element('p', { className: 'snippet hint' }, 'not among the hits the search returned: no snippet'));
    item.append(scoresNode(row));
    list.append(item);
  }
  if (rows.length === 0) list.append(element('li', { className: 'hint' }, 'no results'));
}

/** The weights: a slider not moved yet keeps the configured weight exactly; a moved one gives value × the largest. */
function weightsFromSliders() {
  const weights = {};
  for (const input of $('sliders').querySelectorAll('input')) {
    const configured = Number(input.dataset.weight);
    weights[input.dataset.leg] = input.dataset.moved ? Number(input.value) * Number(input.dataset.top) : configured;
  }
  return weights;
}

function buildSliders() {
  const { legs, fusion } = current.explain;
  const box = $('sliders');
  box.replaceChildren();
  $('controls').hidden = legs.length < 2;
  const configured = legs.map((l) => fusion.weights?.[l.name] ?? 1);
  const top = Math.max(...configured, 1e-9);
  legs.forEach((leg, i) => {
    const id = `w-${i}`;
    const input = element('input', {
      id,
      type: 'range',
      min: '0',
      max: '1',
      step: '0.05',
      value: String(configured[i] / top),
      dataset: { leg: leg.name, weight: configured[i], top },
    });
    const output = element('output', { htmlFor: id }, Number(input.value).toFixed(2));
    input.addEventListener('input', () => {
      input.dataset.moved = 'true';
      output.textContent = Number(input.value).toFixed(2);
      refuse();
    });
    box.append(element('label', { htmlFor: id }, leg.name), input, output);
  });
  $('fusion-note').textContent =
    fusion.method === 'rrf'
      ? `RRF, k ${fusion.k ?? 60}`
      : `convex combination, ${fusion.normalizer ?? 'mm'} normalizer`;
}

/** The legs' lists fused under the sliders' weights, as the engine's pipeline does (one leg: its own order). */
function refuse() {
  const { legs, fusion, depth } = current.explain;
  const started = performance.now();
  let rows;
  try {
    const nonEmpty = legs.filter((l) => l.hits.length > 0);
    if (legs.length === 1 || nonEmpty.length === 0) {
      const only = legs[0];
      rows = (only?.hits ?? []).map((h) => ({ id: h.id, fused: h.score, legs: { [only.name]: h } }));
    } else {
      const fused = fuse(legs, { ...fusion, weights: weightsFromSliders() }, depth * legs.length);
      rows = fused.map((h) => ({ id: h.id, fused: h.score, legs: h.legs }));
    }
  } catch (error) {
    showError(error);
    return;
  }
  showError(undefined);
  renderResults(rows.slice(0, current.k));
  $('latency').textContent =
    `re-fused in the page in ${(performance.now() - started).toFixed(2)} ms (legs not re-run; order before any reranking) · ${latencyText()}`;
}

function latencyText() {
  const { tookMs, roundTripMs, explain } = current;
  return `search ${tookMs.toFixed(2)} ms on the server, ${roundTripMs.toFixed(1)} ms round trip · legs' lists ${explain.retrieve_ms.toFixed(2)} ms`;
}

async function search(event) {
  event?.preventDefault();
  const query = $('q').value;
  const k = Number($('k').value);
  const started = performance.now();
  try {
    const body = JSON.stringify({ query, k, highlight: true, explain: true });
    const headers = { 'content-type': 'application/json' };
    const [result, analysis] = await Promise.all([
      getJson('/search', { method: 'POST', headers, body }),
      getJson(`/analyze?q=${encodeURIComponent(query)}`),
    ]);
    current = {
      query,
      k,
      hits: new Map(result.hits.map((h) => [h.id, h])),
      explain: result.explain,
      tookMs: result.took_ms,
      roundTripMs: performance.now() - started,
    };
    showError(undefined);
    renderAnalysis(analysis);
    buildSliders();
    renderResults(result.hits.map((h) => ({ id: h.id, fused: h.fusedScore, legs: h.legs })));
    $('latency').textContent = `${result.hits.length} hits · ${latencyText()}`;
    history.replaceState(null, '', `?q=${encodeURIComponent(query)}`);
  } catch (error) {
    showError(error);
  }
}

function moveFocus(step) {
  const items = [...$('results').querySelectorAll('li[data-id]')];
  if (items.length === 0) return;
  const at = items.indexOf(document.activeElement);
  items[Math.min(items.length - 1, Math.max(0, at + step))].focus();
}

document.addEventListener('keydown', (event) => {
  const typing = ['INPUT', 'TEXTAREA'].includes(document.activeElement?.tagName);
  if (event.key === 'Escape' && document.activeElement === $('q')) $('q').value = '';
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === '/') {
    event.preventDefault();
    $('q').focus();
  } else if (event.key === 'j') moveFocus(1);
  else if (event.key === 'k') moveFocus(-1);
});

$('search').addEventListener('submit', search);
description = await getJson('/describe').catch((error) => {
  showError(error);
  return undefined;
});
if (description) renderStats();
const initial = new URLSearchParams(location.search).get('q');
if (initial) {
  $('q').value = initial;
  await search();
}
$('q').focus();
document.body.dataset.ready = 'true';
