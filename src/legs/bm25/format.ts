/**
 * On-disk format of a BM25 index: one file `bm25.tsk` in the index directory.
 *
 *   magic "TSKBM25\0" (8 bytes) · format version u32 LE · header length u32 LE · header JSON (UTF-8)
 *   · sections, each starting at an 8-byte aligned offset · SHA-256 of everything before it (32 bytes)
 *
 * The header names every section with its offset, byte length and type, plus the scoring
 * parameters and the analyzer config needed to re-create the index. Only live documents are
 * written (a save is also a compaction); postings are rebuilt from the forward lists on open,
 * which costs less than reading them. Writes go to a temporary file that is fsynced and then
 * renamed over the old one, and the directory is fsynced, so a crash leaves the old or the new
 * index, never a torn one.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { AnalyzerConfig } from '../../analyze/types.js';
import { TamsaekError } from '../../errors.js';
import { atomicWrite } from '../../util/atomic-file.js';
import { Slicer } from '../../util/slices.js';
import type { Metadata } from '../types.js';
import type { IndexSnapshot } from './segment.js';

/** The scoring settings stored with an index (what re-creates it on open). */
export interface Bm25Settings {
  k1: number;
  b: number;
  fields: Record<string, number>;
  analyzer: AnalyzerConfig;
}

export const BM25_FILE = 'bm25.tsk';
const MAGIC = Buffer.from('TSKBM25\0', 'latin1');
export const BM25_FORMAT_VERSION = 1;
const PREAMBLE = MAGIC.length + 8;
const DIGEST_BYTES = 32;
/** Bytes hashed between two checks of the slice clock (a few milliseconds of SHA-256). */
const HASH_PIECE = 1 << 22;
/** Format versions above this are garbage, not a future format. */
const PLAUSIBLE_VERSIONS = 1000;

type SectionType = 'json' | 'int32' | 'float32';
interface SectionRef {
  offset: number;
  bytes: number;
  type: SectionType;
}
interface Header {
  k1: number;
  b: number;
  fields: Record<string, number>;
  analyzer: AnalyzerConfig;
  documents: number;
  terms: number;
  sections: Record<SectionName, SectionRef>;
}
const SECTION_NAMES = ['terms', 'ids', 'metas', 'df', 'docStart', 'postTerms', 'postTfs', 'lengths'] as const;
type SectionName = (typeof SECTION_NAMES)[number];

function checkEndianness(): void {
  if (endianness() !== 'LE')
    throw new TamsaekError('IO_ERROR', 'tamsaek index files are little-endian; this platform is big-endian');
}

/** Writes the index atomically into `dir` (created if missing). */
export async function saveBm25(
  snap: IndexSnapshot,
  settings: Bm25Settings,
  dir: string,
  slicer: Slicer = new Slicer(),
): Promise<void> {
  checkEndianness();
  const payload: Record<SectionName, { type: SectionType; data: Uint8Array }> = {
    terms: json(snap.termStrings),
    ids: json(snap.ids),
    metas: json(snap.metas.map((m) => (m === undefined ? null : m))),
    df: typed('int32', snap.df),
    docStart: typed('int32', snap.forward.docStart),
    postTerms: typed('int32', snap.forward.terms),
    postTfs: typed('float32', snap.forward.tfs),
    lengths: typed('float32', snap.forward.lengths),
  };
  // header size depends on the offsets it lists: lay out with a fixed-width placeholder first
  const layout = (headerBytes: number): Header => {
    let offset = align8(PREAMBLE + headerBytes);
    const sections = {} as Record<SectionName, SectionRef>;
    for (const name of SECTION_NAMES) {
      sections[name] = { offset, bytes: payload[name].data.byteLength, type: payload[name].type };
      offset = align8(offset + payload[name].data.byteLength);
    }
    return {
      k1: settings.k1,
      b: settings.b,
      fields: { ...settings.fields },
      analyzer: settings.analyzer,
      documents: snap.ids.length,
      terms: snap.termStrings.length,
      sections,
    };
  };
  let headerBytes = Buffer.byteLength(JSON.stringify(layout(0)));
  for (;;) {
    const size = Buffer.byteLength(JSON.stringify(layout(headerBytes)));
    if (size <= headerBytes) break;
    headerBytes = size;
  }
  const headerJson = Buffer.alloc(headerBytes, 0x20);
  headerJson.write(JSON.stringify(layout(headerBytes)));
  const header = layout(headerBytes);

  const preamble = Buffer.alloc(PREAMBLE);
  MAGIC.copy(preamble, 0);
  preamble.writeUInt32LE(BM25_FORMAT_VERSION, MAGIC.length);
  preamble.writeUInt32LE(headerBytes, MAGIC.length + 4);
  const parts: Uint8Array[] = [preamble, headerJson];
  let position = PREAMBLE + headerBytes;
  for (const name of SECTION_NAMES) {
    const pad = header.sections[name].offset - position;
    if (pad > 0) parts.push(Buffer.alloc(pad));
    parts.push(payload[name].data);
    position = header.sections[name].offset + payload[name].data.byteLength;
  }
  parts.push(await sha256(parts, slicer));
  await mkdir(dir, { recursive: true });
  await atomicWrite('Bm25Index.save', join(dir, BM25_FILE), parts);
}

/** Reads an index saved by saveBm25. Every defect is a typed error, never a wrong index. */
export async function openBm25(
  dir: string,
  slicer: Slicer = new Slicer(),
): Promise<{ settings: Bm25Settings; snapshot: IndexSnapshot }> {
  checkEndianness();
  const path = join(dir, BM25_FILE);
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TamsaekError('NOT_FOUND', `no BM25 index at ${dir} (missing ${BM25_FILE})`);
    throw new TamsaekError('IO_ERROR', `could not read ${path}: ${(error as Error).message}`, { cause: error });
  }
  checkPreamble(file, path);
  const bodyEnd = file.length - DIGEST_BYTES;
  const intact = (await sha256([file.subarray(0, bodyEnd)], slicer)).equals(file.subarray(bodyEnd));
  return decode(file, path, intact);
}

/** SHA-256 of the parts, fed in pieces with event-loop turns between slices. */
async function sha256(parts: readonly Uint8Array[], slicer: Slicer): Promise<Buffer> {
  const hash = createHash('sha256');
  for (const part of parts) {
    for (let at = 0; at < part.byteLength; at += HASH_PIECE) {
      hash.update(part.subarray(at, Math.min(part.byteLength, at + HASH_PIECE)));
      await slicer.pause();
    }
  }
  return hash.digest();
}

/**
 * The scoring settings of a saved index, from its header alone (an export's plan; the whole file is
 * checked when the index is opened). CORRUPT_INDEX when the header cannot be read.
 */
export async function readBm25Settings(dir: string): Promise<Bm25Settings> {
  const path = join(dir, BM25_FILE);
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new TamsaekError(error.code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `${path}: ${error.message}`);
  });
  try {
    const preamble = Buffer.alloc(PREAMBLE);
    const { bytesRead } = await handle.read(preamble, 0, PREAMBLE, 0);
    if (bytesRead < PREAMBLE || !preamble.subarray(0, MAGIC.length).equals(MAGIC))
      throw new TamsaekError('FOREIGN_FILE', `${path} is not a tamsaek BM25 index`);
    const headerBytes = preamble.readUInt32LE(MAGIC.length + 4);
    const { size } = await handle.stat();
    if (PREAMBLE + headerBytes > size - DIGEST_BYTES)
      throw new TamsaekError('CORRUPT_INDEX', `${path}: header overruns the file`);
    const header = Buffer.alloc(headerBytes);
    await handle.read(header, 0, headerBytes, PREAMBLE);
    const { k1, b, fields, analyzer } = parseHeader(header.toString('utf8'), path);
    return { k1, b, fields, analyzer };
  } catch (error) {
    if (error instanceof TamsaekError) throw error;
    throw new TamsaekError('IO_ERROR', `${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    await handle.close();
  }
}

function parseHeader(json: string, path: string): Header {
  try {
    return JSON.parse(json) as Header;
  } catch {
    throw new TamsaekError('CORRUPT_INDEX', `${path}: header is not valid JSON`);
  }
}

function checkPreamble(file: Buffer, path: string): void {
  if (file.length < MAGIC.length || !file.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new TamsaekError('FOREIGN_FILE', `${path} is not a tamsaek BM25 index`);
  }
  if (file.length < PREAMBLE + DIGEST_BYTES) throw new TamsaekError('CORRUPT_INDEX', `${path} is truncated`);
}

/**
 * The version is read only once the checksum holds (a damaged preamble is CORRUPT_INDEX, not a
 * version from the future); a file whose checksum fails but whose version is a plausible newer one is
 * UNSUPPORTED_VERSION, since a later format may place its checksum differently.
 */
function checkVersion(file: Buffer, path: string, intact: boolean): void {
  const version = file.readUInt32LE(MAGIC.length);
  const newer = version > BM25_FORMAT_VERSION && version < PLAUSIBLE_VERSIONS;
  if (newer || (intact && version > BM25_FORMAT_VERSION)) {
    throw new TamsaekError(
      'UNSUPPORTED_VERSION',
      `${path} has format version ${version}; this tamsaek reads up to ${BM25_FORMAT_VERSION} (upgrade tamsaek)`,
    );
  }
  if (!intact) throw new TamsaekError('CORRUPT_INDEX', `${path} is corrupt or truncated (checksum mismatch)`);
  if (version < 1) throw new TamsaekError('CORRUPT_INDEX', `${path} has an invalid format version ${version}`);
}

/** Decodes a whole file (`intact`: its checksum holds; computed here when not given). */
export function decode(
  file: Buffer,
  path: string,
  intact?: boolean,
): { settings: Bm25Settings; snapshot: IndexSnapshot } {
  checkPreamble(file, path);
  const bodyEnd = file.length - DIGEST_BYTES;
  checkVersion(
    file,
    path,
    intact ?? createHash('sha256').update(file.subarray(0, bodyEnd)).digest().equals(file.subarray(bodyEnd)),
  );
  const headerBytes = file.readUInt32LE(MAGIC.length + 4);
  if (PREAMBLE + headerBytes > bodyEnd) throw new TamsaekError('CORRUPT_INDEX', `${path}: header overruns the file`);
  const header = parseHeader(file.toString('utf8', PREAMBLE, PREAMBLE + headerBytes), path);
  const section = (name: SectionName, type: SectionType): Uint8Array => {
    const ref = header?.sections?.[name];
    if (
      !ref ||
      ref.type !== type ||
      !Number.isInteger(ref.offset) ||
      !Number.isInteger(ref.bytes) ||
      ref.offset < PREAMBLE + headerBytes ||
      ref.bytes < 0 ||
      ref.offset + ref.bytes > bodyEnd
    ) {
      throw new TamsaekError('CORRUPT_INDEX', `${path}: section "${name}" is missing or out of bounds`);
    }
    if (type !== 'json' && ref.bytes % 4 !== 0)
      throw new TamsaekError('CORRUPT_INDEX', `${path}: section "${name}" has a partial element`);
    return file.subarray(ref.offset, ref.offset + ref.bytes);
  };
  const parseJson = (name: SectionName): unknown[] => {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(section(name, 'json')).toString('utf8'));
    } catch {
      throw new TamsaekError('CORRUPT_INDEX', `${path}: section "${name}" is not valid JSON`);
    }
    if (!Array.isArray(value)) throw new TamsaekError('CORRUPT_INDEX', `${path}: section "${name}" is not a list`);
    return value;
  };
  const int32 = (name: SectionName) => {
    const bytes = section(name, 'int32');
    return bytes.byteOffset % 4 === 0
      ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
      : new Int32Array(copy(bytes));
  };
  const float32 = (name: SectionName) => {
    const bytes = section(name, 'float32');
    return bytes.byteOffset % 4 === 0
      ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
      : new Float32Array(copy(bytes));
  };

  const snapshot: IndexSnapshot = {
    termStrings: parseJson('terms') as string[],
    ids: parseJson('ids') as string[],
    metas: parseJson('metas').map((m) => (m === null ? undefined : (m as Metadata))),
    df: int32('df'),
    forward: {
      docStart: int32('docStart'),
      terms: int32('postTerms'),
      tfs: float32('postTfs'),
      lengths: float32('lengths'),
    },
  };
  if (snapshot.ids.length !== header.documents || snapshot.termStrings.length !== header.terms) {
    throw new TamsaekError('CORRUPT_INDEX', `${path}: header counts disagree with its sections`);
  }
  const { k1, b, fields, analyzer } = header;
  return { settings: { k1, b, fields, analyzer }, snapshot };
}

function json(value: unknown): { type: SectionType; data: Uint8Array } {
  return { type: 'json', data: Buffer.from(JSON.stringify(value), 'utf8') };
}

function typed(type: 'int32' | 'float32', array: Int32Array | Float32Array): { type: SectionType; data: Uint8Array } {
  return { type, data: new Uint8Array(array.buffer, array.byteOffset, array.byteLength) };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Typed-array views need aligned memory: a Buffer from the pool may start anywhere (small files). */
function copy(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
