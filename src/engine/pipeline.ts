/**
 * The search pipeline: analyse the query once → run the legs (concurrently) → fuse their document
 * lists → rerank the head → hits with per-leg evidence, passages and snippets. It reads the legs and
 * the document store and changes neither.
 */
import { analyzeText, WINDOW_CHARS } from '../analyze/batch.js';
import type { Analyzer } from '../analyze/types.js';
import { fuseValidated } from '../fuse/index.js';
import type { FusionConfig } from '../fuse/types.js';
import type { Leg, LegHit, LegQuery } from '../legs/types.js';
import { type Reranker, rerankOrder } from '../rerank/types.js';
import { titled } from '../util/chunker.js';
import { checkQueryTerms } from '../util/limits.js';
import { raceStop, throwIfStopped } from '../util/stop.js';
import { highlight } from './highlight.js';
import type { DocumentStore } from './store.js';
import type { EngineHit } from './types.js';

/** A query's text, vector and terms (analysed on first use, or ahead of the legs when long). */
export class PipelineQuery implements LegQuery {
  private analysed: string[] | undefined;
  readonly analyzer: string;

  constructor(
    readonly text: string,
    private readonly base: Analyzer,
    readonly vector: Float32Array | undefined,
    private readonly maxTerms: number,
  ) {
    this.analyzer = base.name;
  }

  get terms(): string[] {
    this.analysed ??= this.checked(this.base.analyze(this.text));
    return this.analysed;
  }

  /** A long query analysed now, window by window with event-loop turns (a short one stays lazy). */
  async analyzeAhead(signal?: AbortSignal, deadline = Infinity): Promise<void> {
    if (this.analysed || this.text.length <= WINDOW_CHARS) return;
    this.analysed = this.checked(await analyzeText(this.base, this.text, { signal, deadline, what: 'search' }));
  }

  private checked(terms: string[]): string[] {
    checkQueryTerms('search', terms.length, this.maxTerms);
    return terms;
  }
}

export interface NamedLeg {
  name: string;
  leg: Leg;
}

/** One leg's ranked documents for a query: the input of fusion. */
export interface LegResult {
  name: string;
  hits: LegHit[];
}

/** A fused document before it becomes a hit. */
export interface Candidate {
  id: string;
  score: number;
  fusedScore: number;
  legs: EngineHit['legs'];
  /** The matched passage: the span of the first leg (in leg order) that reported one. */
  passage?: { start: number; end: number };
  /** The document and passage a reranker scores (cache key). */
  key: string;
}

export interface RetrieveOptions {
  depth: number;
  /** Per-leg depths below `depth` (a fusion's `depth` by leg): such a leg is asked for fewer documents. */
  legDepth?: Readonly<Record<string, number>>;
  legs: readonly string[];
  filter?: (documentId: string) => boolean;
  signal?: AbortSignal;
  deadline?: number;
}

export class SearchPipeline {
  constructor(
    private readonly analyzer: Analyzer,
    private readonly legs: readonly NamedLeg[],
    private readonly store: DocumentStore,
    private readonly reranker: Reranker | undefined,
  ) {}

  /**
   * The query as every leg sees it; the analyzer runs at most once, when a leg or the highlighter
   * asks. More than `maxTerms` terms is LIMIT_EXCEEDED.
   */
  query(text: string, vector?: Float32Array, maxTerms = Infinity): PipelineQuery {
    return new PipelineQuery(text, this.analyzer, vector, maxTerms);
  }

  /** Each chosen leg's documents for the query, the legs running concurrently. */
  async retrieve(query: LegQuery, options: RetrieveOptions): Promise<LegResult[]> {
    const { depth, filter, signal, deadline, legDepth } = options;
    const chosen = this.legs.filter((l) => options.legs.includes(l.name));
    const kOf = (name: string) => Math.min(depth, legDepth?.[name] ?? depth);
    const run = (legs: readonly NamedLeg[], candidates?: readonly string[]) =>
      Promise.all(
        legs.map(({ name, leg }) =>
          raceStop(leg.search(query, { k: kOf(name), filter, signal, deadline, candidates }), signal, deadline),
        ),
      );
    // legs that rescore run after the others, on the documents those found (alone, they search)
    const first = chosen.filter(({ leg }) => !leg.rescores);
    const searchers = first.length > 0 ? first : chosen;
    const later = first.length > 0 ? chosen.filter(({ leg }) => leg.rescores) : [];
    const lists = new Map<NamedLeg, LegHit[]>();
    (await run(searchers)).forEach((hits, i) => lists.set(searchers[i], hits));
    // each rescoring leg on the documents the others found, at its own depth; they run concurrently
    const found = (depth = Number.POSITIVE_INFINITY) => [
      ...new Set([...lists.values()].flatMap((hits) => hits.slice(0, depth).map((h) => h.id))),
    ];
    const rescored = await Promise.all(later.map((l) => run([l], found(l.leg.rescoreDepth)).then(([hits]) => hits)));
    later.forEach((l, i) => lists.set(l, rescored[i]));
    return chosen.map((l) => ({ name: l.name, hits: lists.get(l)! }));
  }

  /**
   * Fuses leg results into documents, best first; `config` is already validated. `limit` (a search's
   * max(k, rerank top-N)) bounds how many candidates are built: fusion selects only that many, and
   * selects again without the bound in the rare case documents deleted meanwhile leave too few.
   */
  fuse(results: readonly LegResult[], config: FusionConfig, depth: number, limit = Infinity): Candidate[] {
    const all = depth * results.length;
    const bounded = Math.min(all, limit);
    const { out, fused } = this.candidates(results, config, bounded);
    if (out.length < limit && fused === bounded && bounded < all) return this.candidates(results, config, all).out;
    return out;
  }

  private candidates(
    results: readonly LegResult[],
    config: FusionConfig,
    k: number,
  ): { out: Candidate[]; fused: number } {
    const nonEmpty = results.filter((l) => l.hits.length > 0);
    let fused: { id: string; score: number; legs: Record<string, { score: number; rank: number }> }[];
    if (results.length === 1 || nonEmpty.length === 0) {
      const only = results[0];
      fused = only
        ? only.hits
            .slice(0, k)
            .map((h, i) => ({ id: h.id, score: h.score, legs: { [only.name]: { score: h.score, rank: i + 1 } } }))
        : [];
    } else {
      const c = restrictToLegs(
        config,
        results.map((l) => l.name),
      );
      fused = fuseValidated(results, c, k);
    }
    const spans = passagesByDocument(results);
    const store = this.store;
    const out: Candidate[] = [];
    for (const h of fused) {
      if (!store.has(h.id)) continue; // deleted while the legs ran
      const legs: EngineHit['legs'] = {};
      for (const name in h.legs) {
        const e = h.legs[name];
        legs[name] = { score: e.score, rank: e.rank };
      }
      const passage = spans.get(h.id);
      if (passage)
        out.push({
          id: h.id,
          score: h.score,
          fusedScore: h.score,
          legs,
          passage,
          key: `${h.id}\u0000${passage.start}:${passage.end}`,
        });
      else out.push({ id: h.id, score: h.score, fusedScore: h.score, legs, key: h.id });
    }
    return { out, fused: fused.length };
  }

  /** The text a reranker reads for a candidate: the matched passage, or the whole document, with its title. */
  rerankText(c: Candidate): string {
    const doc = this.store.get(c.id)!;
    return titled(doc.title, c.passage ? doc.text.slice(c.passage.start, c.passage.end) : doc.text);
  }

  async rerankScores(query: string, head: readonly Candidate[], signal?: AbortSignal): Promise<Float32Array> {
    return this.reranker!.score(
      query,
      head.map((c) => this.rerankText(c)),
      { signal },
    );
  }

  /** Reorders the top `n` by the reranker; with a threshold only confirmed candidates are kept. */
  async rerank(
    query: string,
    candidates: Candidate[],
    options: { n: number; threshold?: number; signal?: AbortSignal; deadline?: number },
  ): Promise<Candidate[]> {
    const { n, threshold, signal, deadline } = options;
    if (!this.reranker || n <= 0 || candidates.length === 0) return candidates;
    const head = candidates.slice(0, n);
    const scores = await raceStop(this.rerankScores(query, head, signal), signal, deadline);
    throwIfStopped(signal, deadline);
    head.forEach((c, i) => {
      c.legs.rerank = { score: scores[i] };
    });
    const reranked = rerankOrder(head, scores);
    if (threshold !== undefined) return reranked.filter((c) => c.score >= threshold);
    return [...reranked, ...candidates.slice(n)];
  }

  /** The top `k` candidates as hits, with snippets cut around the query's terms when `maxChars` > 0. */
  hits(candidates: readonly Candidate[], k: number, query: LegQuery, maxChars: number): EngineHit[] {
    return candidates.slice(0, k).map((c) => {
      const doc = this.store.get(c.id)!;
      const hit: EngineHit = { id: c.id, score: c.score, fusedScore: c.fusedScore, legs: c.legs };
      if (doc.title !== undefined) hit.title = doc.title;
      if (doc.meta !== undefined) hit.meta = doc.meta;
      if (c.passage) hit.passage = c.passage;
      if (maxChars > 0) {
        const span = c.passage ?? { start: 0, end: doc.text.length };
        const snip = highlight(doc.text.slice(span.start, span.end), query.terms, maxChars);
        hit.snippet = {
          start: snip.start + span.start,
          end: snip.end + span.start,
          text: snip.text,
          highlights: snip.highlights.map((h) => ({ start: h.start + span.start, end: h.end + span.start })),
        };
      }
      return hit;
    });
  }
}

/** Each document's passage: the span of the first leg (in leg order) that reported one. */
function passagesByDocument(results: readonly LegResult[]): Map<string, { start: number; end: number }> {
  const out = new Map<string, { start: number; end: number }>();
  for (const { hits } of results) for (const h of hits) if (h.span && !out.has(h.id)) out.set(h.id, h.span);
  return out;
}

/** Fusion rejects per-leg keys naming legs that are not in the call: drop those. */
function restrictToLegs(config: FusionConfig, legs: string[]): FusionConfig {
  const pick = <T>(record: Record<string, T> | undefined) =>
    record && Object.fromEntries(Object.entries(record).filter(([name]) => legs.includes(name)));
  const out = { ...config } as FusionConfig & { theoreticalMin?: Record<string, number> };
  if (config.weights) out.weights = pick(config.weights);
  if (config.depth && typeof config.depth === 'object') out.depth = pick(config.depth);
  const min = (config as { theoreticalMin?: Record<string, number> }).theoreticalMin;
  if (min) out.theoreticalMin = pick(min);
  return out;
}
