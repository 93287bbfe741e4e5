/**
 * `tamsaek quantize <model-dir>`: int8 dynamic quantization of an ONNX export (src/models/quantize.ts),
 * then the fp32/int8 agreement on sample texts (embedding cosines, or cross-encoder score differences
 * and Kendall τ) unless `--no-check`.
 */

import { inspectModelDir } from '../models/model-dir.js';
import { QUANTIZE_FORMATS, type QuantizeFormat, quantizeModel } from '../models/quantize.js';
import { compareEmbeddings } from '../models/quantize-check.js';
import { compareScores } from '../rerank/agreement.js';
import { choiceOption, intOption, numberOption, parse, UsageError } from './args.js';

export const QUANTIZE_USAGE = {
  quantize: `usage: tamsaek quantize <model-dir> [--format ${QUANTIZE_FORMATS.join('|')}] [--smooth 0.5|none] [--reduce-range] [--no-embeddings] [--exclude name,…] [--quantize-head] [--file onnx/model.onnx] [--out onnx/model_quantized.onnx] [--force] [--no-check] [--threads N] [--json]`,
} as const;

function isCrossEncoder(config: Record<string, unknown>): boolean {
  const archs = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  return config.num_labels === 1 || archs.some((a) => a.endsWith('ForSequenceClassification'));
}

export async function quantizeCommand(argv: string[], io: { out: (text: string) => void }): Promise<void> {
  const args = parse(
    argv,
    {
      format: { type: 'string' },
      'reduce-range': { type: 'boolean' },
      smooth: { type: 'string' },
      exclude: { type: 'string' },
      'quantize-head': { type: 'boolean' },
      'no-embeddings': { type: 'boolean' },
      file: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      'no-check': { type: 'boolean' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    },
    QUANTIZE_USAGE.quantize,
  );
  if (args.positionals.length !== 1) throw new UsageError(QUANTIZE_USAGE.quantize);
  const dir = args.positionals[0];
  const format = choiceOption(args.text('format'), 'format', QUANTIZE_FORMATS) as QuantizeFormat | undefined;
  const threads = intOption(args.text('threads'), 'threads', 1, 4096);
  const smoothText = args.text('smooth');
  const smooth = smoothText === 'none' ? false : numberOption(smoothText, 'smooth');
  if (typeof smooth === 'number' && !(smooth >= 0 && smooth <= 1))
    throw new UsageError('--smooth must be in 0..1 or none');
  const report = await quantizeModel(dir, {
    format,
    reduceRange: args.flag('reduce-range'),
    ...(smooth === undefined ? {} : { smooth }),
    ...(args.text('exclude') ? { exclude: args.text('exclude')!.split(',') } : {}),
    ...(args.flag('quantize-head') ? { head: 'int8' as const } : {}),
    embeddings: !args.flag('no-embeddings'),
    file: args.text('file'),
    out: args.text('out'),
    force: args.flag('force'),
  });
  let check: object | undefined;
  if (!args.flag('no-check')) {
    const files = { fp32File: report.source, int8File: report.file, threads };
    const { config } = await inspectModelDir(dir, { file: report.source });
    check = isCrossEncoder(config)
      ? { kind: 'cross-encoder', ...(await compareScores(dir, files)) }
      : { kind: 'encoder', ...(await compareEmbeddings(dir, files)) };
  }
  if (args.flag('json')) {
    io.out(JSON.stringify({ ...report, check }));
    return;
  }
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
  io.out(
    `wrote ${report.file} (${mb(report.bytesOut)}, from ${report.source} ${mb(report.bytesIn)}) in ${report.seconds.toFixed(1)} s: ${report.matmuls} MatMul, ${report.gemms} Gemm, ${report.gathers} Gather quantized (${report.format}${report.reduceRange ? ', 7-bit weights' : ''}${report.smooth === false ? '' : `, ${report.smoothed} activations smoothed with α ${report.smooth}`}${report.headKept > 0 ? `; ${report.headKept} classification-head products kept fp32` : ''})`,
  );
  if (check) {
    const fields = Object.entries(check).map(([k, v]) => `${k} ${typeof v === 'number' ? Number(v.toFixed(5)) : v}`);
    io.out(`int8 vs fp32 on sample texts: ${fields.join(', ')}`);
  }
}
