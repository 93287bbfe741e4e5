// A flood for the serve-limits suite, in its own process (so its client work does not delay the
// process that times /health): `senders` loops POSTing a 1,000,000-byte search body until `seconds`
// pass; prints {"sent", "codes", "cpuMs"} at the end (`closed …`: the connection closed before a response came).
const [base, senders = '4', seconds = '10'] = process.argv.slice(2);
const body = Buffer.from(JSON.stringify({ query: '기초연금 신청 방법 '.repeat(Math.floor((1_000_000 - 16) / 26)) }));
const end = performance.now() + Number(seconds) * 1000;
const codes = {};
let sent = 0;
await Promise.all(
  Array.from({ length: Number(senders) }, async () => {
    while (performance.now() < end) {
      let code;
      try {
        const res = await fetch(`${base}/search`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        code = `${res.status} ${(await res.json()).error?.code}`;
      } catch (error) {
        // a server that refuses the body early closes the connection: a client may see that first
        code = `closed ${error.cause?.code ?? error.message}`;
      }
      codes[code] = (codes[code] ?? 0) + 1;
      sent++;
    }
  }),
);
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ sent, codes, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
