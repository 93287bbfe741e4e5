// Dev loop: build data, train, quick-eval on autorag-ko and welfare-ssis test.
import { Featurizer, DEFAULT_FEATURES } from '../dist/models/static-features.js';
import { TextStore, readPairs, readQrelPairs, readDocs, selfSupervisedPairs } from '../dist/train/data.js';
import { trainStatic } from '../dist/train/trainer.js';
import { quickDenseEval } from '../dist/train/evaluate.js';
import { StaticEmbedder } from '../dist/models/static.js';
import { mulberry32 } from '../dist/util/random.js';
const D = '/work/shared/datasets';
const env = (k, d) => (process.env[k] !== undefined ? JSON.parse(process.env[k]) : d);
const features = { ...DEFAULT_FEATURES, buckets: env('BUCKETS', 1 << 16) };
const store = new TextStore(new Featurizer(features));
const rnd = mulberry32(7);
let t0 = performance.now();
const pairs = [];
const { pairs: wq } = await readQrelPairs(`${D}/welfare-ssis`, store);
pairs.push(...wq);
const perDoc = env('PERDOC', 16);
if (env('ICT_AUTORAG', true)) pairs.push(...selfSupervisedPairs('autorag-ko', await readDocs(`${D}/autorag-ko`), store, { perDoc, random: rnd }));
pairs.push(...selfSupervisedPairs('welfare-ssis', await readDocs(`${D}/welfare-ssis`), store, { perDoc, random: rnd }));
if (env('PAIRS', true)) for (const f of ['question_pair', 'chatbot_data', 'kornli_xnli', 'korsts']) pairs.push(...(await readPairs(`${D}/train-pairs/${f}.jsonl`, store, { minScore: 4 })));
const bySource = {};
for (const p of pairs) bySource[p.source] = (bySource[p.source] ?? 0) + 1;
console.log(bySource, 'texts', store.size);
store.analyzeAll();
console.log('analyzed in', ((performance.now() - t0) / 1000).toFixed(1), 's');
const evalBoth = async (emb, tag) => {
  const a = await quickDenseEval(emb, `${D}/autorag-ko`);
  const w = await quickDenseEval(emb, `${D}/welfare-ssis`);
  console.log(tag, 'autorag', a.metrics, 'welfare', w.metrics);
};
await evalBoth(StaticEmbedder.fromWeights(features, { rows: features.buckets, dim: env('DIM', 256), table: (await import('../dist/train/trainer.js')).initTable(features.buckets, env('DIM', 256), 0.1, 42) }), 'init');
const r = await trainStatic(store, pairs, {
  features, dim: env('DIM', 256), loss: env('LOSS', 'mnrl'), batchSize: env('BS', 512), epochs: env('EPOCHS', 3), lr: env('LR', 0.02), scale: env('SCALE', 20), symmetric: env('SYM', false), seed: 42,
  onStep: (s) => { if (s.step % 20 === 0) console.log(`step ${s.step}/${s.totalSteps} loss ${s.avgLoss.toFixed(3)} ${s.pairsPerSec.toFixed(0)} pairs/s ${s.seconds.toFixed(0)}s`); },
  onEpoch: async (e, emb) => evalBoth(emb, `epoch ${e}`),
});
console.log('trained', r.steps, 'steps in', r.seconds.toFixed(1), 's; rss', (process.memoryUsage().rss / 1e6).toFixed(0), 'MB');
