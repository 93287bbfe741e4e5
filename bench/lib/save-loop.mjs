// A writer for the readers suite: opens the index for writing, then upserts `batch` corpus pages and
// saves, over and over, printing "saved <n>" after each commit, until killed.
import { Engine } from '../../dist/index.js';
import { pages } from '../eventloop.mjs';

const [dir, batch = '50', docs = '300'] = process.argv.slice(2);
const corpus = pages(Number(docs));
const engine = await Engine.open(dir);
for (let round = 0; ; round++) {
  const from = (round * Number(batch)) % corpus.length;
  const changed = corpus.slice(from, from + Number(batch)).map((p) => ({ ...p, meta: { round } }));
  await engine.upsert(changed);
  await engine.save();
  process.stdout.write(`saved ${round + 1}\n`);
}
