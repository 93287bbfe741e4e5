/**
 * A model directory in Hugging Face layout: `config.json` decides what it is.
 *
 * - an ONNX transformer export (optimum / sentence-transformers): config.json with `model_type` or
 *   `architectures`, `tokenizer.json`, and an ONNX file under `onnx/` (or at the top level);
 * - a tamsaek static model `{"tamsaek_model": "static", ...}` (see ./static.ts): not an ONNX model, so
 *   inspectModelDir / OnnxEmbedder answer NOT_SUPPORTED; `loadEmbedder` (./load.ts) dispatches on the kind;
 * - anything else: INVALID_MODEL.
 *
 * ONNX file choice: an int8 export is preferred when present (`onnx/model_quantized.onnx`,
 * `onnx/model_int8.onnx`, `onnx/model_qint8_avx512_vnni.onnx` …), then `onnx/model.onnx`,
 * then `model.onnx`; `quantized: false` skips int8 files and `file` forces one.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { TamsaekError } from '../errors.js';
import { isFile } from '../util/atomic-file.js';
import type { Pooling } from './presets.js';

export const INT8_FILES = [
  'onnx/model_quantized.onnx',
  'onnx/model_int8.onnx',
  'onnx/model_qint8_avx512_vnni.onnx',
  'onnx/model_quint8_avx2.onnx',
  'model_quantized.onnx',
];
export const FP32_FILES = ['onnx/model.onnx', 'model.onnx'];

export interface OnnxModelInfo {
  kind: 'onnx';
  dir: string;
  config: Record<string, unknown>;
  /** The chosen ONNX file, relative to `dir`. */
  file: string;
  quantized: boolean;
  /** From sentence-transformers' 1_Pooling/config.json when present. */
  pooling?: Pooling;
  /** From config_sentence_transformers.json `prompts` when present. */
  prompts?: { query?: string; passage?: string };
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new TamsaekError('PARSE_ERROR', `${path}: invalid JSON (${(e as Error).message})`, { cause: e });
  }
}

/** `file` options name a file inside the model directory: relative, without `..` segments. */
export function checkRelativeFile(file: unknown): string {
  if (typeof file !== 'string' || file.length === 0 || isAbsolute(file) || file.split(/[\\/]/).includes('..')) {
    throw new TamsaekError(
      'INVALID_ARGUMENT',
      `file must be a relative path inside the model directory (got ${JSON.stringify(file)})`,
    );
  }
  return file;
}

export interface InspectOptions {
  quantized?: boolean;
  file?: string;
}

export async function inspectModelDir(dir: string, options: InspectOptions = {}): Promise<OnnxModelInfo> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new TamsaekError('NOT_FOUND', `model directory ${dir} does not exist`);
  }
  const config = await readJson(join(dir, 'config.json'));
  if (!config)
    throw new TamsaekError(
      'NOT_FOUND',
      `model directory ${dir} has no config.json (expected a Hugging Face layout: config.json, tokenizer.json, onnx/model.onnx)`,
    );
  if ('tamsaek_model' in config) {
    if (config.tamsaek_model === 'static') {
      throw new TamsaekError(
        'NOT_SUPPORTED',
        `${dir} is a tamsaek static model, not an ONNX export; load it with loadEmbedder() or StaticEmbedder.load()`,
      );
    }
    throw new TamsaekError(
      'INVALID_MODEL',
      `${dir}/config.json: unknown tamsaek_model "${String(config.tamsaek_model)}"`,
    );
  }
  if (typeof config.model_type !== 'string' && !Array.isArray(config.architectures)) {
    throw new TamsaekError(
      'INVALID_MODEL',
      `${dir}/config.json is neither a transformer config (no model_type / architectures) nor a tamsaek model`,
    );
  }
  if (!(await isFile(join(dir, 'tokenizer.json')))) {
    throw new TamsaekError(
      'NOT_FOUND',
      `model directory ${dir} has no tokenizer.json (export the tokenizer with the model)`,
    );
  }
  let file: string | undefined;
  if (options.file !== undefined) {
    checkRelativeFile(options.file);
    if (!(await isFile(join(dir, options.file))))
      throw new TamsaekError('NOT_FOUND', `model file ${join(dir, options.file)} does not exist`);
    file = options.file;
  } else {
    const candidates = options.quantized === false ? FP32_FILES : [...INT8_FILES, ...FP32_FILES];
    for (const c of candidates) {
      if (await isFile(join(dir, c))) {
        file = c;
        break;
      }
    }
    if (!file)
      throw new TamsaekError(
        'NOT_FOUND',
        `model directory ${dir} has no ONNX file (looked for ${candidates.join(', ')})`,
      );
  }
  const info: OnnxModelInfo = { kind: 'onnx', dir, config, file, quantized: /quant|int8/i.test(file) };
  const pool = await readJson(join(dir, '1_Pooling', 'config.json'));
  if (pool) {
    if (pool.pooling_mode_cls_token === true) info.pooling = 'cls';
    else if (pool.pooling_mode_lasttoken === true) info.pooling = 'last';
    else if (pool.pooling_mode_mean_tokens === true) info.pooling = 'mean';
  }
  const st = await readJson(join(dir, 'config_sentence_transformers.json'));
  const prompts = st?.prompts as Record<string, unknown> | undefined;
  if (prompts && typeof prompts === 'object') {
    info.prompts = {};
    if (typeof prompts.query === 'string') info.prompts.query = prompts.query;
    const passage = prompts.passage ?? prompts.document;
    if (typeof passage === 'string') info.prompts.passage = passage;
  }
  return info;
}

/** The kind of a local model directory from its config.json, or undefined when `dir` is not a local directory with one. */
export async function modelDirKind(dir: string): Promise<'static' | 'onnx' | undefined> {
  try {
    if (!(await stat(dir)).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  const config = await readJson(join(dir, 'config.json'));
  if (!config) return undefined;
  if ('tamsaek_model' in config) {
    if (config.tamsaek_model === 'static') return 'static';
    throw new TamsaekError(
      'INVALID_MODEL',
      `${dir}/config.json: unknown tamsaek_model "${String(config.tamsaek_model)}"`,
    );
  }
  return 'onnx';
}
