/**
 * Worker thread for HnswIndex.build: builds an hnswlib graph from vectors in a SharedArrayBuffer off
 * the main thread and writes it to a file that the main thread then reads (hnswlib-node objects cannot
 * cross threads).
 */
import { parentPort, workerData } from 'node:worker_threads';

interface Job {
  space: 'l2' | 'ip' | 'cosine';
  dim: number;
  n: number;
  capacity: number;
  M: number;
  efConstruction: number;
  seed: number;
  vectors: SharedArrayBuffer;
  out: string;
}

type Hnsw = {
  initIndex(o: Record<string, unknown>): void;
  addPoint(p: number[], label: number, replaceDeleted?: boolean): void;
  writeIndex(file: string): Promise<boolean>;
};

async function main(job: Job): Promise<void> {
  const spec = 'hnswlib-node';
  const mod = (await import(spec)) as { default?: unknown; HierarchicalNSW?: unknown };
  const { HierarchicalNSW } = ((mod as { HierarchicalNSW?: unknown }).HierarchicalNSW ? mod : mod.default) as {
    HierarchicalNSW: new (space: string, dim: number) => Hnsw;
  };
  const h = new HierarchicalNSW(job.space, job.dim);
  h.initIndex({
    maxElements: job.capacity,
    m: job.M,
    efConstruction: job.efConstruction,
    randomSeed: job.seed,
    allowReplaceDeleted: true,
  });
  const v = new Float32Array(job.vectors);
  const p = new Array<number>(job.dim).fill(0.5);
  for (let i = 0; i < job.n; i++) {
    for (let j = 0, o = i * job.dim; j < job.dim; j++) p[j] = v[o + j];
    h.addPoint(p, i);
    if ((i & 1023) === 1023) parentPort?.postMessage({ progress: i + 1 });
  }
  await h.writeIndex(job.out);
}

main(workerData as Job).then(
  () => parentPort?.postMessage({ done: true }),
  (e: Error) => parentPort?.postMessage({ error: e.message }),
);
