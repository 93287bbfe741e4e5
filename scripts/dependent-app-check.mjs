// Copied into the temporary app by scripts/check-dependent.mjs and run there (`node check.mjs <repo>`):
// the public entry point only, as a user's code would. Prints one JSON line.
import { join } from 'node:path';
import { Engine, loadOrt, nativeInfo, OnnxEmbedder } from 'tamsaek';

const repo = process.argv[2];
const docs = [
  { id: 'pension', title: '기초연금 신청', text: '만 65세 이상 어르신은 주민센터에서 기초연금을 신청할 수 있습니다.' },
  { id: 'rent', title: '청년 월세 지원', text: '무주택 청년에게 월세를 최대 12개월 지원합니다.' },
  { id: 'loan', title: '전세 대출 금리', text: '버팀목 전세자금 대출의 금리는 소득에 따라 달라집니다.' },
];
const out = {};
out.nativePath = nativeInfo().path;
out.kernel = nativeInfo().kernel;
const bm25 = await Engine.create({});
await bm25.add(docs);
out.bm25 = (await bm25.search('기초연금은 어디서 신청하나요', { k: 3 })).map((h) => h.id);
await bm25.close();
const hybrid = await Engine.create({ dense: { embedder: 'default' } });
await hybrid.add(docs);
const hits = await hybrid.search('기초연금은 어디서 신청하나요', { k: 3 });
out.hybrid = hits.map((h) => h.id);
out.hybridLegs = Object.keys(hits[0].legs);
await hybrid.close();
const model = join(repo, 'test', 'fixtures', 'models', 'tiny-xlmr');
const embedder = await OnnxEmbedder.load(model, { threads: 1 });
const texts = docs.map((d) => d.text);
const vectors = await embedder.embed(texts, { kind: 'passage' });
const { runtime, source } = await loadOrt();
out.onnx = { runtime, source, dim: embedder.dim, texts, vectors: Array.from(vectors) };
const onnx = await Engine.create({
  dense: { embedder: model },
  rerank: { reranker: join(repo, 'test', 'fixtures', 'models', 'tiny-reranker'), topN: 3 },
});
await onnx.add(docs);
out.onnxHybrid = (await onnx.search('월세 지원', { k: 2 })).map((h) => h.id);
await onnx.close();
console.log(JSON.stringify(out));
