/**
 * The Engine facade: one id space over an ordered list of named legs. Documents go to every leg; a
 * search runs the search pipeline (analyse once → legs → fuse → rerank → hits); saves write a whole
 * generation and commit it atomically.
 *
 * Writes (add/upsert/delete/save) are serialized; searches run concurrently with them and see each
 * document in the legs that have committed it so far (a write's legs commit one after another).
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Analyzer } from '../analyze/types.js';
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { compileFilter } from '../legs/bm25/index.js';
import { ADAPT_MIN_DOCUMENTS, checkAdapt, type LegAdaptOptions } from '../legs/dense/leg.js';
import { legFactory } from '../legs/registry.js';
import type { LegDocument, PreparedBatch } from '../legs/types.js';
import type { Reranker } from '../rerank/types.js';
import { DEFAULT_LIMITS, type Limits, resolveLimits } from '../util/limits.js';
import { stopSignal, throwIfStopped } from '../util/stop.js';
import { checkDocuments, checkVector, checkWriteOptions } from './input.js';
import { acquireWriteLock, type WriteLock } from './lock.js';
import { readManifest, sweepGenerations } from './manifest.js';
import { checkQueryConfig, type RerankConfig, resolveOptions } from './options.js';
import { closeLegs, type EngineState, loadGeneration, saveGeneration } from './persist.js';
import { type NamedLeg, SearchPipeline } from './pipeline.js';
import { readCommitted } from './readers.js';
import { checkSearchOptions } from './search-options.js';
import { DocumentStore } from './store.js';
import { storedViews } from './stored.js';
import { type Tunable, tunableOf } from './tunable.js';
import type {
  EngineDescription,
  EngineDocument,
  EngineHit,
  EngineOptions,
  EngineSearchOptions,
  OpenOptions,
  QueryConfig,
  StoredDocumentView,
} from './types.js';

type Progress = (done: number, total: number, stage?: string) => void;

// loaded on demand: onnxruntime-node is optional and engines without a reranker never need it
async function loadReranker(model: string): Promise<Reranker> {
  const { CrossEncoder } = await import('../rerank/index.js');
  return CrossEncoder.load(model);
}

export class Engine {
  private writeQueue: Promise<unknown> = Promise.resolve();
  private lock: WriteLock | undefined;
  private dir: string | undefined;
  private generation = 0;
  private closed = false;
  private readonly pipeline: SearchPipeline;

  private constructor(
    private readonly state: EngineState,
    private readonly reranker: Reranker | undefined,
    private readonly readOnly: boolean,
    /** A reranker this engine loaded by name (and so releases on close). */
    private readonly ownedReranker: Reranker | undefined,
    private readonly limitSettings: Readonly<Required<Limits>> = Object.freeze({ ...DEFAULT_LIMITS }),
  ) {
    this.pipeline = new SearchPipeline(state.analyzer, state.legs, state.store, reranker);
  }

  /** A new, empty engine (in memory until `save(dir)`). Loads model names given as strings. */
  static async create(options: EngineOptions = {}): Promise<Engine> {
    const { limits, ...rest } = options ?? {};
    const checkedLimits = resolveLimits('Engine.create', limits);
    const resolved = resolveOptions(rest);
    const { analyzer } = resolved;
    const legs: NamedLeg[] = [];
    let owned: Reranker | undefined;
    try {
      for (const { name, kind, options: legOptions } of resolved.legs)
        legs.push({ name, leg: await legFactory(kind).create(legOptions, { name, analyzer }) });
      const given = resolved.rerank?.given;
      if (typeof given === 'string') owned = await loadReranker(given);
      const reranker = owned ?? (given as Reranker | undefined);
      // a reranker that knows its cost per query (CrossEncoder: docs/models.md, *Reranking budget*) sets the default top-N
      if (reranker?.defaultTopN && !resolved.rerank!.topNGiven)
        resolved.query.rerankTopN = resolved.rerank!.config.topN = reranker.defaultTopN;
      const rerank = reranker && { ...(resolved.rerank!.config as RerankConfig), modelId: reranker.modelId };
      const state = {
        analyzer,
        legs,
        store: new DocumentStore(),
        query: resolved.query,
        ...(rerank ? { rerank } : {}),
      };
      return new Engine(state, reranker, false, owned, Object.freeze(checkedLimits));
    } catch (error) {
      await closeLegs(legs);
      await owned?.dispose?.().catch(() => {});
      throw error;
    }
  }

  /** Opens a saved index. Takes the write lock unless `readOnly`. */
  static async open(dir: string, options: OpenOptions = {}): Promise<Engine> {
    checkOptions('Engine.open', options, ['readOnly', 'embedder', 'reranker', 'limits']);
    const limits = resolveLimits('Engine.open', options?.limits);
    const lock = options.readOnly
      ? undefined
      : await acquireWriteLock(dir).catch((error) => {
          const missing =
            error instanceof TamsaekError &&
            error.code === 'IO_ERROR' &&
            (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
          if (missing) throw new TamsaekError('NOT_FOUND', `no index at ${dir}`, { cause: error });
          throw error;
        });
    try {
      const read = await readCommitted(dir, options.readOnly === true, (m) => loadGeneration(dir, m, options));
      const { value: state, generation } = read;
      let owned: Reranker | undefined;
      try {
        if (state.rerank && !options.reranker) {
          if (typeof state.rerank.model !== 'string')
            throw invalidArgument(
              `index ${dir} was built with a custom reranker: pass it as Engine.open(dir, { reranker })`,
            );
          owned = await loadReranker(state.rerank.model);
        }
      } catch (error) {
        await closeLegs(state.legs);
        throw error;
      }
      const reranker = state.rerank ? (options.reranker ?? owned) : undefined;
      const engine = new Engine(state, reranker, options.readOnly === true, owned, Object.freeze(limits));
      engine.lock = lock;
      engine.dir = resolve(dir);
      engine.generation = generation;
      return engine;
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }

  get size(): number {
    return this.state.store.size;
  }

  /** The limits this engine enforces (maxQueryChars, maxQueryTerms, maxDocumentChars). */
  get limits(): Readonly<Required<Limits>> {
    return this.limitSettings;
  }

  get analyzer(): Analyzer {
    return this.state.analyzer;
  }

  /** The legs' names, in order. */
  get legs(): string[] {
    return this.state.legs.map((l) => l.name);
  }

  has(id: string): boolean {
    return this.state.store.has(id);
  }

  get(id: string): EngineDocument | undefined {
    return this.state.store.legDocument(id);
  }

  /**
   * Read-only: the stored documents, `batch` (default 256) at a time in insertion order, with what each
   * dense leg stores for them (`vectors`, by leg name; no model runs). For exports, which stream an index
   * out without its models. The ids are those stored when the iteration starts, each yielded once;
   * each batch is read between writes, so a document deleted meanwhile is left out and one replaced
   * meanwhile comes as it is then (open the index read-only for a fixed snapshot). The event loop gets
   * a turn after every batch.
   */
  async *documents(options: { batch?: number } = {}): AsyncGenerator<StoredDocumentView> {
    checkOptions('documents', options, ['batch']);
    const batch = options.batch ?? 256;
    if (!Number.isInteger(batch) || batch < 1 || batch > 1_000_000)
      throw invalidArgument(`documents: batch must be an integer in 1..1000000, got ${batch}`);
    const ids = [...this.state.store.ids()];
    for (let start = 0; start < ids.length; start += batch) {
      if (start > 0) await nextTurn();
      yield* await this.storedBatch(ids.slice(start, start + batch));
    }
  }

  private storedBatch(ids: readonly string[]): Promise<StoredDocumentView[]> {
    if (this.closed) return Promise.reject(new TamsaekError('CLOSED', 'engine is closed'));
    return this.serialized(() => storedViews(this.state, ids));
  }

  /** The legs with their facts (model, index kind, passage split …), the analyzer and the query-time configuration. */
  describe(): EngineDescription {
    const { fusion, depth, rerankTopN } = this.state.query;
    const rerank = this.state.rerank;
    return {
      analyzer: this.state.analyzer.name,
      documents: this.size,
      legs: this.state.legs.map(({ name, leg }) => ({ name, kind: leg.kind, ...leg.describe(), ...leg.stats() })),
      fusion,
      depth,
      ...(rerank ? { rerank: { model: rerank.modelId, topN: rerankTopN, threshold: rerank.threshold } } : {}),
    };
  }

  /** Sets the query-time defaults (fusion, depth, rerank top-N); saved with the index. */
  configure(change: Partial<QueryConfig>): void {
    this.state.query = checkQueryConfig(this.state.query, change, this.reranker !== undefined);
  }

  /** The narrow interface tuning and evaluation use (see tunable.ts). */
  tunable(): Tunable {
    return tunableOf(this.pipeline, this.legs, { ...this.state.query }, this.reranker !== undefined);
  }

  /** Adds new documents to every leg. DUPLICATE_ID when an id exists (use upsert). */
  add(documents: readonly EngineDocument[], options: { onProgress?: Progress } = {}): Promise<number> {
    return this.write(async () => {
      checkWriteOptions('add', options);
      const docs = checkDocuments(documents, this.state.legs, this.limits.maxDocumentChars);
      for (const d of docs)
        if (this.state.store.has(d.id))
          throw new TamsaekError('DUPLICATE_ID', `document id "${d.id}" already exists (use upsert to replace it)`);
      await this.commitAll(docs, await this.prepareAll(docs, options?.onProgress));
      return docs.length;
    });
  }

  /** Adds or replaces documents; a failure puts the previous versions back. */
  upsert(documents: readonly EngineDocument[], options: { onProgress?: Progress } = {}): Promise<number> {
    return this.write(async () => {
      checkWriteOptions('upsert', options);
      const docs = checkDocuments(documents, this.state.legs, this.limits.maxDocumentChars);
      const batches = await this.prepareAll(docs, options?.onProgress);
      const replaced = docs.map((d) => this.state.store.legDocument(d.id)).filter((d) => d !== undefined);
      const previous = await Promise.all(this.state.legs.map(({ leg }) => leg.capture(replaced)));
      await this.removeAll(replaced.map((d) => d.id));
      try {
        await this.commitAll(docs, batches);
      } catch (error) {
        if (replaced.length > 0) await this.commitAll(replaced, previous).catch(() => {});
        throw error;
      }
      return docs.length;
    });
  }

  /**
   * Adapts the legs that learn from the corpus (a static dense model) to every document stored now:
   * a new model, every document re-embedded; `save` stores them with the index. No queries, no labels.
   */
  adapt(options: LegAdaptOptions & { onProgress?: Progress } = {}): Promise<void> {
    return this.write(async () => {
      const { onProgress, ...recipe } = options ?? {};
      const settings = checkAdapt(recipe) ?? {};
      const legs = this.state.legs.filter(({ leg }) => typeof leg.adapt === 'function');
      if (legs.length === 0) throw new TamsaekError('NOT_SUPPORTED', 'adapt: no leg of this engine adapts to a corpus');
      const store = this.state.store;
      if (store.size < ADAPT_MIN_DOCUMENTS)
        throw invalidArgument(
          `adapt: a corpus of at least ${ADAPT_MIN_DOCUMENTS} documents is needed, this index has ${store.size}`,
        );
      const docs = [...store.ids()].map((id) => store.legDocument(id)!);
      for (const { leg } of legs) await leg.commit(await leg.adapt!(docs, { ...settings, onProgress }));
    });
  }

  /** Removes documents; resolves to how many existed. */
  delete(ids: readonly string[]): Promise<number> {
    return this.write(async () => {
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))
        throw invalidArgument('delete: ids must be an array of strings');
      const present = [...new Set(ids)].filter((id) => this.state.store.has(id));
      await this.removeAll(present);
      return present.length;
    });
  }

  /**
   * Searches every chosen leg, fuses, reranks. A query over `limits.maxQueryChars` is refused before any
   * work (LIMIT_EXCEEDED); `signal` and `timeoutMs` stop the legs' and the reranker's work in progress.
   */
  async search(query: string, options: EngineSearchOptions = {}): Promise<EngineHit[]> {
    if (this.closed) throw new TamsaekError('CLOSED', 'engine is closed');
    const s = checkSearchOptions(query, options ?? {}, this.state.query, this.legs, this.limits);
    throwIfStopped(options.signal, s.deadline);
    const vector =
      options.vector === undefined ? undefined : checkVector(options.vector, 'search: vector', this.state.legs);
    const store = this.state.store;
    if ((query.trim() === '' && !vector) || store.size === 0) return [];
    const accept = compileFilter(options.filter);
    const filter = accept && ((id: string) => accept(store.get(id)?.meta, id));
    const stop = stopSignal(options.signal, s.deadline);
    try {
      const { signal } = stop;
      const q = this.pipeline.query(query, vector, s.maxQueryTerms);
      await q.analyzeAhead(signal, s.deadline);
      const legDepth = typeof s.fusion.depth === 'object' ? s.fusion.depth : undefined;
      const results = await this.pipeline.retrieve(q, { ...s, filter, signal, legDepth });
      throwIfStopped(signal, s.deadline);
      const fused = this.pipeline.fuse(results, s.fusion, s.depth, Math.max(s.k, s.rerankN));
      const threshold = this.state.rerank?.threshold;
      const ranked = await this.pipeline.rerank(query, fused, {
        n: s.rerankN,
        threshold,
        signal,
        deadline: s.deadline,
      });
      return this.pipeline.hits(ranked, s.k, q, s.maxChars);
    } finally {
      stop.dispose();
    }
  }

  /** Writes the index to `dir` (default: where it was opened) as a new generation, atomically. */
  save(dir?: string): Promise<void> {
    return this.write(async () => {
      const target = dir === undefined ? this.dir : resolve(dir);
      if (target === undefined) throw invalidArgument('save: give a directory (this engine was not opened from one)');
      if (target !== this.dir || !this.lock) {
        await mkdir(target, { recursive: true });
        const lock = await acquireWriteLock(target);
        await this.lock?.release();
        this.lock = lock;
      }
      const previous = await readManifest(target);
      const generation = Math.max(previous?.generation ?? 0, target === this.dir ? this.generation : 0) + 1;
      await saveGeneration(target, generation, this.state);
      this.dir = target;
      this.generation = generation;
    });
  }

  /** Waits for queued writes, then releases the write lock and the models this engine loaded. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true; // refuse new writes first, then drain the ones already queued
    await this.writeQueue.catch(() => {});
    // generations a reader held at the last save go now (unless a reader still holds them)
    if (this.lock && this.dir && this.generation > 0) await sweepGenerations(this.dir, this.generation).catch(() => {});
    await this.lock?.release();
    this.lock = undefined;
    await closeLegs(this.state.legs);
    await this.ownedReranker?.dispose?.().catch(() => {});
  }

  // ---- internals ----

  private write<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new TamsaekError('CLOSED', 'engine is closed'));
    if (this.readOnly) return Promise.reject(new TamsaekError('READ_ONLY', 'this index was opened read-only'));
    return this.serialized(task);
  }

  /** Runs `task` after the writes queued so far, and before the next ones. */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(task, task);
    this.writeQueue = run.catch(() => {});
    return run;
  }

  /** Every leg's prepared batch; progress follows the slowest part (the leg with the most work). */
  private async prepareAll(docs: LegDocument[], onProgress?: Progress): Promise<PreparedBatch[]> {
    const legs = this.state.legs;
    const last = legs.length - 1;
    const batches: PreparedBatch[] = [];
    for (let i = 0; i < legs.length; i++)
      batches.push(await legs[i].leg.prepare(docs, { onProgress: i === last ? onProgress : undefined }));
    if (legs.length === 0) onProgress?.(docs.length, docs.length);
    return batches;
  }

  /** Stores documents and commits each leg's batch; should a leg fail, the documents leave every leg again. */
  private async commitAll(docs: readonly LegDocument[], batches: readonly PreparedBatch[]): Promise<void> {
    const store = this.state.store;
    for (const d of docs) store.set(d.id, d);
    const done: NamedLeg[] = [];
    try {
      for (let i = 0; i < this.state.legs.length; i++) {
        await this.state.legs[i].leg.commit(batches[i]);
        done.push(this.state.legs[i]);
      }
    } catch (error) {
      const ids = docs.map((d) => d.id);
      for (const { leg } of done) await leg.remove(ids).catch(() => {});
      for (const id of ids) store.delete(id);
      throw error;
    }
  }

  private async removeAll(ids: readonly string[]): Promise<void> {
    for (const { leg } of this.state.legs) await leg.remove(ids);
    for (const id of ids) this.state.store.delete(id);
  }
}
