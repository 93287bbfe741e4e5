/**
 * Model resolution: a local directory is used as is; a Hub id (`owner/name`) is downloaded into a
 * cache directory `<cacheDir>/<owner>--<name>/<revision>/` with the Hub's `resolve` URLs:
 *   `${endpoint}/${id}/resolve/${revision}/${path}`
 *
 * Per file (as huggingface_hub does): a HEAD request without following redirects reads the
 * announced size (`X-Linked-Size`, else `Content-Length`) and hash (`X-Linked-Etag` for LFS files =
 * SHA-256 of the content; `ETag` for small git files = git blob SHA-1); the GET follows the redirect.
 * Downloads go to `<file>.incomplete` and resume with `Range: bytes=<have>-` after an interruption
 * (up to 3 attempts per call; a later call resumes too). After the transfer the size and, when the
 * server announced one, the hash are verified (SHA-256 for a 64-hex etag, git blob SHA-1 for a 40-hex
 * etag); a mismatch deletes the partial file and throws INTEGRITY_ERROR. Verified files are renamed
 * into place and recorded in `.tamsaek-files.json` (etag, size) so a later online call skips them.
 *
 * Environment: HF_ENDPOINT (endpoint override), HF_HUB_OFFLINE / TAMSAEK_OFFLINE (offline switch:
 * only the cache is used), TAMSAEK_CACHE (cache dir; default $HF_HOME/tamsaek or ~/.cache/tamsaek),
 * HF_TOKEN (sent as a bearer token to the endpoint's own host only).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { TamsaekError } from '../errors.js';
import { isFile } from '../util/atomic-file.js';
import { checkRelativeFile, FP32_FILES, INT8_FILES } from './model-dir.js';

export interface HubOptions {
  cacheDir?: string;
  /** Use only the cache (default: HF_HUB_OFFLINE or TAMSAEK_OFFLINE set to 1/true/yes/on). */
  offline?: boolean;
  /** Default: HF_ENDPOINT or https://huggingface.co */
  endpoint?: string;
  revision?: string;
  /** Default: HF_TOKEN */
  token?: string;
  onDownloadProgress?: (file: string, done: number, total: number | undefined) => void;
}

/** The option names of HubOptions, for the loaders' checks of unknown options. */
export const HUB_OPTION_KEYS = ['cacheDir', 'offline', 'endpoint', 'revision', 'token', 'onDownloadProgress'] as const;

/** HubOptions' own fields of a loader's options. */
export function hubOptionsOf(options: HubOptions): HubOptions {
  const { cacheDir, offline, endpoint, revision, token, onDownloadProgress } = options;
  return { cacheDir, offline, endpoint, revision, token, onDownloadProgress };
}

export interface ResolveOptions extends HubOptions {
  quantized?: boolean;
  file?: string;
}

const TRUTHY = ['1', 'true', 'yes', 'on'];
const REQUIRED_FILES = ['config.json', 'tokenizer.json'];
const OPTIONAL_FILES = [
  'tokenizer_config.json',
  'special_tokens_map.json',
  '1_Pooling/config.json',
  'config_sentence_transformers.json',
  'modules.json',
];
const MANIFEST = '.tamsaek-files.json';
const ATTEMPTS = 3;

export function isOffline(options: { offline?: boolean } = {}): boolean {
  if (options.offline !== undefined) return options.offline;
  return [process.env.HF_HUB_OFFLINE, process.env.TAMSAEK_OFFLINE].some(
    (v) => v !== undefined && TRUTHY.includes(v.toLowerCase()),
  );
}

export function defaultCacheDir(): string {
  if (process.env.TAMSAEK_CACHE) return process.env.TAMSAEK_CACHE;
  if (process.env.HF_HOME) return join(process.env.HF_HOME, 'tamsaek');
  return join(homedir(), '.cache', 'tamsaek');
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** A local model directory, or the cache directory of a Hub id after downloading what is missing. */
export async function resolveModel(model: string, options: ResolveOptions = {}): Promise<string> {
  if (await isDir(model)) return model;
  if (!HUB_ID.test(model) || model.includes('..')) {
    throw new TamsaekError('NOT_FOUND', `model "${model}" is neither a directory nor a Hub id (owner/name)`);
  }
  return downloadModel(model, options);
}

function cachePath(model: string, revision: string, cacheDir: string): string {
  return join(cacheDir, model.replace('/', '--'), revision.replace(/[^\w.-]/g, '_'));
}

function onnxCandidates(options: ResolveOptions): string[] {
  if (options.file) return [options.file];
  return options.quantized === false ? FP32_FILES : [...INT8_FILES.filter((f) => f.startsWith('onnx/')), ...FP32_FILES];
}

type Manifest = Record<string, { etag?: string; size: number }>;

async function readManifest(dir: string): Promise<Manifest> {
  try {
    return JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return {};
  }
}

export async function downloadModel(model: string, options: ResolveOptions = {}): Promise<string> {
  if (typeof model !== 'string' || !HUB_ID.test(model) || model.includes('..'))
    throw new TamsaekError('INVALID_ARGUMENT', `"${String(model)}" is not a Hub id (owner/name)`);
  if (options.file !== undefined) checkRelativeFile(options.file);
  const revision = options.revision ?? 'main';
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const dir = cachePath(model, revision, cacheDir);
  const manifest = await readManifest(dir);
  const cachedOnnx = async () => {
    for (const f of onnxCandidates(options)) if (manifest[f] && (await isFile(join(dir, f)))) return f;
    return undefined;
  };
  if (isOffline(options)) {
    const complete =
      (await Promise.all(REQUIRED_FILES.map((f) => isFile(join(dir, f))))).every(Boolean) &&
      (await cachedOnnx()) !== undefined;
    if (!complete) {
      throw new TamsaekError(
        'OFFLINE',
        `model ${model} (revision ${revision}) is not in the cache ${dir} and offline mode is on (HF_HUB_OFFLINE / TAMSAEK_OFFLINE); download it once online or pass a local directory`,
      );
    }
    return dir;
  }
  try {
    return await fetchModel(model, options, dir, manifest, revision);
  } catch (e) {
    // like huggingface_hub: when the endpoint cannot be reached, a complete cached copy is used
    const complete =
      (await Promise.all(REQUIRED_FILES.map((f) => isFile(join(dir, f))))).every(Boolean) &&
      (await cachedOnnx()) !== undefined;
    if (e instanceof TamsaekError && e.code === 'DOWNLOAD_ERROR' && complete) return dir;
    throw e;
  }
}

async function fetchModel(
  model: string,
  options: ResolveOptions,
  dir: string,
  manifest: Manifest,
  revision: string,
): Promise<string> {
  const endpoint = (options.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
  const client = new HubClient(endpoint, options.token ?? process.env.HF_TOKEN, options.onDownloadProgress);
  await mkdir(dir, { recursive: true });
  const base = `${endpoint}/${model}/resolve/${encodeURIComponent(revision)}/`;
  const fetchOne = async (file: string, required: boolean): Promise<boolean> => {
    const ok = await client.download(base + file, join(dir, file), file, manifest, required);
    if (ok) await writeFile(join(dir, MANIFEST), JSON.stringify(manifest, null, 1));
    return ok;
  };
  for (const f of REQUIRED_FILES) await fetchOne(f, true);
  for (const f of OPTIONAL_FILES) await fetchOne(f, false);
  let onnx: string | undefined;
  for (const f of onnxCandidates(options)) {
    if (await fetchOne(f, false)) {
      onnx = f;
      break;
    }
  }
  if (!onnx) {
    throw new TamsaekError(
      'NOT_FOUND',
      `model ${model} has no ONNX export at ${endpoint} (tried ${onnxCandidates(options).join(', ')}); export it with optimum-cli (see docs/dense.md)`,
    );
  }
  await fetchOne(`${onnx}_data`, false); // external weights of models over 2 GB
  return dir;
}

interface Announced {
  url: string;
  size?: number;
  etag?: string;
}

class HubClient {
  private readonly origin: string;
  constructor(
    endpoint: string,
    private readonly token: string | undefined,
    private readonly onProgress: HubOptions['onDownloadProgress'],
  ) {
    this.origin = new URL(endpoint).origin;
  }

  private headers(url: string, extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': 'tamsaek', ...extra };
    if (this.token && new URL(url).origin === this.origin) h.authorization = `Bearer ${this.token}`;
    return h;
  }

  private async request(url: string, init: RequestInit, file: string): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
      throw new TamsaekError('DOWNLOAD_ERROR', `cannot reach ${new URL(url).origin} for ${file}: ${cause}`, {
        cause: e,
      });
    }
  }

  private httpError(status: number, file: string, url: string): TamsaekError {
    if (status === 404) return new TamsaekError('NOT_FOUND', `${file}: not found at ${url} (HTTP 404)`);
    if (status === 401 || status === 403) {
      return new TamsaekError(
        'DOWNLOAD_ERROR',
        `${file}: access denied at ${url} (HTTP ${status}); gated or private models need HF_TOKEN`,
      );
    }
    return new TamsaekError('DOWNLOAD_ERROR', `${file}: HTTP ${status} from ${url}`);
  }

  /** HEAD without following redirects (relative ones are followed): announced size and etag. */
  private async announce(url: string, file: string): Promise<Announced | undefined> {
    let current = url;
    let size: number | undefined;
    let etag: string | undefined;
    for (let hop = 0; hop < 5; hop++) {
      const res = await this.request(
        current,
        { method: 'HEAD', redirect: 'manual', headers: this.headers(current, { 'accept-encoding': 'identity' }) },
        file,
      );
      const linkedEtag = res.headers.get('x-linked-etag');
      const linkedSize = res.headers.get('x-linked-size');
      etag ??= linkedEtag ?? res.headers.get('etag') ?? undefined;
      if (linkedSize) size ??= Number(linkedSize);
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        current = new URL(res.headers.get('location') as string, current).href;
        continue;
      }
      if (res.status === 404) return undefined;
      if (!res.ok) throw this.httpError(res.status, file, url);
      const len = res.headers.get('content-length');
      if (size === undefined && len !== null) size = Number(len);
      return { url: current, size, etag: etag ? etag.replace(/^W\//, '').replace(/"/g, '') : undefined };
    }
    throw new TamsaekError('DOWNLOAD_ERROR', `${file}: too many redirects from ${url}`);
  }

  /** Downloads `url` to `dest` (resuming `dest.incomplete`); false when the file does not exist and is optional. */
  async download(url: string, dest: string, file: string, manifest: Manifest, required: boolean): Promise<boolean> {
    const meta = await this.announce(url, file);
    if (!meta) {
      if (required) throw this.httpError(404, file, url);
      return false;
    }
    const known = manifest[file];
    if (
      known &&
      (await isFile(dest)) &&
      known.etag === meta.etag &&
      (meta.size === undefined || known.size === meta.size)
    )
      return true;
    await mkdir(dirname(dest), { recursive: true });
    const partial = `${dest}.incomplete`;
    let lastError: unknown;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        await this.transfer(meta, partial, file);
        lastError = undefined;
        break;
      } catch (e) {
        lastError = e;
        if (e instanceof TamsaekError && e.code !== 'DOWNLOAD_ERROR') throw e;
      }
    }
    if (lastError) throw lastError;
    const size = (await stat(partial)).size;
    if (meta.size !== undefined && size !== meta.size) {
      await unlink(partial).catch(() => undefined);
      throw new TamsaekError('INTEGRITY_ERROR', `${file}: downloaded ${size} bytes, the server announced ${meta.size}`);
    }
    const expected = meta.etag?.toLowerCase();
    if (expected && /^[0-9a-f]{64}$/.test(expected)) {
      const got = await hashFile(partial, 'sha256');
      if (got !== expected) {
        await unlink(partial).catch(() => undefined);
        throw new TamsaekError('INTEGRITY_ERROR', `${file}: SHA-256 ${got} differs from the announced ${expected}`);
      }
    } else if (expected && /^[0-9a-f]{40}$/.test(expected)) {
      const got = await hashFile(partial, 'sha1', `blob ${size}\0`);
      if (got !== expected) {
        await unlink(partial).catch(() => undefined);
        throw new TamsaekError(
          'INTEGRITY_ERROR',
          `${file}: git blob SHA-1 ${got} differs from the announced ${expected}`,
        );
      }
    }
    await rename(partial, dest);
    manifest[file] = { etag: meta.etag, size };
    return true;
  }

  private async transfer(meta: Announced, partial: string, file: string): Promise<void> {
    let have = 0;
    try {
      have = (await stat(partial)).size;
    } catch {
      have = 0;
    }
    if (meta.size !== undefined && have === meta.size) return;
    if (meta.size !== undefined && have > meta.size) have = 0;
    const headers = this.headers(meta.url, {
      'accept-encoding': 'identity',
      ...(have > 0 ? { range: `bytes=${have}-` } : {}),
    });
    const res = await this.request(meta.url, { headers, redirect: 'follow' }, file);
    if (res.status === 416 && have > 0) {
      have = 0;
      await unlink(partial).catch(() => undefined);
      throw new TamsaekError('DOWNLOAD_ERROR', `${file}: server refused the resume range; restarting`);
    }
    if (!res.ok) throw this.httpError(res.status, file, meta.url);
    const append = res.status === 206 && have > 0;
    if (!append) have = 0;
    const fh = await open(partial, append ? 'a' : 'w');
    let done = have;
    try {
      if (!res.body) throw new Error('empty body');
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        await fh.write(chunk);
        done += chunk.length;
        this.onProgress?.(file, done, meta.size);
      }
      await fh.sync();
    } catch (e) {
      throw new TamsaekError(
        'DOWNLOAD_ERROR',
        `${file}: transfer interrupted after ${done} bytes (${(e as Error).message}); it resumes on the next attempt`,
        { cause: e },
      );
    } finally {
      await fh.close();
    }
  }
}

async function hashFile(path: string, algorithm: 'sha256' | 'sha1', prefix?: string): Promise<string> {
  const h = createHash(algorithm);
  if (prefix) h.update(prefix);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
