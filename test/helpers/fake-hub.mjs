// A local stand-in for the Hugging Face Hub's file endpoints, on 127.0.0.1 only:
//   HEAD/GET /<owner>/<name>/resolve/<rev>/<path>
// *.onnx files behave like LFS files: the resolve URL answers 302 to /cdn/<owner>/<name>/<path> with
// X-Linked-Etag (SHA-256) and X-Linked-Size; other files answer directly with a git-blob SHA-1 ETag.
// /cdn/ supports Range requests. Knobs: interrupt (cut the first full GET of a file after half its
// bytes), corrupt (serve flipped bytes), log of requests.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';

function walk(dir, base = dir, out = {}) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, base, out);
    else out[path.relative(base, p).split(path.sep).join('/')] = readFileSync(p);
  }
  return out;
}

export async function startFakeHub(repos) {
  const files = {}; // "owner/name" -> { path -> Buffer }
  for (const [id, dir] of Object.entries(repos)) files[id] = walk(dir);
  const state = { log: [], interrupt: new Set(), corrupt: new Set(), interrupted: [] };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    state.log.push({ method: req.method, path: url.pathname, range: req.headers.range });
    let m = url.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    if (m) {
      const [, id, , file] = m;
      const buf = files[id]?.[decodeURIComponent(file)];
      if (!buf) {
        res.writeHead(404, { 'x-error-code': 'EntryNotFound' });
        return res.end();
      }
      if (file.endsWith('.onnx')) {
        res.writeHead(302, {
          location: `/cdn/${id}/${file}`,
          'x-linked-etag': `"${createHash('sha256').update(buf).digest('hex')}"`,
          'x-linked-size': String(buf.length),
          etag: '"ignored-git-oid"',
        });
        return res.end();
      }
      const etag = createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
      res.writeHead(200, {
        etag: `"${etag}"`,
        'content-length': String(buf.length),
        'content-type': 'application/octet-stream',
      });
      return res.end(req.method === 'HEAD' ? undefined : buf);
    }
    m = url.pathname.match(/^\/cdn\/([^/]+\/[^/]+)\/(.+)$/);
    if (m) {
      const [, id, file] = m;
      let buf = files[id]?.[file];
      if (!buf) {
        res.writeHead(404);
        return res.end();
      }
      if (state.corrupt.has(file)) {
        buf = Buffer.from(buf);
        buf[buf.length >> 1] ^= 0xff;
      }
      const range = req.headers.range?.match(/^bytes=(\d+)-$/);
      if (range) {
        const start = Number(range[1]);
        if (start >= buf.length) {
          res.writeHead(416, { 'content-range': `bytes */${buf.length}` });
          return res.end();
        }
        res.writeHead(206, {
          'content-length': String(buf.length - start),
          'content-range': `bytes ${start}-${buf.length - 1}/${buf.length}`,
          'accept-ranges': 'bytes',
        });
        return res.end(req.method === 'HEAD' ? undefined : buf.subarray(start));
      }
      res.writeHead(200, { 'content-length': String(buf.length), 'accept-ranges': 'bytes' });
      if (req.method === 'HEAD') return res.end();
      if (state.interrupt.has(file)) {
        state.interrupt.delete(file);
        state.interrupted.push(file);
        res.write(buf.subarray(0, buf.length >> 1), () => setTimeout(() => res.destroy(), 20));
        return;
      }
      return res.end(buf);
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  return { endpoint, state, close: () => new Promise((r) => server.close(r)), files };
}
