// Synthetic XLM-R-shaped models: the generated graph computes what XLM-RoBERTa computes (checked against a
// plain-JS forward pass over the same weights), in the layout OnnxEmbedder and CrossEncoder load.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CrossEncoder, ensureSyntheticModel, generateSyntheticModel, OnnxEmbedder } from 'tamsaek';
import { asFloat32, readOnnxModel } from '../dist/models/onnx-io.js';

const SHAPE = { layers: 2, hidden: 32, heads: 4, ffn: 64, vocab: 24_000, positions: 40 };
const TEXTS = ['기초연금 신청 방법', '청년 월세 특별지원은 월 최대 20만 원', 'deposit insurance 5000'];

async function weightsOf(dir) {
  const loaded = await readOnnxModel(join(dir, 'onnx', 'model.onnx'));
  const w = new Map();
  for (const t of loaded.model.graph.initializer)
    if (t.dataType === 1) w.set(t.name, asFloat32(await loaded.tensorData(t)));
  return w;
}

// erf to ~1e-7 (Numerical Recipes' erfc Chebyshev fit)
function erf(x) {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

const linear = (x, W, b, n) =>
  x.map((row) => Array.from({ length: n }, (_, j) => row.reduce((s, v, i) => s + v * W[i * n + j], b ? b[j] : 0)));
function layerNorm(x, g, b) {
  return x.map((row) => {
    const mean = row.reduce((s, v) => s + v, 0) / row.length;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-5)) * g[i] + b[i]);
  });
}

/** XLM-RoBERTa's forward pass for one right-padded sequence, from the model's weights. */
function reference(w, ids, len, s) {
  const H = s.hidden;
  const d = H / s.heads;
  const pad = 1;
  let seen = 0;
  let x = ids.map((id) => {
    const pos = id === pad ? pad : ++seen + pad;
    return Array.from(
      { length: H },
      (_, h) =>
        w.get('embeddings.word_embeddings.weight')[id * H + h] +
        w.get('embeddings.position_embeddings.weight')[pos * H + h] +
        w.get('embeddings.token_type_embeddings.weight.0')[h],
    );
  });
  x = layerNorm(x, w.get('embeddings.LayerNorm.weight'), w.get('embeddings.LayerNorm.bias'));
  for (let l = 0; l < s.layers; l++) {
    const p = `encoder.layer.${l}`;
    const lin = (input, name, n) => linear(input, w.get(`${p}.${name}.weight`), w.get(`${p}.${name}.bias`), n);
    const [q, k, v] = ['query', 'key', 'value'].map((n) => lin(x, `attention.self.${n}`, H));
    const ctx = x.map(() => new Array(H).fill(0));
    for (let hd = 0; hd < s.heads; hd++)
      for (let i = 0; i < ids.length; i++) {
        const scores = ids.map((_, j) => {
          if (j >= len) return -Infinity;
          let dot = 0;
          for (let e = 0; e < d; e++) dot += q[i][hd * d + e] * k[j][hd * d + e];
          return dot / Math.sqrt(d);
        });
        const m = Math.max(...scores);
        const exp = scores.map((z) => Math.exp(z - m));
        const sum = exp.reduce((a, b) => a + b, 0);
        for (let j = 0; j < ids.length; j++)
          for (let e = 0; e < d; e++) ctx[i][hd * d + e] += (exp[j] / sum) * v[j][hd * d + e];
      }
    const attn = lin(ctx, 'attention.output.dense', H).map((row, i) => row.map((val, h) => val + x[i][h]));
    const x1 = layerNorm(
      attn,
      w.get(`${p}.attention.output.LayerNorm.weight`),
      w.get(`${p}.attention.output.LayerNorm.bias`),
    );
    const gelu = lin(x1, 'intermediate.dense', s.ffn).map((row) => row.map((h) => 0.5 * h * (1 + erf(h / Math.SQRT2))));
    const out = lin(gelu, 'output.dense', H).map((row, i) => row.map((val, h) => val + x1[i][h]));
    x = layerNorm(out, w.get(`${p}.output.LayerNorm.weight`), w.get(`${p}.output.LayerNorm.bias`));
  }
  return x;
}

test('the synthetic encoder computes XLM-RoBERTa (vs a plain-JS forward pass), padding masked, in the HF layout', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-synth-'));
  try {
    const result = await generateSyntheticModel(dir, { ...SHAPE, init: 'realistic' });
    assert.ok(result.parameters > SHAPE.vocab * SHAPE.hidden);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    assert.equal(config.model_type, 'xlm-roberta');
    assert.equal(config.num_hidden_layers, 2);
    const embedder = await OnnxEmbedder.load(dir, { pooling: 'cls', normalize: false, batchSize: 8 });
    assert.equal(embedder.maxLength, SHAPE.positions - 2);
    const w = await weightsOf(dir);
    const batch = await embedder.embed(TEXTS, { kind: 'none' });
    for (let t = 0; t < TEXTS.length; t++) {
      const { ids } = embedder.tokenizer.encode(TEXTS[t]);
      assert.ok(!ids.includes(3), `no <unk> in "${TEXTS[t]}"`);
      const padded = [...ids, 1, 1, 1];
      const ref = reference(w, padded, ids.length, SHAPE)[0];
      const alone = await embedder.embed([TEXTS[t]], { kind: 'none' });
      for (let h = 0; h < SHAPE.hidden; h++) {
        assert.ok(
          Math.abs(batch[t * SHAPE.hidden + h] - ref[h]) < 1e-3,
          `text ${t} dim ${h}: ${batch[t * SHAPE.hidden + h]} vs ${ref[h]}`,
        );
        assert.ok(
          Math.abs(alone[h] - batch[t * SHAPE.hidden + h]) < 1e-5,
          'a text embeds the same alone and in a batch',
        );
      }
    }
    await embedder.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the synthetic cross-encoder scores pairs with the classification head; external data and the cache marker work', async () => {
  const cache = await mkdtemp(join(tmpdir(), 'tamsaek-synth-cache-'));
  try {
    const { dir, generated } = await ensureSyntheticModel(cache, { ...SHAPE, head: 'cross-encoder', external: true });
    assert.equal(generated, true);
    assert.ok((await stat(join(dir, 'onnx', 'model.onnx_data'))).size > SHAPE.vocab * SHAPE.hidden * 4);
    assert.equal((await ensureSyntheticModel(cache, { ...SHAPE, head: 'cross-encoder' })).generated, false);
    const ce = await CrossEncoder.load(dir, { sigmoid: false, cacheSize: 0 });
    const w = await weightsOf(dir);
    const scores = await ce.score('기초연금', TEXTS);
    for (let t = 0; t < TEXTS.length; t++) {
      const { ids } = ce.encodePair('기초연금', TEXTS[t]);
      const cls = reference(w, ids, ids.length, SHAPE)[0];
      const dense = linear([cls], w.get('classifier.dense.weight'), w.get('classifier.dense.bias'), SHAPE.hidden)[0];
      const [[logit]] = linear(
        [dense.map(Math.tanh)],
        w.get('classifier.out_proj.weight'),
        w.get('classifier.out_proj.bias'),
        1,
      );
      assert.ok(Math.abs(scores[t] - logit) < 1e-3, `pair ${t}: ${scores[t]} vs ${logit}`);
    }
    await ce.dispose();
    await assert.rejects(ensureSyntheticModel(cache, { hidden: 30, heads: 4 }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(ensureSyntheticModel(cache, { layer: 2 }), { code: 'UNKNOWN_OPTION' });
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
});
