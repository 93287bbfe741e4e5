// What the soak's writer acknowledged: per document id, the version (meta.v) it must hold, or null for
// deleted, plus the versions a write in flight when the writer was killed may have left. `checkIndex`
// opens the index read-only and compares.
import { Engine } from '../../dist/index.js';

export class Ledger {
  /** id → { acked: version | null, maybe: Set<version | null> } */
  state = new Map();
  next = 0;
  version = 1;

  constructor(corpus, initial) {
    this.corpus = corpus;
    this.initial = initial;
  }

  document(id, version) {
    const page = this.corpus[(Number(id.slice(1)) + version * 7) % this.corpus.length];
    return { id, title: page.title, text: page.text, meta: { v: version } };
  }

  initialDocuments() {
    const docs = [];
    for (; this.next < this.initial; this.next++) {
      const id = `s${this.next}`;
      docs.push(this.document(id, 0));
      this.state.set(id, { acked: 0, maybe: new Set() });
    }
    return docs;
  }

  /** A search of a few words from a corpus page (POST or GET). */
  searchRequest(base, random) {
    const words = this.corpus[Math.floor(random() * this.corpus.length)].text.split(/\s+/).filter(Boolean);
    const start = Math.floor(random() * Math.max(1, words.length - 3));
    const query = words.slice(start, start + 1 + Math.floor(random() * 3)).join(' ') || '지원';
    if (random() < 0.3)
      return { kind: 'search', method: 'GET', url: `${base}/search?q=${encodeURIComponent(query)}&k=5` };
    return {
      kind: 'search',
      method: 'POST',
      url: `${base}/search`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, k: 10 }),
    };
  }

  /** An upsert of 1-8 documents (new and existing ids) or a delete of 1-4 existing ids. */
  writeRequest(base, random) {
    const live = [...this.state.keys()];
    const pickLive = () => live[Math.floor(random() * live.length)];
    const changes = new Map(); // id → version | null
    let request;
    if (random() < 0.25 && live.length > 0) {
      for (let i = 0, n = 1 + Math.floor(random() * 4); i < n; i++) changes.set(pickLive(), null);
      request = { kind: 'delete', method: 'DELETE', body: JSON.stringify({ ids: [...changes.keys()] }) };
    } else {
      const version = this.version++;
      for (let i = 0, n = 1 + Math.floor(random() * 8); i < n; i++)
        changes.set(random() < 0.5 || live.length === 0 ? `s${this.next++}` : pickLive(), version);
      const documents = [...changes].map(([id, v]) => this.document(id, v));
      request = { kind: 'upsert', method: 'POST', body: JSON.stringify({ documents }) };
    }
    for (const [id, v] of changes) {
      if (!this.state.has(id)) this.state.set(id, { acked: null, maybe: new Set() });
      this.state.get(id).maybe.add(v); // in flight: either outcome until acknowledged
    }
    return {
      ...request,
      url: `${base}/documents`,
      headers: { 'content-type': 'application/json' },
      done: (status) => {
        for (const [id, v] of changes) {
          const s = this.state.get(id);
          if (status === 200 && s.maybe.has(v)) {
            s.acked = v;
            s.maybe.delete(v);
          } else if (status !== undefined && status < 500) s.maybe.delete(v); // refused: never applied
          // lost connection or 5xx: may or may not be on disk, until the next check
        }
      },
    };
  }

  /** The version the index holds must be the acknowledged one or one a lost write may have left. */
  settle(id, observed) {
    const s = this.state.get(id);
    const ok = observed === s.acked || s.maybe.has(observed);
    s.acked = observed;
    s.maybe.clear();
    return ok;
  }
}

/**
 * Opens the index read-only (the writer is dead, or idle at the end) and checks every ledger entry.
 * Returns { torn, lost }: torn is 1 when the committed generation does not open.
 */
export async function checkIndex(dir, ledger) {
  let engine;
  try {
    engine = await Engine.open(dir, { readOnly: true });
  } catch (error) {
    console.error(`soak: the index does not open after a kill: ${error?.code} ${error?.message}`);
    return { torn: 1, lost: 0 };
  }
  let lost = 0;
  for (const id of ledger.state.keys()) {
    const observed = engine.has(id) ? engine.get(id).meta?.v : null;
    if (!ledger.settle(id, observed ?? null)) {
      lost++;
      if (lost <= 5) console.error(`soak: ${id} holds ${observed}, acknowledged otherwise`);
    }
  }
  if (engine.has('junk')) lost++; // a malformed write must never be applied
  await engine.close();
  return { torn: 0, lost };
}
