// `tamsaek serve`'s server with its default settings (createServer defaults = the CLI's), plus an
// event-loop gap meter: prints {"port"} once listening, then on each line of stdin "phase <name>" starts
// attributing gaps to <name>, and "report" prints {"phases": {name: {gap, cpuGap, cpuMs, bytesRead}}}:
// the process's CPU time (all threads, user + system) and the request bytes it read from its sockets
// during the phase (what refusing a body before reading it saves shows in both).
import { createInterface } from 'node:readline';
import { createServer, Engine } from '../../dist/index.js';
import { gapMeter } from './gaps.mjs';

const engine = await Engine.open(process.argv[2], { readOnly: true });
engine.analyzer.analyze('준비');
const server = createServer(engine, { readOnly: true });
const { port } = await server.listen(0, '127.0.0.1');
const meter = gapMeter();
const names = new Set();
const sockets = new Set();
let closedBytes = 0;
server.server.on('connection', (socket) => {
  sockets.add(socket);
  socket.once('close', () => {
    sockets.delete(socket);
    closedBytes += socket.bytesRead;
  });
});
const bytesRead = () => closedBytes + [...sockets].reduce((sum, s) => sum + s.bytesRead, 0);
const totals = new Map(); // phase → { cpuMs, bytesRead } at its start, then its totals once it ends
let current;
const mark = (name) => {
  const cpu = process.cpuUsage();
  const now = { cpuMs: (cpu.user + cpu.system) / 1000, bytesRead: bytesRead() };
  if (current) {
    const start = totals.get(current);
    totals.set(current, { cpuMs: now.cpuMs - start.cpuMs, bytesRead: now.bytesRead - start.bytesRead });
  }
  current = name;
  if (name) totals.set(name, now);
};
process.stdout.write(`${JSON.stringify({ port })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const [command, name] = line.trim().split(' ');
  if (command === 'phase') {
    names.add(name);
    mark(name);
    meter.phase(name);
  } else if (command === 'report') {
    mark(undefined);
    const phases = Object.fromEntries(
      [...names].map((n) => [n, { gap: meter.maxOf(n), cpuGap: meter.maxCpuOf(n), ...totals.get(n) }]),
    );
    process.stdout.write(`${JSON.stringify({ phases })}\n`);
  }
}
meter.stop();
await server.close();
await engine.close();
