// The soak's requests and their tally. A request is { kind, method, url, body?, headers?, expect?, closes?,
// done? }: `expect` is the error code a malformed request must get (`closes`: a body the server refuses
// before reading it, closing the connection, so the client may see the close instead), `done(status, json)` tells the ledger a
// write's outcome (`undefined` when the connection was lost).

/** Malformed and oversized requests, each with the typed error it must get. */
export function junkRequests(base, random, maxQueryChars) {
  const json = { 'content-type': 'application/json' };
  const kinds = [
    // 1 M characters: 3 MiB, over POST /search's body cap (280 KiB), refused before it is read
    () => ({ body: JSON.stringify({ query: '가'.repeat(1 << 20) }), expect: 'LIMIT_EXCEEDED', closes: true }),
    () => ({ body: JSON.stringify({ query: '나'.repeat(maxQueryChars + 1) }), expect: 'LIMIT_EXCEEDED' }),
    () => ({
      method: 'GET',
      url: `${base}/search?q=${encodeURIComponent('다'.repeat(5000))}`,
      expect: 'LIMIT_EXCEEDED',
    }),
    () => ({
      method: 'GET',
      url: `${base}/search?q=${encodeURIComponent('라'.repeat(9000))}`,
      expect: 'LIMIT_EXCEEDED',
    }),
    () => ({ body: '{"query": "기초연금', expect: 'PARSE_ERROR' }),
    () => ({ body: Buffer.from([0x7b, 0x22, 0x71, 0xff, 0xfe, 0x7d]), expect: 'PARSE_ERROR' }),
    () => ({ body: JSON.stringify({ query: '연금', kk: 3 }), expect: 'UNKNOWN_OPTION' }),
    () => ({ body: JSON.stringify({ query: '연금', k: -1 }), expect: 'INVALID_ARGUMENT' }),
    () => ({
      body: JSON.stringify({ query: '연금' }),
      headers: { 'content-type': 'text/plain' },
      expect: 'UNSUPPORTED_MEDIA_TYPE',
    }),
    () => ({ body: JSON.stringify({ query: '라'.repeat(3 << 20) }), expect: 'PAYLOAD_TOO_LARGE', closes: true }),
    () => ({
      url: `${base}/documents`,
      body: JSON.stringify({ documents: [{ id: 'junk', text: '본문', meta: ['not', 'an', 'object'] }] }),
      expect: 'INVALID_ARGUMENT',
    }),
    () => ({
      url: `${base}/documents`,
      body: JSON.stringify({ documents: [{ id: 'junk' }] }),
      expect: 'INVALID_ARGUMENT',
    }),
    () => ({ method: 'GET', url: `${base}/nowhere`, expect: 'NOT_FOUND' }),
  ];
  const pick = kinds[Math.floor(random() * kinds.length)]();
  return { kind: 'junk', method: 'POST', url: `${base}/search`, headers: json, ...pick };
}

export class Tally {
  requests = 0;
  byKind = {};
  errors = {};
  untyped = 0;
  wrongCode = 0;
  samples = [];

  /** Sends `request`; `writer()` is { epoch } (it changes when the writer is killed). */
  async send(request, writer) {
    const epoch = writer().epoch;
    this.requests++;
    this.byKind[request.kind] = (this.byKind[request.kind] ?? 0) + 1;
    let status;
    let json;
    try {
      const res = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(30_000),
      });
      status = res.status;
      const text = await res.text();
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = { unparsed: text.slice(0, 200) };
      }
    } catch (error) {
      const reason = error?.cause?.code ?? error?.message;
      if (writer().epoch !== epoch || writer().killed) {
        this.count('CONNECTION_LOST (writer killed)');
      } else if (request.closes && /EPIPE|ECONNRESET|other side closed/.test(reason)) {
        // the server answers 413 and closes while the client is still uploading (docs/serve.md)
        this.count(`${request.expect} (closed during the upload)`);
      } else {
        this.count('UNTYPED');
        this.untyped++;
        this.note(`${request.kind} ${request.expect ?? ''} ${request.method}: ${reason}`);
      }
      request.done?.(undefined, undefined);
      return;
    }
    const code = json?.error?.code;
    if (status >= 400) {
      if (typeof code !== 'string' || code === 'INTERNAL') {
        this.untyped++;
        this.note(`${request.kind} ${request.expect ?? ''}: ${status} ${String(JSON.stringify(json)).slice(0, 200)}`);
      }
      this.count(code ?? `HTTP_${status}`);
    }
    if (request.expect && code !== request.expect) {
      this.wrongCode++;
      this.note(`${request.kind}: expected ${request.expect}, got ${status} ${code}`);
    }
    request.done?.(status, json);
  }

  count(code) {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  note(line) {
    if (this.samples.length < 20) this.samples.push(line);
  }

  figures() {
    return {
      requests: this.requests,
      byKind: this.byKind,
      errorsByCode: this.errors,
      untyped: this.untyped,
      wrongCode: this.wrongCode,
      notes: this.samples,
    };
  }
}
