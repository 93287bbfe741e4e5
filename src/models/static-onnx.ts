/**
 * ONNX export of a tamsaek static model (./static.ts): the graph computes the pooling only, from
 * bucket ids and tf weights to L2-normalized embeddings. Feature extraction (ko-morph analysis,
 * Hangul bigrams, FNV-1a hashing, 1 + ln tf; ./static-features.ts) stays outside the graph, because
 * the morpheme analyzer is not an ONNX operator.
 *
 *   inputs   ids      int64   [batch, length]  table row ids in 0..rows-1 as the Featurizer makes them
 *                                              (bucket ids, or their rows with a pruned vocabulary; padding: any valid id)
 *            weights  float32 [batch, length]  feature weights (Featurizer: 1 + ln tf), 0 for padding
 *   output   embeddings float32 [batch, dim]  normalize(sum_j w_j row(id_j) / max(sum_j w_j, eps))
 *
 * A row with no weight comes out as zeros, as in the native kernel (native/train/sparse.cpp): both
 * divisions are guarded by Max(·, eps) instead of producing NaN. Int8 models keep the int8 table
 * (Gather int8 rows and their scales, Cast, Mul), so the file is about the size of the safetensors.
 * The protobuf is written with protobufjs from the onnx.proto subset in ./onnx-schema.ts.
 */
import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkOptions, TamsaekError } from '../errors.js';
import { isFile } from '../util/atomic-file.js';
import { loadStaticWeights, readStaticModelDir, type StaticModelConfig } from './static.js';
import { tableRows } from './static-features.js';

/** opset 17 is ONNX 1.12, whose IR version is 8; both are read by every onnxruntime since 1.13. */
export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
const EPS = 1e-12;

// onnx.proto enum values (TensorProto.DataType, AttributeProto.AttributeType)
const FLOAT = 1;
const INT8 = 3;
const INT64 = 7;
const ATTR_INT = 2;
const ATTR_INTS = 7;

export interface ExportOnnxOptions {
  /** Overwrite files that already exist in the output directory. */
  force?: boolean;
}

export interface ExportOnnxResult {
  /** Path of the written ONNX file (`<outDir>/onnx/model.onnx`). */
  file: string;
  bytes: number;
  dim: number;
  /** Table rows (the buckets, or the rows of a pruned vocabulary). */
  buckets: number;
  dtype: 'float32' | 'int8';
}

/**
 * Writes `<outDir>/onnx/model.onnx` and, unless outDir is the model directory itself, copies the
 * model's config.json and weights next to it, so outDir is a complete static model directory
 * (loadable by tamsaek) whose config says how to make the graph's inputs. Existing files are
 * refused (INVALID_ARGUMENT) unless `force`.
 */
export async function exportStaticOnnx(
  modelDir: string,
  outDir: string,
  options: ExportOnnxOptions = {},
): Promise<ExportOnnxResult> {
  checkOptions('exportStaticOnnx', options, ['force']);
  const { path: src, config } = await readStaticModelDir(modelDir);
  const weights = await loadStaticWeights(src, config);
  const out = resolve(outDir);
  const inPlace = out === src;
  const file = join(out, 'onnx', 'model.onnx');
  const copies = inPlace ? [] : ['config.json', config.weights];
  if (!options.force) {
    for (const f of [file, ...copies.map((c) => join(out, c))]) {
      if (await isFile(f))
        throw new TamsaekError(
          'INVALID_ARGUMENT',
          `exportStaticOnnx: ${f} already exists (use force / --force to overwrite)`,
        );
    }
  }
  const bytes = await encodeStaticOnnx(config, weights.table, weights.scales);
  await mkdir(join(out, 'onnx'), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
  for (const c of copies) await copyFile(join(src, c), join(out, c));
  return { file, bytes: bytes.length, dim: config.dim, buckets: tableRows(config.features), dtype: config.dtype };
}

/** The serialized ModelProto of a static model's pooling graph. */
export async function encodeStaticOnnx(
  config: StaticModelConfig,
  table: Float32Array | Int8Array,
  scales?: Float32Array,
): Promise<Uint8Array> {
  // protobufjs is only needed here: loaded on first export, not with the library.
  const ModelProto = (await import('./onnx-schema.js')).onnxModelProto();
  const rows = tableRows(config.features);
  const dim = config.dim;
  const int8 = table instanceof Int8Array;
  if (int8 && !(scales instanceof Float32Array && scales.length === rows))
    throw new TamsaekError('INVALID_MODEL', 'encodeStaticOnnx: an int8 table needs one scale per row');
  if (table.length !== rows * dim)
    throw new TamsaekError(
      'INVALID_MODEL',
      `encodeStaticOnnx: table has ${table.length} values, expected ${rows} x ${dim}`,
    );

  const raw = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const tensor = (name: string, dataType: number, dims: number[], data: ArrayBufferView) => ({
    name,
    dataType,
    dims,
    rawData: raw(data),
  });
  const value = (name: string, elemType: number, shape: (number | string)[]) => ({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
  const node = (opType: string, input: string[], output: string, attribute: object[] = []) => ({
    opType,
    input,
    output: [output],
    name: output,
    attribute,
  });
  const intAttr = (name: string, i: number) => ({ name, type: ATTR_INT, i });

  const initializer = [
    tensor('table', int8 ? INT8 : FLOAT, [rows, dim], table),
    tensor('eps', FLOAT, [], Float32Array.of(EPS)),
    tensor('axis_length', INT64, [1], BigInt64Array.of(1n)),
    tensor('axis_last', INT64, [1], BigInt64Array.of(-1n)),
  ];
  const nodes = [];
  let w = 'weights';
  const rowsF = 'rows';
  if (int8) {
    // As the native kernel: the per-row scale folds into the feature weight, then w·scale·q.
    initializer.push(tensor('scales', FLOAT, [rows], scales!));
    nodes.push(node('Gather', ['table', 'ids'], 'rows_q', [intAttr('axis', 0)]));
    nodes.push(node('Cast', ['rows_q'], 'rows', [intAttr('to', FLOAT)]));
    nodes.push(node('Gather', ['scales', 'ids'], 'row_scales', [intAttr('axis', 0)]));
    nodes.push(node('Mul', ['weights', 'row_scales'], 'scaled_weights'));
    w = 'scaled_weights';
  } else {
    nodes.push(node('Gather', ['table', 'ids'], rowsF, [intAttr('axis', 0)]));
  }
  nodes.push(
    node('Unsqueeze', [w, 'axis_last'], 'weights_3d'),
    node('Mul', [rowsF, 'weights_3d'], 'weighted_rows'),
    node('ReduceSum', ['weighted_rows', 'axis_length'], 'sum', [intAttr('keepdims', 0)]),
    node('ReduceSum', ['weights', 'axis_length'], 'weight_sum', [intAttr('keepdims', 1)]),
    node('Max', ['weight_sum', 'eps'], 'weight_sum_safe'),
    node('Div', ['sum', 'weight_sum_safe'], 'mean'),
    // ReduceL2 takes its axes as an attribute up to opset 17.
    node('ReduceL2', ['mean'], 'norm', [{ name: 'axes', type: ATTR_INTS, ints: [1] }, intAttr('keepdims', 1)]),
    node('Max', ['norm', 'eps'], 'norm_safe'),
    node('Div', ['mean', 'norm_safe'], 'embeddings'),
  );

  const features = JSON.stringify(config.features);
  const model = ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'tamsaek',
    docString: `tamsaek static embedding model ${config.name ?? ''}: pooling only; ids/weights come from the tamsaek Featurizer with features ${features}`,
    metadataProps: [
      { key: 'tamsaek_model', value: 'static' },
      { key: 'name', value: config.name ?? '' },
      { key: 'dim', value: String(dim) },
      { key: 'dtype', value: config.dtype },
      { key: 'features', value: features },
      { key: 'pooling', value: 'weighted mean of rows, L2-normalized' },
    ],
    graph: {
      name: 'tamsaek_static_pool',
      node: nodes,
      initializer,
      input: [value('ids', INT64, ['batch', 'length']), value('weights', FLOAT, ['batch', 'length'])],
      output: [value('embeddings', FLOAT, ['batch', dim])],
    },
  });
  return ModelProto.encode(model).finish();
}
