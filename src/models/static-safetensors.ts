/**
 * Minimal safetensors reader/writer (https://github.com/huggingface/safetensors, format: u64 LE header
 * length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}`
 * padded with spaces to a multiple of 8, then the little-endian tensor bytes). Written here because
 * no maintained npm package covers writing; only the dtypes tamsaek uses (F32, I8, I32) are supported.
 */
import { readFile } from 'node:fs/promises';
import { TamsaekError } from '../errors.js';
import { atomicWrite } from '../util/atomic-file.js';

export type Tensor =
  | { dtype: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'I8'; shape: number[]; data: Int8Array }
  | { dtype: 'I32'; shape: number[]; data: Int32Array };

export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new TamsaekError(
        'INVALID_ARGUMENT',
        `safetensors: ${name} has ${t.data.length} values for shape [${t.shape.join(', ')}]`,
      );
    const bytes = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8);
  const hlen = Buffer.byteLength(json);
  const out = Buffer.alloc(8 + hlen + offset);
  out.writeBigUInt64LE(BigInt(hlen), 0);
  out.write(json, 8, 'utf8');
  let p = 8 + hlen;
  for (const name of names) {
    const d = tensors[name]!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), p);
    p += d.byteLength;
  }
  return out;
}

export function decodeSafetensors(
  buf: Buffer,
  where = 'safetensors',
): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const bad = (msg: string): never => {
    throw new TamsaekError('INVALID_MODEL', `${where}: ${msg}`);
  };
  if (buf.length < 8) bad('file too short');
  const hlen = Number(buf.readBigUInt64LE(0));
  if (hlen > buf.length - 8 || hlen > 100_000_000) bad('header length out of range');
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8')) as typeof header;
  } catch {
    return bad('header is not JSON');
  }
  const base = 8 + hlen;
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as unknown as Record<string, string>;
      continue;
    }
    const [b, e] = info.data_offsets ?? [];
    if (!Number.isInteger(b) || !Number.isInteger(e) || b! < 0 || e! < b! || base + e! > buf.length)
      bad(`${name}: data offsets out of range`);
    const count = info.shape.reduce((x, y) => x * y, 1);
    const bytes = buf.subarray(base + b!, base + e!);
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    if (info.dtype === 'F32') {
      if (bytes.length !== count * 4) bad(`${name}: size does not match its shape`);
      tensors[name] = { dtype: 'F32', shape: info.shape, data: new Float32Array(copy.buffer) };
    } else if (info.dtype === 'I8') {
      if (bytes.length !== count) bad(`${name}: size does not match its shape`);
      tensors[name] = { dtype: 'I8', shape: info.shape, data: new Int8Array(copy.buffer) };
    } else if (info.dtype === 'I32') {
      if (bytes.length !== count * 4) bad(`${name}: size does not match its shape`);
      tensors[name] = { dtype: 'I32', shape: info.shape, data: new Int32Array(copy.buffer) };
    } else bad(`${name}: unsupported dtype ${info.dtype}`);
  }
  return { tensors, metadata };
}

export async function writeSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await atomicWrite('writeSafetensors', path, [encodeSafetensors(tensors, metadata)]);
}

export async function readSafetensors(
  path: string,
): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new TamsaekError('NOT_FOUND', `${path}: cannot read (${(e as Error).message})`, { cause: e });
  }
  return decodeSafetensors(buf, path);
}
