/** `--fp32` and `--provider cpu|cuda|auto`: which ONNX file and execution provider the model commands use. */
import { EXECUTION_PROVIDERS, type ExecutionProviderOption } from '../models/session.js';
import type { Reranker } from '../rerank/types.js';
import { choiceOption, type Parsed } from './args.js';

export const RUNTIME_OPTIONS = {
  fp32: { type: 'boolean' },
  provider: { type: 'string' },
} as const;

export function runtimeOptions(args: Parsed): { quantized?: false; executionProviders?: ExecutionProviderOption } {
  const o: { quantized?: false; executionProviders?: ExecutionProviderOption } = {};
  if (args.flag('fp32')) o.quantized = false;
  const provider = choiceOption(args.text('provider'), 'provider', EXECUTION_PROVIDERS);
  if (provider) o.executionProviders = provider;
  return o;
}

/** `--reranker <dir|id>`: the name as it is, or a loaded cross-encoder when --fp32 / --provider ask for more. */
export async function rerankerArg(args: Parsed): Promise<string | Reranker | undefined> {
  const name = args.text('reranker');
  const runtime = runtimeOptions(args);
  if (name === undefined || Object.keys(runtime).length === 0) return name;
  const { CrossEncoder } = await import('../rerank/index.js');
  return CrossEncoder.load(name, runtime);
}
