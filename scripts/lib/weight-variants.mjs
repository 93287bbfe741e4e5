// fp32 variants of a generated ONNX model's MatMul weights, for measuring where quantization error comes from
// (scripts/quantization-error.mjs, docs/research/quantize-full-size.mjs). Run `npx tsc -p .` first.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { asFloat32, DT, readOnnxModel, writeOnnxModel } from '../../dist/models/onnx-io.js';
import { mulberry32 } from '../../dist/util/random.js';

/**
 * Writes onnx/<name>.onnx beside the model: its fp32 graph with every MatMul weight [K × N] passed through
 * `f(weights, K, N)`. `reuse`: keep a file that already exists.
 */
export async function writeWeightVariant(dir, name, f, { reuse = false } = {}) {
  const out = path.join(dir, 'onnx', `${name}.onnx`);
  if (reuse && existsSync(out)) return;
  const loaded = await readOnnxModel(path.join(dir, 'onnx', 'model.onnx'));
  const g = loaded.model.graph;
  const weights = new Set(g.node.filter((n) => n.opType === 'MatMul').map((n) => n.input[1]));
  const initializers = g.initializer.map((t) => ({
    name: t.name,
    dataType: t.dataType,
    dims: t.dims.map(Number),
    data: async () => {
      const bytes = await loaded.tensorData(t);
      if (!weights.has(t.name) || t.dataType !== DT.FLOAT || t.dims.length !== 2) return bytes;
      return f(asFloat32(bytes), Number(t.dims[0]), Number(t.dims[1]));
    },
  }));
  const opsets = loaded.model.opsetImport.map((o) => ({ domain: o.domain, version: Number(o.version) }));
  await writeOnnxModel(out, {
    graphName: g.name,
    nodes: g.node,
    inputs: g.input,
    outputs: g.output,
    initializers,
    opsets,
  });
}

/** Standard normal draws (Box–Muller over mulberry32), reproducible from the seed. */
export function gaussian(seed) {
  const random = mulberry32(seed);
  return () => {
    let u = 0;
    while (u === 0) u = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}
