// Child process for the crash test: keeps adding documents and saving the index until killed.
import { Engine } from 'tamsaek';

const [dir, batch = '300'] = process.argv.slice(2);
const size = Number(batch);
let engine;
try {
  engine = await Engine.open(dir);
} catch {
  engine = await Engine.create({ analyzer: 'ngram' });
}
for (let _round = 0; ; _round++) {
  const base = engine.size;
  const docs = Array.from({ length: size }, (_, i) => ({
    id: `d${base + i}`,
    text: `문서 ${base + i} 번째 본문 내용 복지 급여 ${i % 13} 신청 방법 안내 `.repeat(8),
  }));
  await engine.add(docs);
  await engine.save(dir);
  process.stdout.write(`saved ${engine.size}\n`);
}
