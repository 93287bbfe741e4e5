/**
 * Random-weight transformer models of a real model's shape, in the Hugging Face / ONNX layout tamsaek
 * loads (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx [+ model.onnx_data]).
 * Latency does not depend on weight values, so a synthetic XLM-RoBERTa-large (24 layers, hidden 1024,
 * FFN 4096, 16 heads, 250,002 pieces, 514 positions — the shape of KoE5, BGE-m3-ko, KURE-v1,
 * arctic-embed-l-v2.0-ko and bge-reranker-v2-m3-ko) costs what those models cost, and can be
 * generated where their weights cannot be downloaded.
 *
 * The graph is what `torch.onnx.export` of transformers' XLMRobertaModel writes (opset 17): position
 * ids from the padding mask (cumsum), LayerNormalization, per-head attention with an additive mask,
 * exact (erf) GELU, MatMul weights stored [in, out]; onnxruntime's own optimizer fuses it as it would
 * an optimum export. `head: 'cross-encoder'` adds XLMRobertaForSequenceClassification's head
 * (dense + tanh + out_proj on `<s>`) → logits [batch, 1].
 *
 * Weights (`init`): 'hf' draws them as transformers' `_init_weights` does (N(0, 0.02), LayerNorm 1/0,
 * biases 0) — an untrained model; 'realistic' mimics statistics of trained transformers that make
 * int8 quantization hard: fan-in-scaled weights with heavy tails, noisy biases and LayerNorm gains, and
 * a few outlier channels with 8–16× gains shared by all layers (as in BERT/RoBERTa's outlier
 * dimensions), so activations feeding each MatMul have a wide range.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkOptions, invalidArgument } from '../errors.js';
import { mulberry32Uint32 } from '../util/random.js';
import { DT, node, type Proto, type TensorSpec, valueInfo, writeOnnxModel } from './onnx-io.js';
import { syntheticTokenizer } from './synthetic-tokenizer.js';

export interface TransformerShape {
  layers: number;
  hidden: number;
  heads: number;
  ffn: number;
  vocab: number;
  /** Position table rows (XLM-R: tokens + 2). */
  positions: number;
}

/** XLM-RoBERTa-large: the shape of the Korean seed models. */
export const XLMR_LARGE: Readonly<TransformerShape> = Object.freeze({
  layers: 24,
  hidden: 1024,
  heads: 16,
  ffn: 4096,
  vocab: 250_002,
  positions: 514,
});

export type SyntheticHead = 'encoder' | 'cross-encoder';
export type SyntheticInit = 'hf' | 'realistic';

export interface SyntheticModelOptions extends Partial<TransformerShape> {
  head?: SyntheticHead;
  init?: SyntheticInit;
  seed?: number;
  /** 'realistic' only: the residual branches' weight scale, std = gain / sqrt(fan_in) (default REALISTIC_GAIN). */
  gain?: number;
  /** Write large initializers to onnx/model.onnx_data (default: only when over ~1.8 GB). */
  external?: boolean | 'auto';
}

const PAD = 1;
const LN_EPS = 1e-5;
const FLOAT_MIN = -3.4028234663852886e38;
const SYNTHETIC_OPTIONS = [
  'layers',
  'hidden',
  'heads',
  'ffn',
  'vocab',
  'positions',
  'head',
  'init',
  'seed',
  'gain',
  'external',
];
/** See docs/models.md, *Quantization error*: how the realistic init's gain was chosen. */
export const REALISTIC_GAIN = 0.6;

/** The shape and settings after defaults, validated. */
export function syntheticSettings(options: SyntheticModelOptions = {}) {
  checkOptions('synthetic model', options, SYNTHETIC_OPTIONS);
  const shape = { ...XLMR_LARGE, ...Object.fromEntries(Object.entries(options).filter(([k]) => k in XLMR_LARGE)) };
  for (const [k, v] of Object.entries(shape))
    if (!Number.isInteger(v) || (v as number) < 1)
      throw invalidArgument(`synthetic model: ${k} must be a positive integer`);
  if (shape.hidden % shape.heads !== 0) throw invalidArgument('synthetic model: hidden must be a multiple of heads');
  if (shape.vocab < 24_000)
    throw invalidArgument('synthetic model: vocab must be at least 24,000 (all Hangul syllables)');
  if (shape.positions < 4) throw invalidArgument('synthetic model: positions must be at least 4');
  const head = options.head ?? 'encoder';
  const init = options.init ?? 'hf';
  if (!['encoder', 'cross-encoder'].includes(head)) throw invalidArgument(`synthetic model: unknown head ${head}`);
  if (!['hf', 'realistic'].includes(init)) throw invalidArgument(`synthetic model: unknown init ${init}`);
  const gain = options.gain ?? REALISTIC_GAIN;
  if (!(typeof gain === 'number' && gain > 0 && gain <= 4))
    throw invalidArgument('synthetic model: gain must be in (0, 4]');
  if (options.gain !== undefined && init !== 'realistic')
    throw invalidArgument("synthetic model: gain applies to init 'realistic'");
  return {
    shape: shape as TransformerShape,
    head,
    init,
    seed: options.seed ?? 1,
    gain,
    external: options.external ?? 'auto',
  };
}

/** Fills arrays with seeded normal draws (Marsaglia's polar method on a 32-bit generator). */
class Gaussian {
  private readonly next: () => number;
  private spare: number | undefined;
  constructor(seed: number) {
    this.next = mulberry32Uint32(seed);
  }
  sample(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    for (;;) {
      const u = this.next() / 2147483648 - 1;
      const v = this.next() / 2147483648 - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        this.spare = v * f;
        return u * f;
      }
    }
  }
  /** N(mean, std²); with `tail`, one draw in 64 is 4× wider (a heavy-tailed mixture). */
  fill(out: Float32Array, std: number, mean = 0, tail = false): Float32Array {
    for (let i = 0; i < out.length; i++) {
      const z = this.sample();
      out[i] = mean + std * (tail && (this.next() & 63) === 0 ? 4 * z : z);
    }
    return out;
  }
}

function nameSeed(seed: number, name: string): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The initializers' values for one init scheme. */
class Weights {
  readonly specs: TensorSpec[] = [];
  private readonly outliers: number[];
  constructor(
    private readonly init: SyntheticInit,
    private readonly seed: number,
    hidden: number,
    private readonly gain: number,
  ) {
    const g = new Gaussian(nameSeed(seed, 'outliers'));
    this.outliers = Array.from({ length: 6 }, () => Math.floor(Math.abs(g.sample() * 1e6)) % hidden);
  }
  private push(name: string, dims: number[], fill: (a: Float32Array, g: Gaussian) => void): string {
    const n = dims.reduce((a, b) => a * b, 1);
    this.specs.push({
      name,
      dataType: DT.FLOAT,
      dims,
      data: () => {
        const a = new Float32Array(n);
        fill(a, new Gaussian(nameSeed(this.seed, name)));
        return a;
      },
    });
    return name;
  }
  /** A [in, out] MatMul weight. */
  linear(name: string, inDim: number, outDim: number): string {
    const real = this.init === 'realistic';
    return this.push(name, [inDim, outDim], (a, g) => g.fill(a, real ? this.gain / Math.sqrt(inDim) : 0.02, 0, real));
  }
  bias(name: string, n: number): string {
    return this.push(name, [n], (a, g) => (this.init === 'realistic' ? g.fill(a, 0.02) : a));
  }
  embedding(name: string, rows: number, dim: number, padRow?: number): string {
    return this.push(name, [rows, dim], (a, g) => {
      g.fill(a, this.init === 'realistic' ? 0.05 : 0.02, 0, this.init === 'realistic');
      if (padRow !== undefined) a.fill(0, padRow * dim, (padRow + 1) * dim);
    });
  }
  /** LayerNorm gain and bias. */
  norm(prefix: string, n: number): [string, string] {
    const real = this.init === 'realistic';
    const gamma = this.push(`${prefix}.weight`, [n], (a, g) => {
      if (!real) return a.fill(1);
      g.fill(a, 0.1, 1);
      for (const c of this.outliers) a[c] = 8 + 8 * Math.abs(Math.tanh(g.sample()));
    });
    const beta = this.push(`${prefix}.bias`, [n], (a, g) => (real ? g.fill(a, 0.05) : a));
    return [gamma, beta];
  }
  constant(name: string, dataType: number, dims: number[], data: Float32Array | BigInt64Array): string {
    this.specs.push({ name, dataType, dims, data });
    return name;
  }
}

/** Nodes of the embeddings: word + position (from the padding mask, XLM-R style) + token type, LayerNorm. */
function embeddings(w: Weights, nodes: Proto[], s: TransformerShape): string {
  const word = w.embedding('embeddings.word_embeddings.weight', s.vocab, s.hidden, PAD);
  const pos = w.embedding('embeddings.position_embeddings.weight', s.positions, s.hidden, PAD);
  const type = w.embedding('embeddings.token_type_embeddings.weight.0', 1, s.hidden);
  const pad = w.constant('pad_id', DT.INT64, [], BigInt64Array.of(BigInt(PAD)));
  const axis1 = w.constant('axis_1', DT.INT64, [], BigInt64Array.of(1n));
  nodes.push(
    node('Gather', [word, 'input_ids'], 'emb.word'),
    node('Equal', ['input_ids', pad], 'emb.is_pad'),
    node('Not', ['emb.is_pad'], 'emb.not_pad'),
    node('Cast', ['emb.not_pad'], 'emb.mask', { to: DT.INT64 }),
    node('CumSum', ['emb.mask', axis1], 'emb.cumsum'),
    node('Mul', ['emb.cumsum', 'emb.mask'], 'emb.incremental'),
    node('Add', ['emb.incremental', pad], 'emb.position_ids'),
    node('Gather', [pos, 'emb.position_ids'], 'emb.position'),
    node('Add', ['emb.word', 'emb.position'], 'emb.sum0'),
    node('Add', ['emb.sum0', type], 'emb.sum'),
  );
  const [g, b] = w.norm('embeddings.LayerNorm', s.hidden);
  nodes.push(node('LayerNormalization', ['emb.sum', g, b], 'emb.out', { axis: -1, epsilon: { float: LN_EPS } }));
  return 'emb.out';
}

/** The additive attention mask [B, 1, 1, T]: 0 for tokens, the float minimum for padding. */
function attentionBias(w: Weights, nodes: Proto[]): string {
  const axes = w.constant('axes_1_2', DT.INT64, [2], BigInt64Array.of(1n, 2n));
  const one = w.constant('one_f', DT.FLOAT, [], Float32Array.of(1));
  const min = w.constant('float_min', DT.FLOAT, [], Float32Array.of(FLOAT_MIN));
  nodes.push(
    node('Unsqueeze', ['attention_mask', axes], 'mask.4d'),
    node('Cast', ['mask.4d'], 'mask.f', { to: DT.FLOAT }),
    node('Sub', [one, 'mask.f'], 'mask.inv'),
    node('Mul', ['mask.inv', min], 'mask.bias'),
  );
  return 'mask.bias';
}

function linearNodes(w: Weights, nodes: Proto[], x: string, name: string, inDim: number, outDim: number): string {
  const weight = w.linear(`${name}.weight`, inDim, outDim);
  const bias = w.bias(`${name}.bias`, outDim);
  nodes.push(node('MatMul', [x, weight], `${name}.mm`), node('Add', [`${name}.mm`, bias], `${name}.out`));
  return `${name}.out`;
}

/** One encoder layer: self-attention + residual + LayerNorm, GELU FFN + residual + LayerNorm. */
function encoderLayer(w: Weights, nodes: Proto[], s: TransformerShape, l: number, x: string, bias: string): string {
  const p = `encoder.layer.${l}`;
  const d = s.hidden / s.heads;
  const split = w.constant(`${p}.heads_shape`, DT.INT64, [4], BigInt64Array.of(0n, 0n, BigInt(s.heads), BigInt(d)));
  const merge = w.constant(`${p}.merge_shape`, DT.INT64, [3], BigInt64Array.of(0n, 0n, BigInt(s.hidden)));
  const scale = w.constant(`${p}.scale`, DT.FLOAT, [], Float32Array.of(Math.sqrt(d)));
  const heads = (name: string, perm: number[]) => {
    const y = linearNodes(w, nodes, x, `${p}.attention.self.${name}`, s.hidden, s.hidden);
    nodes.push(node('Reshape', [y, split], `${y}.split`), node('Transpose', [`${y}.split`], `${y}.t`, { perm }));
    return `${y}.t`;
  };
  const q = heads('query', [0, 2, 1, 3]);
  const k = heads('key', [0, 2, 3, 1]);
  const v = heads('value', [0, 2, 1, 3]);
  nodes.push(
    node('MatMul', [q, k], `${p}.scores`),
    node('Div', [`${p}.scores`, scale], `${p}.scaled`),
    node('Add', [`${p}.scaled`, bias], `${p}.masked`),
    node('Softmax', [`${p}.masked`], `${p}.probs`, { axis: -1 }),
    node('MatMul', [`${p}.probs`, v], `${p}.context`),
    node('Transpose', [`${p}.context`], `${p}.context.t`, { perm: [0, 2, 1, 3] }),
    node('Reshape', [`${p}.context.t`, merge], `${p}.context.merged`),
  );
  const attn = linearNodes(w, nodes, `${p}.context.merged`, `${p}.attention.output.dense`, s.hidden, s.hidden);
  const [g1, b1] = w.norm(`${p}.attention.output.LayerNorm`, s.hidden);
  nodes.push(
    node('Add', [attn, x], `${p}.attention.residual`),
    node('LayerNormalization', [`${p}.attention.residual`, g1, b1], `${p}.attention.out`, {
      axis: -1,
      epsilon: { float: LN_EPS },
    }),
  );
  const h = linearNodes(w, nodes, `${p}.attention.out`, `${p}.intermediate.dense`, s.hidden, s.ffn);
  const sqrt2 = w.constant(`${p}.sqrt2`, DT.FLOAT, [], Float32Array.of(Math.SQRT2));
  const half = w.constant(`${p}.half`, DT.FLOAT, [], Float32Array.of(0.5));
  const one = w.constant(`${p}.one`, DT.FLOAT, [], Float32Array.of(1));
  nodes.push(
    node('Div', [h, sqrt2], `${p}.gelu.div`),
    node('Erf', [`${p}.gelu.div`], `${p}.gelu.erf`),
    node('Add', [`${p}.gelu.erf`, one], `${p}.gelu.add`),
    node('Mul', [h, `${p}.gelu.add`], `${p}.gelu.mul`),
    node('Mul', [`${p}.gelu.mul`, half], `${p}.gelu`),
  );
  const out = linearNodes(w, nodes, `${p}.gelu`, `${p}.output.dense`, s.ffn, s.hidden);
  const [g2, b2] = w.norm(`${p}.output.LayerNorm`, s.hidden);
  nodes.push(
    node('Add', [out, `${p}.attention.out`], `${p}.output.residual`),
    node('LayerNormalization', [`${p}.output.residual`, g2, b2], `${p}.out`, { axis: -1, epsilon: { float: LN_EPS } }),
  );
  return `${p}.out`;
}

/** XLMRobertaForSequenceClassification's head on the first token: dense, tanh, out_proj → logits [B, 1]. */
function classifierHead(w: Weights, nodes: Proto[], s: TransformerShape, x: string): string {
  const first = w.constant('first_token', DT.INT64, [], BigInt64Array.of(0n));
  nodes.push(node('Gather', [x, first], 'classifier.cls', { axis: 1 }));
  const dense = linearNodes(w, nodes, 'classifier.cls', 'classifier.dense', s.hidden, s.hidden);
  nodes.push(node('Tanh', [dense], 'classifier.tanh'));
  const out = linearNodes(w, nodes, 'classifier.tanh', 'classifier.out_proj', s.hidden, 1);
  nodes.push(node('Identity', [out], 'logits'));
  return 'logits';
}

/** The graph of a synthetic model: inputs, nodes, outputs and lazily generated initializers. */
export function syntheticGraph(options: SyntheticModelOptions = {}) {
  const { shape: s, head, init, seed, gain } = syntheticSettings(options);
  const w = new Weights(init, seed, s.hidden, gain);
  const nodes: Proto[] = [];
  let x = embeddings(w, nodes, s);
  const bias = attentionBias(w, nodes);
  for (let l = 0; l < s.layers; l++) x = encoderLayer(w, nodes, s, l, x, bias);
  const outputs =
    head === 'cross-encoder'
      ? [valueInfo(classifierHead(w, nodes, s, x), DT.FLOAT, ['batch_size', 1])]
      : [valueInfo('last_hidden_state', DT.FLOAT, ['batch_size', 'sequence_length', s.hidden])];
  if (head === 'encoder') nodes.push(node('Identity', [x], 'last_hidden_state'));
  const inputs = ['input_ids', 'attention_mask'].map((n) => valueInfo(n, DT.INT64, ['batch_size', 'sequence_length']));
  return { nodes, inputs, outputs, initializers: w.specs };
}

/** config.json of the synthetic model (what transformers writes for XLM-R). */
function configJson(s: TransformerShape, head: SyntheticHead, init: SyntheticInit, seed: number, gain: number): object {
  const base = {
    architectures: [head === 'encoder' ? 'XLMRobertaModel' : 'XLMRobertaForSequenceClassification'],
    model_type: 'xlm-roberta',
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    intermediate_size: s.ffn,
    hidden_act: 'gelu',
    max_position_embeddings: s.positions,
    type_vocab_size: 1,
    vocab_size: s.vocab,
    pad_token_id: PAD,
    bos_token_id: 0,
    eos_token_id: 2,
    layer_norm_eps: LN_EPS,
    tamsaek_synthetic: {
      init,
      seed,
      ...(init === 'realistic' ? { gain } : {}),
      note: 'random weights: for latency and quantization measurements only',
    },
  };
  return head === 'encoder' ? base : { ...base, num_labels: 1, id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 } };
}

export interface SyntheticModelResult {
  dir: string;
  bytes: number;
  seconds: number;
  parameters: number;
}

/**
 * Writes a synthetic model directory: config.json, tokenizer.json, tokenizer_config.json,
 * onnx/model.onnx (+ onnx/model.onnx_data for models over ~1.8 GB, such as XLM-R-large in fp32).
 * The XLM-R-large encoder (560M parameters, 2.2 GB) takes about a minute here.
 */
export async function generateSyntheticModel(
  outDir: string,
  options: SyntheticModelOptions = {},
): Promise<SyntheticModelResult> {
  const t0 = performance.now();
  const { shape, head, init, seed, gain, external } = syntheticSettings(options);
  const graph = syntheticGraph(options);
  await mkdir(join(outDir, 'onnx'), { recursive: true });
  const { tokenizer, config } = syntheticTokenizer(shape.vocab, shape.positions - 2);
  await writeFile(
    join(outDir, 'config.json'),
    `${JSON.stringify(configJson(shape, head, init, seed, gain), null, 1)}\n`,
  );
  await writeFile(join(outDir, 'tokenizer.json'), JSON.stringify(tokenizer));
  await writeFile(join(outDir, 'tokenizer_config.json'), `${JSON.stringify(config, null, 1)}\n`);
  const bytes = await writeOnnxModel(
    join(outDir, 'onnx', 'model.onnx'),
    {
      graphName: `synthetic_xlmr_${head}`,
      ...graph,
      producer: 'tamsaek synthetic',
      docString: `random-weight ${head} (${JSON.stringify(shape)}, init ${init}, seed ${seed})`,
    },
    { external },
  );
  const parameters = graph.initializers.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
  return { dir: outDir, bytes, seconds: (performance.now() - t0) / 1000, parameters };
}

/**
 * A synthetic model in `cacheDir` (generated on first use; a `synthetic.json` written last marks a
 * complete directory, so an interrupted generation is redone).
 */
export async function ensureSyntheticModel(
  cacheDir: string,
  options: SyntheticModelOptions = {},
): Promise<{ dir: string; generated: boolean }> {
  const { shape, head, init, seed, gain } = syntheticSettings(options);
  const g = init === 'realistic' && gain !== 1 ? `-g${gain}` : '';
  const name = `xlmr-${head}-${init}${g}-L${shape.layers}-H${shape.hidden}-A${shape.heads}-F${shape.ffn}-V${shape.vocab}-s${seed}`;
  const dir = join(cacheDir, name);
  const marker = join(dir, 'synthetic.json');
  const want = JSON.stringify({ shape, head, init, seed, ...(init === 'realistic' ? { gain } : {}), version: 1 });
  const have = await readFile(marker, 'utf8').catch(() => undefined);
  if (have === want) return { dir, generated: false };
  await rm(dir, { recursive: true, force: true });
  await generateSyntheticModel(dir, options);
  await writeFile(marker, want);
  return { dir, generated: true };
}
