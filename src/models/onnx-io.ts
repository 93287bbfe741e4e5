/**
 * Reading and writing ONNX ModelProto files with protobufjs and onnx.proto (./onnx-schema.ts),
 * including the external-data layout that models over 2 GB need (protobuf messages are limited to
 * 2 GB): large initializers live in `<file>_data`, each TensorProto naming its location, offset and
 * length. Used by the synthetic model generator (./synthetic.ts) and the int8 quantizer
 * (./quantize.ts); ./static-onnx.ts predates it and writes its one small graph inline.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TamsaekError } from '../errors.js';

/** TensorProto.DataType values. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;
// bytes per element of the fixed-size types (strings cannot be stored as raw data)
const BYTES: Record<number, number> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  16: 2,
};
/** AttributeProto.AttributeType values. */
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;
/** Initializers written to the external data file are aligned so onnxruntime can map them. */
const ALIGN = 4096;
/** Above this many initializer bytes a model is written with external data. */
export const EXTERNAL_THRESHOLD = 1_800_000_000;

// ONNX messages, loosely: protobufjs objects with camelCase fields; int64 fields may decode as Long.
// biome-ignore lint/suspicious/noExplicitAny: generated protobuf objects, read field by field
export type Proto = Record<string, any>;

let onnxModule: Promise<Proto> | undefined;
/** The ONNX message types, only needed when models are written or rewritten: loaded on first use. */
export function loadOnnxProto(): Promise<Proto> {
  onnxModule ??= import('./onnx-schema.js').then((m) => ({ ModelProto: m.onnxModelProto() }));
  return onnxModule;
}

export type AttrValue = number | string | readonly number[] | { float: number } | { floats: readonly number[] };

/** A NodeProto; integer attributes are INT, `{float}` FLOAT, arrays of integers INTS. */
export function node(
  opType: string,
  input: readonly string[],
  output: readonly string[] | string,
  attrs: Record<string, AttrValue> = {},
  domain = '',
): Proto {
  const outs = typeof output === 'string' ? [output] : [...output];
  const attribute = Object.entries(attrs).map(([name, v]) => {
    if (typeof v === 'number') return { name, type: ATTR.INT, i: v };
    if (typeof v === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
    if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: [...v] };
    if ('floats' in (v as object)) return { name, type: ATTR.FLOATS, floats: [...(v as { floats: number[] }).floats] };
    return { name, type: ATTR.FLOAT, f: (v as { float: number }).float };
  });
  return { opType, input: [...input], output: outs, name: `${opType}_${outs[0]}`, attribute, domain };
}

/** A ValueInfoProto of a tensor; string dimensions are symbolic. */
export function valueInfo(name: string, elemType: number, shape: readonly (number | string)[]): Proto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

export type TensorData = Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

/** An initializer to be written: its bytes are produced when the writer reaches it (so a 2 GB model need not sit in memory). */
export interface TensorSpec {
  name: string;
  dataType: number;
  dims: readonly number[];
  data: TensorData | (() => TensorData | Promise<TensorData>);
}

export function tensorBytes(dataType: number, dims: readonly number[]): number {
  const size = BYTES[dataType];
  if (size === undefined) throw new TamsaekError('INVALID_MODEL', `unsupported ONNX tensor data type ${dataType}`);
  return dims.reduce((a, b) => a * b, 1) * size;
}

function asBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export interface ModelSpec {
  graphName: string;
  nodes: Proto[];
  inputs: Proto[];
  outputs: Proto[];
  initializers: readonly TensorSpec[];
  opsets?: { domain: string; version: number }[];
  producer?: string;
  docString?: string;
  metadata?: Record<string, string>;
  /** Other GraphProto fields kept as they are (valueInfo of a rewritten model). */
  graphExtra?: Proto;
  /** Other ModelProto fields kept as they are (functions, domain, modelVersion of a rewritten model). */
  modelExtra?: Proto;
}

export interface WriteOptions {
  /** true: large initializers go to `<file>_data`; 'auto' (default): only when they exceed `threshold`. */
  external?: boolean | 'auto';
  /** Initializer bytes above which 'auto' writes external data (default EXTERNAL_THRESHOLD). */
  threshold?: number;
}

/**
 * Writes a model to `path` (and `path_data` when external), through temporary files renamed into
 * place, so an interrupted write never leaves a half-written model under the final name.
 * Returns the bytes written (graph file + data file).
 */
export async function writeOnnxModel(path: string, spec: ModelSpec, options: WriteOptions = {}): Promise<number> {
  const onnx = await loadOnnxProto();
  const total = spec.initializers.reduce((s, t) => s + tensorBytes(t.dataType, t.dims), 0);
  const threshold = options.threshold ?? EXTERNAL_THRESHOLD;
  const external = options.external === true || (options.external !== false && total > threshold);
  const dataName = `${basename(path)}_data`;
  const tmpData = join(dirname(path), `.${dataName}.tmp-${process.pid}`);
  const tmpModel = `${path}.tmp-${process.pid}`;
  const initializer: Proto[] = [];
  let dataBytes = 0;
  const file = external ? await open(tmpData, 'w') : undefined;
  try {
    for (const t of spec.initializers) {
      const data = typeof t.data === 'function' ? await t.data() : t.data;
      const bytes = asBytes(data);
      if (bytes.length !== tensorBytes(t.dataType, t.dims))
        throw new TamsaekError('INVALID_MODEL', `initializer ${t.name}: ${bytes.length} bytes for dims [${t.dims}]`);
      const base = { name: t.name, dataType: t.dataType, dims: [...t.dims] };
      if (file && bytes.length >= 1024) {
        const offset = Math.ceil(dataBytes / ALIGN) * ALIGN;
        await file.write(bytes, 0, bytes.length, offset);
        dataBytes = offset + bytes.length;
        const entries = { location: dataName, offset: String(offset), length: String(bytes.length) };
        const externalData = Object.entries(entries).map(([key, value]) => ({ key, value }));
        initializer.push({ ...base, dataLocation: 1, externalData });
      } else initializer.push({ ...base, rawData: bytes });
    }
    if (file) {
      await file.sync();
      await file.close();
    }
    const model = onnx.ModelProto.create({
      irVersion: 8,
      ...spec.modelExtra,
      opsetImport: spec.opsets ?? [{ domain: '', version: 17 }],
      producerName: spec.producer ?? 'tamsaek',
      docString: spec.docString ?? '',
      metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        ...spec.graphExtra,
        name: spec.graphName,
        node: spec.nodes,
        initializer,
        input: spec.inputs,
        output: spec.outputs,
      },
    });
    const bytes: Uint8Array = onnx.ModelProto.encode(model).finish();
    const out = await open(tmpModel, 'w');
    await out.write(bytes);
    await out.sync();
    await out.close();
    if (file) await rename(tmpData, join(dirname(path), dataName));
    else await rm(join(dirname(path), dataName), { force: true });
    await rename(tmpModel, path);
    return bytes.length + dataBytes;
  } catch (e) {
    await file?.close().catch(() => undefined);
    await rm(tmpData, { force: true });
    await rm(tmpModel, { force: true });
    throw e;
  }
}

/** A decoded model and a way to read each initializer's bytes, wherever they are stored. */
export interface LoadedModel {
  model: Proto;
  path: string;
  /** The raw little-endian bytes of an initializer (inline raw_data, typed fields, or external data). */
  tensorData(t: Proto): Promise<Uint8Array>;
}

export async function readOnnxModel(path: string): Promise<LoadedModel> {
  const onnx = await loadOnnxProto();
  let model: Proto;
  try {
    model = onnx.ModelProto.decode(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_MODEL';
    throw new TamsaekError(code, `${path}: not a readable ONNX model (${(e as Error).message})`, { cause: e });
  }
  if (!model.graph) throw new TamsaekError('INVALID_MODEL', `${path}: ONNX model without a graph`);
  const dir = dirname(path);
  return { model, path, tensorData: (t) => readTensorBytes(t, dir) };
}

async function readTensorBytes(t: Proto, dir: string): Promise<Uint8Array> {
  const dims = (t.dims ?? []).map(Number);
  const expected = tensorBytes(t.dataType, dims);
  if (t.dataLocation === 1) {
    const entry = (key: string) =>
      (t.externalData as { key: string; value: string }[]).find((e) => e.key === key)?.value;
    const location = entry('location');
    if (!location || location.split(/[\\/]/).includes('..'))
      throw new TamsaekError('INVALID_MODEL', `initializer ${t.name}: bad external data location ${location}`);
    const offset = Number(entry('offset') ?? 0);
    const length = Number(entry('length') ?? expected);
    const fh = await open(join(dir, location), 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      if (bytesRead !== length)
        throw new TamsaekError('INVALID_MODEL', `initializer ${t.name}: external data file ${location} is too short`);
      return buf;
    } finally {
      await fh.close();
    }
  }
  if (t.rawData && t.rawData.length > 0) return t.rawData as Uint8Array;
  const typed = typedFields(t);
  if (typed.byteLength !== expected)
    throw new TamsaekError('INVALID_MODEL', `initializer ${t.name}: ${typed.byteLength} bytes for dims [${dims}]`);
  return typed;
}

function typedFields(t: Proto): Uint8Array {
  switch (t.dataType) {
    case DT.FLOAT:
      return asBytes(Float32Array.from(t.floatData ?? []));
    case DT.INT64:
      return asBytes(BigInt64Array.from((t.int64Data ?? []).map((v: unknown) => BigInt(String(v)))));
    case DT.INT32:
      return asBytes(Int32Array.from(t.int32Data ?? []));
    case DT.INT8:
      return asBytes(Int8Array.from(t.int32Data ?? []));
    case DT.UINT8:
      return asBytes(Uint8Array.from(t.int32Data ?? []));
    default:
      throw new TamsaekError('INVALID_MODEL', `initializer ${t.name}: data type ${t.dataType} stored in typed fields`);
  }
}

/** A float32 initializer's values as a Float32Array (copied, aligned). */
export function asFloat32(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
