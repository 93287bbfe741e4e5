/**
 * onnxruntime sessions for the embedder and the cross-encoder, on the CPU (onnxruntime-node, or
 * onnxruntime-web's WebAssembly build when that is the runtime ./ort.ts loaded) or on onnxruntime-node's
 * CUDA execution provider.
 *
 * onnxruntime-node ships its CPU runtime in the npm package; the CUDA provider libraries
 * (`libonnxruntime_providers_cuda.so`, `libonnxruntime_providers_shared.so`) are fetched by its
 * postinstall script only when asked (`ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node`),
 * and need the CUDA 12 runtime and cuDNN 9 on the library path and a GPU at run time.
 *
 * - `'cpu'` (default): the CPU provider.
 * - `'cuda'`: CUDA, with onnxruntime placing the operators CUDA lacks on the CPU; the WebAssembly
 *   runtime, no provider libraries, no GPU or a failing start → CUDA_UNAVAILABLE saying why.
 * - `'auto'`: CUDA when it starts, else the CPU, reporting one line saying why through `onWarning`
 *   (default: `process.emitWarning`, once per reason per process — the library never prints).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { invalidArgument, TamsaekError } from '../errors.js';
import { type LoadedOrt, type OrtRuntime, type OrtSession, sessionOptions } from './ort.js';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'auto'] as const;
export type ExecutionProviderOption = (typeof EXECUTION_PROVIDERS)[number];

/** Options every ONNX model loader takes (embedder, cross-encoder): file choice, threads, provider, warnings. */
export const MODEL_FILE_OPTION_KEYS = ['threads', 'quantized', 'file', 'executionProviders', 'onWarning'] as const;

export interface SessionOptions {
  threads: number;
  executionProviders?: ExecutionProviderOption;
  onWarning?: (message: string) => void;
}

const CUDA_LIBRARIES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];
const warned = new Set<string>();

export function checkExecutionProviders(where: string, value: unknown): ExecutionProviderOption {
  if (value === undefined) return 'cpu';
  if (!EXECUTION_PROVIDERS.includes(value as ExecutionProviderOption))
    throw invalidArgument(
      `${where}: executionProviders must be one of ${EXECUTION_PROVIDERS.join(', ')} (got ${String(value)})`,
    );
  return value as ExecutionProviderOption;
}

/**
 * Why CUDA cannot be tried here, or undefined when onnxruntime-node's CUDA provider libraries are
 * installed and the runtime loaded (ort.ts) is onnxruntime-node; `runtime` defaults to 'node'.
 */
export function cudaUnavailableReason(runtime: OrtRuntime = 'node'): string | undefined {
  if (runtime === 'web')
    return "the ONNX runtime is onnxruntime-web's WebAssembly build, which has no CUDA provider (install onnxruntime-node)";
  if (platform() !== 'linux' || arch() !== 'x64')
    return `onnxruntime-node has no CUDA provider for ${platform()}/${arch()} (linux/x64 only)`;
  let binDir: string;
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    binDir = join(dirname(entry), '..', 'bin', 'napi-v6', platform(), arch());
  } catch {
    return 'onnxruntime-node is not installed';
  }
  const missing = CUDA_LIBRARIES.filter((f) => !existsSync(join(binDir, f)));
  if (missing.length > 0)
    return `onnxruntime-node's CUDA provider libraries are not installed (${missing.join(', ')} missing in ${binDir}; reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node)`;
  return undefined;
}

function warn(options: SessionOptions, message: string): void {
  if (options.onWarning) {
    options.onWarning(message);
    return;
  }
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { code: 'TAMSAEK_CPU_FALLBACK' });
}

function loadFailure(path: string, e: unknown): TamsaekError {
  return new TamsaekError(
    'INVALID_MODEL',
    `${path}: onnxruntime cannot load it (${(e as Error).message.split('\n')[0]})`,
    { cause: e },
  );
}

/** An inference session on the provider asked for; `provider` says where it runs. */
export async function createSession(
  loaded: LoadedOrt,
  path: string,
  options: SessionOptions,
): Promise<{ session: OrtSession; provider: 'cpu' | 'cuda' }> {
  const { ort, runtime } = loaded;
  const want = options.executionProviders ?? 'cpu';
  if (want !== 'cpu') {
    let reason = cudaUnavailableReason(runtime);
    if (reason === undefined) {
      try {
        const session = await ort.InferenceSession.create(path, {
          ...sessionOptions(runtime, options.threads),
          executionProviders: [{ name: 'cuda', deviceId: 0 }, 'cpu'],
        });
        return { session, provider: 'cuda' };
      } catch (e) {
        reason = `onnxruntime could not start its CUDA provider (${(e as Error).message.split('\n')[0]})`;
      }
    }
    if (want === 'cuda') throw new TamsaekError('CUDA_UNAVAILABLE', `executionProviders 'cuda': ${reason}`);
    warn(options, `tamsaek: running ${path} on the CPU: ${reason}`);
  }
  try {
    return {
      session: await ort.InferenceSession.create(path, sessionOptions(runtime, options.threads)),
      provider: 'cpu',
    };
  } catch (e) {
    throw loadFailure(path, e);
  }
}

/**
 * Which file kind to prefer: the int8 graph's dynamic quantization runs as CPU kernels, so where CUDA
 * may run the model ('cuda' or 'auto' with the provider installed) the fp32 file is preferred unless
 * `quantized` says otherwise.
 */
export function preferQuantized(
  quantized: boolean | undefined,
  providers: ExecutionProviderOption,
  runtime: OrtRuntime,
): boolean | undefined {
  if (quantized !== undefined || providers === 'cpu') return quantized;
  return cudaUnavailableReason(runtime) === undefined ? false : quantized;
}
