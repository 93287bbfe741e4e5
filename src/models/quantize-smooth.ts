/**
 * SmoothQuant-style smoothing for dynamic int8 (Xiao et al., 2023, "SmoothQuant: Accurate and
 * Efficient Post-Training Quantization for Large Language Models", arXiv:2211.10438).
 *
 * Dynamic quantization gives each activation tensor one uint8 scale. Transformers have a few input
 * channels with far larger values than the rest (BERT/RoBERTa's outlier dimensions): the shared scale
 * follows them and the ordinary channels keep a handful of levels. Since X·W = (X·diag(1/s))·(diag(s)·W),
 * dividing channel j of the activation by s_j = max|X_j|^α / max|W_j|^(1−α) and multiplying row j of
 * the weight by s_j moves the range from the activation into the per-channel-quantized weight. The
 * activations' per-channel maxima come from a calibration run of the fp32 model on sample texts (the
 * MatMul inputs are added as graph outputs of a temporary copy of the graph); the division is one Mul
 * per distinct activation before its DynamicQuantizeLinear.
 */
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TamsaekError } from '../errors.js';
import { loadOnnxRuntime } from './embedder.js';
import { padBatch } from './feeds.js';
import { type LoadedModel, loadOnnxProto } from './onnx-io.js';
import { SAMPLE_QUERIES, SAMPLE_TEXTS } from './quantize-check.js';
import { Tokenizer } from './tokenizer.js';

const FLOAT = 1;

/** Per-channel max |x| of each named tensor (its last axis) over the sample texts, from the fp32 model. */
export async function calibrate(
  dir: string,
  loaded: LoadedModel,
  tensors: readonly string[],
  texts: readonly string[] = SAMPLE_TEXTS,
): Promise<Map<string, Float32Array>> {
  const onnx = await loadOnnxProto();
  const { model, path } = loaded;
  const extra = tensors.map((name) => ({ name, type: { tensorType: { elemType: FLOAT } } }));
  const copy = onnx.ModelProto.create({
    ...model,
    graph: { ...model.graph, output: [...model.graph.output, ...extra] },
  });
  // next to the source, so external data locations resolve the same way
  const tmp = join(dirname(path), `.tamsaek-calibrate-${process.pid}.onnx`);
  await writeFile(tmp, onnx.ModelProto.encode(copy).finish());
  const ort = await loadOnnxRuntime();
  try {
    const session = await ort.InferenceSession.create(tmp, { graphOptimizationLevel: 'basic', logSeverityLevel: 3 });
    try {
      const tokenizer = await Tokenizer.fromDir(dir);
      const pairs = session.outputNames.includes('logits');
      const max = new Map<string, Float32Array>();
      for (let i = 0; i < texts.length; i++) {
        const enc = pairs
          ? tokenizer.encode(SAMPLE_QUERIES[i % SAMPLE_QUERIES.length], { pair: texts[i] })
          : tokenizer.encode(texts[i]);
        const { T, ids, mask, types } = padBatch([enc], tokenizer.padId, session.inputNames.includes('token_type_ids'));
        const feeds: Record<string, unknown> = {
          input_ids: new ort.Tensor('int64', ids, [1, T]),
          attention_mask: new ort.Tensor('int64', mask, [1, T]),
        };
        if (types) feeds.token_type_ids = new ort.Tensor('int64', types, [1, T]);
        const out = await session.run(feeds as never, [...tensors]);
        for (const name of tensors) accumulate(max, name, out[name].data as Float32Array, out[name].dims);
      }
      return max;
    } finally {
      await session.release();
    }
  } catch (e) {
    if (e instanceof TamsaekError) throw e;
    throw new TamsaekError(
      'INVALID_MODEL',
      `${path}: calibration run failed (${(e as Error).message.split('\n')[0]})`,
      {
        cause: e,
      },
    );
  } finally {
    await rm(tmp, { force: true });
  }
}

function accumulate(max: Map<string, Float32Array>, name: string, data: Float32Array, dims: readonly number[]): void {
  const C = dims[dims.length - 1];
  let m = max.get(name);
  if (!m) max.set(name, (m = new Float32Array(C)));
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]);
    if (a > m[i % C]) m[i % C] = a;
  }
}

/**
 * s_j = max|X_j|^α / max|W_j|^(1−α), where `wMax` holds max|W_j| over the rows j of every weight that
 * reads X; clamped to [1e-4, 1e4]; 1 for channels the calibration never saw non-zero.
 */
export function smoothingScales(xMax: Float32Array, wMax: Float32Array, alpha: number): Float32Array {
  return xMax.map((x, k) => {
    if (!(x > 0) || !(wMax[k] > 0)) return 1;
    return Math.min(1e4, Math.max(1e-4, x ** alpha / wMax[k] ** (1 - alpha)));
  });
}
