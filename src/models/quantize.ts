/**
 * Dynamic int8 quantization of an ONNX transformer export, in TypeScript (no Python): what
 * `onnxruntime.quantization.quantize_dynamic(per_channel=True)` does for the weights that cost time.
 *
 * - MatMul with a constant 2-D weight [K, N], and Gemm (transA = 0) with a constant B: the weight is
 *   stored int8, symmetric, one scale per output column (per channel); the activation is quantized at
 *   run time to uint8 per tensor (DynamicQuantizeLinear), so nothing needs calibration data.
 * - Gather from a large constant table (the word embeddings: 250,002 × 1,024 in XLM-R, 1 GB in fp32):
 *   int8 rows with one scale per row, dequantized after the Gather — the file shrinks 4×, no speed change.
 * - Everything else (attention score products, LayerNorm, softmax, GELU) stays fp32, and so does a
 *   cross-encoder's classification head (`head: 'fp32'`, the default): the products after the graph
 *   picks one token per sequence (a Gather on axis 1 of an activation). They read one row per pair,
 *   so int8 saves nothing there, while a per-tensor activation scale over the batch's pooled vectors
 *   swamps the small part in which candidates differ (docs/models.md, *Quantization error*).
 *
 * Output formats (all standard onnxruntime CPU kernels; measured in docs/models.md):
 *   'matmul-integer-to-float' (default): one DynamicQuantizeLinear per distinct activation (shared by
 *     the Q, K and V projections) + com.microsoft MatMulIntegerToFloat with the bias folded in;
 *   'dynamic-quantize-matmul': com.microsoft DynamicQuantizeMatMul per MatMul (bias folded in);
 *   'matmul-integer': the ONNX-standard DynamicQuantizeLinear → MatMulInteger → Cast → Mul chain, which
 *     onnxruntime fuses itself (portable to runtimes without the com.microsoft domain).
 * `reduceRange` keeps weights in 7 bits (±63): onnxruntime's advice for AVX2 machines without VNNI,
 * whose u8×s8 instruction (VPMADDUBSW) can saturate with full-range weights.
 */
import { dirname, join, relative } from 'node:path';
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { isFile } from '../util/atomic-file.js';
import { checkRelativeFile, FP32_FILES } from './model-dir.js';
import {
  asFloat32,
  DT,
  type LoadedModel,
  node,
  type Proto,
  readOnnxModel,
  type TensorSpec,
  writeOnnxModel,
} from './onnx-io.js';
import { calibrate, smoothingScales } from './quantize-smooth.js';

export const QUANTIZE_FORMATS = ['matmul-integer-to-float', 'dynamic-quantize-matmul', 'matmul-integer'] as const;
export type QuantizeFormat = (typeof QUANTIZE_FORMATS)[number];

export interface QuantizeOptions {
  /** The fp32 ONNX file, relative to the model directory (default: onnx/model.onnx, else model.onnx). */
  file?: string;
  /** The output file, relative to the model directory (default: model_quantized.onnx next to the source). */
  out?: string;
  /** Replace an existing output file. */
  force?: boolean;
  format?: QuantizeFormat;
  /** 7-bit weights (default false). */
  reduceRange?: boolean;
  /** Quantize large Gather tables (default true). */
  embeddings?: boolean;
  /** Gather tables with at least this many rows are quantized (default 4,096: the vocabulary, not the positions). */
  embeddingMinRows?: number;
  /** Weights (initializer names) or nodes (node names) to leave in fp32. */
  exclude?: readonly string[];
  /** The products after the per-sequence token pick (a classification head): 'fp32' (default) or 'int8'. */
  head?: 'fp32' | 'int8';
  /**
   * SmoothQuant migration strength α in 0..1 (default 0.5; ./quantize-smooth.ts), or false: no
   * calibration run, activations quantized as they are. Models without a tokenizer.json or an
   * `input_ids` input cannot be calibrated and are quantized without smoothing (`smoothed: 0`).
   */
  smooth?: number | false;
  /** Write the weights to `<out>_data` (default: when the output holds over 64 MB of them). */
  external?: boolean;
}

export interface QuantizeReport {
  dir: string;
  source: string;
  file: string;
  format: QuantizeFormat;
  reduceRange: boolean;
  smooth: number | false;
  /** Activations divided by smoothing scales before quantization. */
  smoothed: number;
  /** Products of the classification head left in fp32 (`head: 'fp32'`). */
  headKept: number;
  matmuls: number;
  gemms: number;
  gathers: number;
  /** Bytes of the source (graph + external data) and of the output. */
  bytesIn: number;
  bytesOut: number;
  seconds: number;
}

const OPTIONS = [
  'file',
  'out',
  'force',
  'format',
  'reduceRange',
  'embeddings',
  'embeddingMinRows',
  'exclude',
  'head',
  'smooth',
  'external',
];
/**
 * Outputs with more initializer bytes than this keep them in `<out>_data`: onnxruntime then maps them
 * instead of holding the parsed file and its tensors at once (XLM-R-large int8 peak RSS 826 MB
 * instead of 1,275 MB, docs/models.md).
 */
const EXTERNAL_DATA_BYTES = 64 << 20;
/**
 * Activations are smoothed when their widest channel's maximum is at least this many times the median
 * channel's (calibrated XLM-R-shaped models: 1.5–3.5 without outlier channels, 98–370 for LayerNorm
 * outputs with them; docs/models.md).
 */
const SMOOTH_MIN_RATIO = 8;
/** SmoothQuant's α (the paper's default for most models). */
export const DEFAULT_SMOOTHING = 0.5;
const MS_DOMAIN = 'com.microsoft';

/** Symmetric int8 with one scale per slice along `axis` of a [R, C] matrix (axis 1: per column, 0: per row). */
export function quantizeSymmetric(
  w: Float32Array,
  rows: number,
  cols: number,
  axis: 0 | 1,
  qmax = 127,
): { q: Int8Array; scales: Float32Array } {
  const q = new Int8Array(w.length);
  const n = axis === 1 ? cols : rows;
  const max = new Float32Array(n);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const a = Math.abs(w[r * cols + c]);
      const i = axis === 1 ? c : r;
      if (a > max[i]) max[i] = a;
    }
  const scales = max.map((m) => (m > 0 ? m / qmax : 1));
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const v = Math.round(w[r * cols + c] / scales[axis === 1 ? c : r]);
      q[r * cols + c] = Math.max(-qmax, Math.min(qmax, v));
    }
  return { q, scales };
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}

/** Products after a per-sequence token pick beyond which it is not a classification head. */
const HEAD_MAX_PRODUCTS = 4;

/** The rewrite of one graph: new nodes and initializers, the fp32 weights that are no longer needed. */
class Rewriter {
  readonly nodes: Proto[] = [];
  readonly added: TensorSpec[] = [];
  readonly replaced = new Set<string>();
  readonly counts = { matmuls: 0, gemms: 0, gathers: 0 };
  private readonly quantizedActivations = new Map<string, [string, string, string]>();
  private readonly consumers = new Map<string, Proto[]>();
  private readonly skip = new Set<Proto>();
  private readonly outputs: Set<string>;
  private readonly smoothedInputs = new Set<string>();
  /** Per-channel smoothing scales of MatMul inputs (./quantize-smooth.ts), by activation name. */
  readonly smoothing = new Map<string, Float32Array>();

  constructor(
    private readonly loaded: LoadedModel,
    private readonly inits: Map<string, Proto>,
    private readonly format: QuantizeFormat,
    private readonly qmax: number,
  ) {
    const graph = loaded.model.graph;
    for (const n of graph.node) for (const i of n.input) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
    this.outputs = new Set(graph.output.map((o: Proto) => o.name as string));
  }

  /**
   * The MatMul/Gemm nodes with a constant weight downstream of a Gather on axis 1 of an activation:
   * the head that reads one token per sequence, e.g. XLM-R's `classifier.dense` and `out_proj` after
   * `hidden[:, 0]`, or BERT's pooler and classifier. A pick followed by more than HEAD_MAX_PRODUCTS
   * products is not a head (the body would stay fp32): it is ignored.
   */
  headProducts(): Set<Proto> {
    const picks = (this.loaded.model.graph.node as Proto[]).filter(
      (n) =>
        n.opType === 'Gather' &&
        !this.inits.has(n.input[0]) &&
        Number((n.attribute ?? []).find((a: Proto) => a.name === 'axis')?.i ?? 0) === 1,
    );
    const head = new Set<Proto>();
    for (const pick of picks) {
      const seen = new Set<Proto>([pick]);
      const queue = [pick];
      while (queue.length > 0) {
        const n = queue.pop()!;
        for (const o of n.output)
          for (const c of this.consumers.get(o) ?? [])
            if (!seen.has(c)) {
              seen.add(c);
              queue.push(c);
            }
      }
      const products = [...seen].filter(
        (n) => (n.opType === 'MatMul' || n.opType === 'Gemm') && this.inits.has(n.input[1]),
      );
      if (products.length <= HEAD_MAX_PRODUCTS) for (const n of products) head.add(n);
    }
    return head;
  }

  private floatMatrix(name: string): Proto | undefined {
    const t = this.inits.get(name);
    return t && t.dataType === DT.FLOAT && (t.dims ?? []).length === 2 ? t : undefined;
  }

  /** An Add of a constant [N] bias that only this MatMul's output feeds: folded into the quantized op. */
  private foldableBias(output: string, cols: number): { add: Proto; bias: string } | undefined {
    if (this.format === 'matmul-integer' || this.outputs.has(output)) return undefined;
    const users = this.consumers.get(output) ?? [];
    if (users.length !== 1 || users[0].opType !== 'Add' || users[0].input.length !== 2) return undefined;
    const add = users[0];
    const bias = add.input[0] === output ? add.input[1] : add.input[0];
    const t = this.inits.get(bias);
    const dims = (t?.dims ?? []).map(Number);
    if (!t || t.dataType !== DT.FLOAT || dims.length !== 1 || dims[0] !== cols) return undefined;
    return { add, bias };
  }

  private activation(input: string): [string, string, string] {
    let q = this.quantizedActivations.get(input);
    if (!q || this.format === 'matmul-integer') {
      const base = `${input}_q${this.nodes.length}`;
      q = [`${base}_u8`, `${base}_scale`, `${base}_zp`];
      this.nodes.push(node('DynamicQuantizeLinear', [input], q));
      this.quantizedActivations.set(input, q);
    }
    return q;
  }

  /** Emits y = x · W for a quantized weight (q [K, N] int8, per-column scales). */
  private emitMatMul(x: string, y: string, weight: string, q: Int8Array, scales: Float32Array, K: number, N: number) {
    const wq = `${weight}_quantized`;
    const ws = `${weight}_scale`;
    const wzp = `${weight}_zero_point`;
    this.added.push(
      { name: wq, dataType: DT.INT8, dims: [K, N], data: q },
      { name: ws, dataType: DT.FLOAT, dims: [N], data: scales },
      { name: wzp, dataType: DT.INT8, dims: [N], data: new Int8Array(N) },
    );
    const fold = this.foldableBias(y, N);
    const out = fold ? fold.add.output[0] : y;
    if (fold) this.skip.add(fold.add);
    const bias = fold ? [fold.bias] : [];
    if (this.format === 'dynamic-quantize-matmul') {
      this.nodes.push(node('DynamicQuantizeMatMul', [x, wq, ws, wzp, ...bias], out, {}, MS_DOMAIN));
      return;
    }
    const [xq, xs, xzp] = this.activation(x);
    if (this.format === 'matmul-integer-to-float') {
      this.nodes.push(node('MatMulIntegerToFloat', [xq, wq, xs, ws, xzp, wzp, ...bias], out, {}, MS_DOMAIN));
      return;
    }
    this.nodes.push(
      node('MatMulInteger', [xq, wq, xzp, wzp], `${y}_i32`),
      node('Cast', [`${y}_i32`], `${y}_f32`, { to: DT.FLOAT }),
      node('Mul', [xs, ws], `${y}_scale`),
      node('Mul', [`${y}_f32`, `${y}_scale`], out),
    );
  }

  private attr(n: Proto, name: string, d: number): number {
    const a = (n.attribute ?? []).find((x: Proto) => x.name === name);
    return a ? (a.type === 1 ? a.f : Number(a.i)) : d;
  }

  /** The node's weight as y = x · W with W [K, N] (a Gemm's transB and alpha applied), or undefined when it stays fp32. */
  async weightOf(n: Proto): Promise<{ t: Proto; w: Float32Array; K: number; N: number } | undefined> {
    const t = this.floatMatrix(n.input[1]);
    if (!t || (n.opType !== 'MatMul' && n.opType !== 'Gemm')) return undefined;
    const [r, c] = t.dims.map(Number);
    let w = asFloat32(await this.loaded.tensorData(t));
    if (n.opType === 'MatMul') return { t, w, K: r, N: c };
    if (this.attr(n, 'transA', 0) !== 0) return undefined;
    const transB = this.attr(n, 'transB', 0) === 1;
    if (transB) w = transpose(w, r, c);
    const alpha = this.attr(n, 'alpha', 1);
    if (alpha !== 1) w = w.map((v) => v * alpha);
    return transB ? { t, w, K: c, N: r } : { t, w, K: r, N: c };
  }

  /** The activation a quantized product reads: divided per channel by its smoothing scales when it has them. */
  private smoothed(x: string, w: Float32Array, K: number): string {
    const s = this.smoothing.get(x);
    if (!s || s.length !== K) return x;
    const N = w.length / K;
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) w[k * N + j] *= s[k];
    const name = `${x}_smoothed`;
    if (!this.smoothedInputs.has(x)) {
      this.smoothedInputs.add(x);
      this.added.push({ name: `${name}_inverse_scale`, dataType: DT.FLOAT, dims: [K], data: s.map((v) => 1 / v) });
      this.nodes.push(node('Mul', [x, `${name}_inverse_scale`], name));
    }
    return name;
  }

  async matMul(n: Proto): Promise<boolean> {
    const m = await this.weightOf(n);
    if (!m) return false;
    const x = this.smoothed(n.input[0], m.w, m.K);
    const { q, scales } = quantizeSymmetric(m.w, m.K, m.N, 1, this.qmax);
    const y = n.output[0];
    if (n.opType === 'MatMul') {
      this.emitMatMul(x, y, m.t.name, q, scales, m.K, m.N);
      this.counts.matmuls++;
    } else {
      const hasC = n.input.length > 2 && n.input[2] !== '';
      const mm = hasC ? `${y}_matmul` : y;
      this.emitMatMul(x, mm, `${m.t.name}_gemm${this.counts.gemms}`, q, scales, m.K, m.N);
      if (hasC) {
        const beta = this.attr(n, 'beta', 1);
        let cIn = n.input[2];
        if (beta !== 1) {
          this.added.push({ name: `${y}_beta`, dataType: DT.FLOAT, dims: [], data: Float32Array.of(beta) });
          this.nodes.push(node('Mul', [cIn, `${y}_beta`], `${y}_c`));
          cIn = `${y}_c`;
        }
        this.nodes.push(node('Add', [mm, cIn], y));
      }
      this.counts.gemms++;
    }
    this.replaced.add(m.t.name);
    return true;
  }

  async gather(n: Proto, minRows: number): Promise<boolean> {
    const t = this.floatMatrix(n.input[0]);
    const axis = (n.attribute ?? []).find((a: Proto) => a.name === 'axis');
    if (!t || (axis && Number(axis.i) !== 0) || Number(t.dims[0]) < minRows) return false;
    const [V, H] = t.dims.map(Number);
    const { q, scales } = quantizeSymmetric(asFloat32(await this.loaded.tensorData(t)), V, H, 0, 127);
    const name = t.name as string;
    const y = n.output[0];
    this.added.push(
      { name: `${name}_quantized`, dataType: DT.INT8, dims: [V, H], data: q },
      { name: `${name}_row_scale`, dataType: DT.FLOAT, dims: [V, 1], data: scales },
    );
    this.nodes.push(
      node('Gather', [`${name}_quantized`, n.input[1]], `${y}_q`),
      node('Cast', [`${y}_q`], `${y}_f32`, { to: DT.FLOAT }),
      node('Gather', [`${name}_row_scale`, n.input[1]], `${y}_scale`),
      node('Mul', [`${y}_f32`, `${y}_scale`], y),
    );
    this.replaced.add(name);
    this.counts.gathers++;
    return true;
  }

  keep(n: Proto): void {
    if (!this.skip.has(n)) this.nodes.push(n);
  }
  skipped(n: Proto): boolean {
    return this.skip.has(n);
  }
}

async function fileSize(path: string): Promise<number> {
  const { stat } = await import('node:fs/promises');
  return stat(path).then(
    (s) => s.size,
    () => 0,
  );
}

function validate(options: QuantizeOptions) {
  checkOptions('quantizeModel', options, OPTIONS);
  const {
    format = 'matmul-integer-to-float',
    reduceRange = false,
    embeddings = true,
    embeddingMinRows = 4096,
    smooth = DEFAULT_SMOOTHING,
  } = options;
  if (smooth !== false && !(typeof smooth === 'number' && smooth >= 0 && smooth <= 1))
    throw invalidArgument(`quantizeModel: smooth must be false or a number in 0..1 (got ${String(smooth)})`);
  if (options.head !== undefined && options.head !== 'fp32' && options.head !== 'int8')
    throw invalidArgument(`quantizeModel: head must be 'fp32' or 'int8' (got ${String(options.head)})`);
  if (!QUANTIZE_FORMATS.includes(format))
    throw invalidArgument(
      `quantizeModel: format must be one of ${QUANTIZE_FORMATS.join(', ')} (got ${String(format)})`,
    );
  if (!Number.isInteger(embeddingMinRows) || embeddingMinRows < 1)
    throw invalidArgument('quantizeModel: embeddingMinRows must be a positive integer');
  if (options.file !== undefined) checkRelativeFile(options.file);
  if (options.out !== undefined) checkRelativeFile(options.out);
  return { format, reduceRange: reduceRange === true, embeddings: embeddings !== false, embeddingMinRows, smooth };
}

/** The source file and the output file (relative to `dir`), checked. */
async function files(dir: string, options: QuantizeOptions): Promise<{ source: string; out: string }> {
  let source = options.file;
  if (source === undefined) for (const f of FP32_FILES) if (await isFile(join(dir, f))) source ??= f;
  if (source === undefined || !(await isFile(join(dir, source))))
    throw new TamsaekError(
      'NOT_FOUND',
      `${dir}: no fp32 ONNX file (looked for ${options.file ?? FP32_FILES.join(', ')})`,
    );
  const out = options.out ?? join(dirname(source), 'model_quantized.onnx');
  if (out === source) throw invalidArgument('quantizeModel: the output would replace the source file');
  if (!options.force && (await isFile(join(dir, out))))
    throw new TamsaekError('INVALID_ARGUMENT', `${join(dir, out)} already exists (use force / --force to replace it)`);
  return { source, out };
}

/** Largest per-channel maximum over the median one: how far the widest channels stick out. */
function outlierRatio(channelMax: Float32Array): number {
  const sorted = Float32Array.from(channelMax).sort();
  const median = sorted[sorted.length >> 1];
  return median > 0 ? sorted[sorted.length - 1] / median : 1;
}

/**
 * Calibrates the inputs of the products to be quantized and sets smoothing scales on the rewriter for
 * those with outlier channels (a Mul per activation costs about 4% of an int8 XLM-R-large run; where no
 * channel sticks out there is nothing to move).
 */
async function prepareSmoothing(dir: string, loaded: LoadedModel, rw: Rewriter, nodes: Proto[], alpha: number) {
  const wMax = new Map<string, Float32Array>();
  for (const n of nodes) {
    const m = await rw.weightOf(n);
    if (!m) continue;
    const x = n.input[0] as string;
    const rowMax = wMax.get(x) ?? new Float32Array(m.K);
    if (rowMax.length !== m.K) continue;
    for (let k = 0; k < m.K; k++)
      for (let j = 0; j < m.N; j++) rowMax[k] = Math.max(rowMax[k], Math.abs(m.w[k * m.N + j]));
    wMax.set(x, rowMax);
  }
  if (wMax.size === 0) return;
  const xMax = await calibrate(dir, loaded, [...wMax.keys()]);
  for (const [x, w] of wMax) {
    const a = xMax.get(x);
    if (a && a.length === w.length && outlierRatio(a) >= SMOOTH_MIN_RATIO)
      rw.smoothing.set(x, smoothingScales(a, w, alpha));
  }
}

/** Quantizes `dir`'s fp32 ONNX file into `model_quantized.onnx` next to it (see the module comment). */
export async function quantizeModel(dir: string, options: QuantizeOptions = {}): Promise<QuantizeReport> {
  const t0 = performance.now();
  const { format, reduceRange, embeddings, embeddingMinRows, smooth } = validate(options);
  const { source, out } = await files(dir, options);
  const loaded = await readOnnxModel(join(dir, source));
  const { model } = loaded;
  const defaultOpset = (model.opsetImport ?? []).find((o: Proto) => !o.domain)?.version;
  if (defaultOpset !== undefined && Number(defaultOpset) < 11)
    throw new TamsaekError(
      'NOT_SUPPORTED',
      `${source}: opset ${defaultOpset} is older than 11 (DynamicQuantizeLinear)`,
    );
  const graph = model.graph;
  const inits = new Map<string, Proto>(graph.initializer.map((t: Proto) => [t.name as string, t]));
  const rw = new Rewriter(loaded, inits, format, reduceRange ? 63 : 127);
  const exclude = new Set(options.exclude ?? []);
  const head = options.head === 'int8' ? new Set<Proto>() : rw.headProducts();
  const candidates = (graph.node as Proto[]).filter(
    (n) => !n.domain && !head.has(n) && !exclude.has(n.name) && !n.input.some((i: string) => exclude.has(i)),
  );
  const calibratable =
    (await isFile(join(dir, 'tokenizer.json'))) && graph.input.some((i: Proto) => i.name === 'input_ids');
  if (smooth !== false && calibratable)
    await prepareSmoothing(
      dir,
      loaded,
      rw,
      candidates.filter((n) => n.opType === 'MatMul' || n.opType === 'Gemm'),
      smooth,
    );
  const chosen = new Set(candidates);
  for (const n of graph.node) {
    if (rw.skipped(n) || !chosen.has(n)) {
      rw.keep(n);
      continue;
    }
    const done =
      ((n.opType === 'MatMul' || n.opType === 'Gemm') && (await rw.matMul(n))) ||
      (embeddings && n.opType === 'Gather' && (await rw.gather(n, embeddingMinRows)));
    if (!done) rw.keep(n);
  }
  const used = new Set<string>(rw.nodes.flatMap((n) => n.input as string[]));
  const kept: TensorSpec[] = graph.initializer
    .filter((t: Proto) => !rw.replaced.has(t.name) || used.has(t.name))
    .map((t: Proto) => ({
      name: t.name,
      dataType: t.dataType,
      dims: t.dims.map(Number),
      data: () => loaded.tensorData(t),
    }));
  const opsets = (model.opsetImport ?? []).map((o: Proto) => ({ domain: o.domain ?? '', version: Number(o.version) }));
  if (rw.nodes.some((n) => n.domain === MS_DOMAIN) && !opsets.some((o: Proto) => o.domain === MS_DOMAIN))
    opsets.push({ domain: MS_DOMAIN, version: 1 });
  const { node: _n, initializer: _i, input, output, name, ...graphExtra } = graph;
  const { graph: _g, opsetImport: _o, metadataProps, producerName, docString, ...modelExtra } = model;
  const target = join(dir, out);
  const bytesOut = await writeOnnxModel(
    target,
    {
      graphName: name || 'quantized',
      nodes: rw.nodes,
      inputs: input,
      outputs: output,
      initializers: [...kept, ...rw.added],
      opsets,
      producer: 'tamsaek quantize',
      docString: `${docString ?? ''} [int8: ${format}, per-channel weights${reduceRange ? ', 7-bit' : ''}${head.size > 0 ? `, ${head.size} head products fp32` : ''}${smooth === false ? '' : `, smoothing α ${smooth}`}; from ${producerName ?? '?'}]`,
      metadata: Object.fromEntries((metadataProps ?? []).map((p: Proto) => [p.key, p.value])),
      graphExtra,
      modelExtra,
    },
    { external: options.external ?? 'auto', threshold: EXTERNAL_DATA_BYTES },
  );
  const bytesIn = (await fileSize(join(dir, source))) + (await fileSize(`${join(dir, source)}_data`));
  return {
    dir,
    source,
    file: relative(dir, target),
    format,
    reduceRange,
    smooth,
    smoothed: rw.smoothing.size,
    headKept: head.size,
    ...rw.counts,
    bytesIn,
    bytesOut,
    seconds: (performance.now() - t0) / 1000,
  };
}
