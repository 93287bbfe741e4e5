// A flood for the serve-limits suite, in its own process (so its client work does not delay the
// process that times /health): `senders` loops POSTing a 1,000,000-byte search body until `seconds`
// pass; prints {"sent", "codes"} at the end.
const [base, senders = '4', seconds = '10'] = process.argv.slice(2);
const body = Buffer.from(JSON.stringify({ query: '기초연금 신청 방법 '.repeat(Math.floor((1_000_000 - 16) / 26)) }));
const end = performance.now() + Number(seconds) * 1000;
const codes = {};
let sent = 0;
await Promise.all(
  Array.from({ length: Number(senders) }, async () => {
    while (performance.now() < end) {
      const res = await fetch(`${base}/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const code = `${res.status} ${(await res.json()).error?.code}`;
      codes[code] = (codes[code] ?? 0) + 1;
      sent++;
    }
  }),
);
process.stdout.write(`${JSON.stringify({ sent, codes })}\n`);
