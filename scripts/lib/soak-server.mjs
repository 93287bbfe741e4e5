// The soak's writer: opens the index for writing, serves it on loopback (every write answered after the
// save that holds it), and prints one JSON line per event on stdout: {"port"} once listening, then
// {"gap", "cpuGap"} (the largest event-loop gap so far, in ms, and its on-CPU part) twice a second.
// The soak kills it with SIGKILL at random points.

import { gapMeter } from '../../bench/lib/gaps.mjs';
import { createServer, Engine } from '../../dist/index.js';

const [dir, maxQueryChars] = process.argv.slice(2);
const engine = await Engine.open(dir, { limits: { maxQueryChars: Number(maxQueryChars) } });
engine.analyzer.analyze('준비'); // the dictionary loads before the first request
const meter = gapMeter();
meter.phase('serve');
const server = createServer(engine, { persist: 'sync', maxBodyBytes: 4 << 20, timeoutMs: 10_000 });
const { port } = await server.listen(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port, documents: engine.size })}\n`);
setInterval(() => {
  process.stdout.write(`${JSON.stringify({ gap: meter.maxOf('serve'), cpuGap: meter.maxCpuOf('serve') })}\n`);
}, 500);
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, async () => {
    await server.close();
    await engine.close();
    process.exit(0);
  });
