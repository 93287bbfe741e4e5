// `tamsaek serve`'s server with its default settings (createServer defaults = the CLI's), plus an
// event-loop gap meter: prints {"port"} once listening, then on each line of stdin "phase <name>" starts
// attributing gaps to <name>, and "report" prints {"phases": {name: {gap, cpuGap}}}.
import { createInterface } from 'node:readline';
import { createServer, Engine } from '../../dist/index.js';
import { gapMeter } from './gaps.mjs';

const engine = await Engine.open(process.argv[2], { readOnly: true });
engine.analyzer.analyze('준비');
const server = createServer(engine, { readOnly: true });
const { port } = await server.listen(0, '127.0.0.1');
const meter = gapMeter();
const names = new Set();
process.stdout.write(`${JSON.stringify({ port })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const [command, name] = line.trim().split(' ');
  if (command === 'phase') {
    names.add(name);
    meter.phase(name);
  } else if (command === 'report') {
    const phases = Object.fromEntries([...names].map((n) => [n, { gap: meter.maxOf(n), cpuGap: meter.maxCpuOf(n) }]));
    process.stdout.write(`${JSON.stringify({ phases })}\n`);
  }
}
meter.stop();
await server.close();
await engine.close();
