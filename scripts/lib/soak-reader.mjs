// The soak's second process: opens the index read-only over and over while the writer saves and is
// killed, checks each opened generation is whole (every document of the manifest loads, a search
// runs), and prints {"opens", "failures", "codes"} on stdout every 50 opens and at SIGTERM.
import { Engine } from '../../dist/index.js';

const [dir] = process.argv.slice(2);
let opens = 0;
let failures = 0;
const codes = {};
let stopping = false;
const report = () => process.stdout.write(`${JSON.stringify({ opens, failures, codes })}\n`);
process.on('SIGTERM', () => {
  stopping = true;
});

while (!stopping) {
  try {
    const engine = await Engine.open(dir, { readOnly: true });
    try {
      let stored = 0;
      for await (const doc of engine.documents()) if (typeof doc.text === 'string') stored++;
      if (stored !== engine.size) throw new Error(`${stored} documents stored, the index says ${engine.size}`);
      await engine.search('지원 신청', { k: 5 });
    } finally {
      await engine.close();
    }
  } catch (error) {
    failures++;
    const code = error?.code ?? 'UNTYPED';
    codes[code] = (codes[code] ?? 0) + 1;
    process.stderr.write(`reader: ${code}: ${error?.message}\n`);
  }
  opens++;
  if (opens % 50 === 0) report();
}
report();
