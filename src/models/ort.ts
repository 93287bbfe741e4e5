/**
 * The ONNX runtime, loaded once on first use: onnxruntime-node (native, fastest) when it can be
 * imported, else onnxruntime-web's WebAssembly build. A packed tamsaek ships the three files of
 * onnxruntime-web that Node needs under vendor/onnxruntime-web (copied from the pinned package by
 * scripts/prebuild.mjs), so an app that installs tamsaek can run ONNX models without any install
 * script; a dev checkout uses the onnxruntime-web devDependency. `TAMSAEK_ONNX_RUNTIME=node|web`
 * forces one of them (tests, benchmarks).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TamsaekError } from '../errors.js';

/** The part of the onnxruntime API tamsaek uses (typed here so both packages stay optional). */
export interface OrtTensor {
  dims: readonly number[];
  data: unknown;
  type: string;
}
export interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  outputMetadata?: readonly { name: string; shape?: readonly (number | string)[] }[];
  run(feeds: Record<string, OrtTensor>, fetches?: string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtModule {
  InferenceSession: { create(path: string, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: BigInt64Array | Float32Array, dims: number[]) => OrtTensor;
  env?: { wasm?: { numThreads?: number } };
}

/** Which runtime runs the sessions: `node` (onnxruntime-node) or `web` (onnxruntime-web, WebAssembly). */
export type OrtRuntime = 'node' | 'web';

export interface LoadedOrt {
  runtime: OrtRuntime;
  /** Where the module came from: a package name or the vendored file. */
  source: string;
  ort: OrtModule;
}

/** The vendored onnxruntime-web entry (dist/models/ort.js → <package>/vendor/onnxruntime-web). */
export function vendoredOrtWeb(): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return join(root, 'vendor', 'onnxruntime-web', 'ort.node.min.mjs');
}

async function importOrt(spec: string): Promise<OrtModule> {
  const mod = (await import(spec)) as { default?: OrtModule } & Partial<OrtModule>;
  const m = (mod.InferenceSession ? mod : mod.default) as OrtModule;
  if (typeof m?.InferenceSession?.create !== 'function') throw new Error(`${spec}: InferenceSession export missing`);
  return m;
}

function candidates(forced: string | undefined): { runtime: OrtRuntime; spec: string; source: string }[] {
  const node = { runtime: 'node' as const, spec: 'onnxruntime-node', source: 'onnxruntime-node' };
  const web = [
    ...(existsSync(vendoredOrtWeb())
      ? [{ runtime: 'web' as const, spec: pathToFileURL(vendoredOrtWeb()).href, source: vendoredOrtWeb() }]
      : []),
    { runtime: 'web' as const, spec: 'onnxruntime-web', source: 'onnxruntime-web' },
  ];
  if (forced === 'node') return [node];
  if (forced === 'web') return web;
  return [node, ...web];
}

let loaded: Promise<LoadedOrt> | undefined;

/** Loads the ONNX runtime once; NATIVE_UNAVAILABLE with the fix when none can be loaded. */
export function loadOrt(): Promise<LoadedOrt> {
  loaded ??= (async () => {
    const forced = process.env.TAMSAEK_ONNX_RUNTIME;
    if (forced !== undefined && forced !== '' && forced !== 'node' && forced !== 'web')
      throw new TamsaekError('INVALID_ARGUMENT', `TAMSAEK_ONNX_RUNTIME must be "node" or "web", got "${forced}"`);
    const failures: string[] = [];
    for (const c of candidates(forced || undefined)) {
      try {
        return { runtime: c.runtime, source: c.source, ort: await importOrt(c.spec) };
      } catch (cause) {
        failures.push(`${c.source}: ${(cause as Error).message.split('\n')[0]}`);
      }
    }
    loaded = undefined;
    throw new TamsaekError(
      'NATIVE_UNAVAILABLE',
      `ONNX models need onnxruntime-node or onnxruntime-web, and neither could be loaded (${failures.join('; ')}); ` +
        'install the native runtime with `npm install onnxruntime-node` and keep its postinstall from fetching ' +
        'GPU binaries (`npm install-scripts deny onnxruntime-node` with npm 11, else ONNXRUNTIME_NODE_INSTALL=skip)',
    );
  })();
  return loaded;
}

/** The ONNX runtime module (see loadOrt). */
export async function loadOnnxRuntime(): Promise<OrtModule> {
  return (await loadOrt()).ort;
}

/**
 * onnxruntime-node's intra-op threads block instead of spin-waiting between operators: on cores shared
 * with other processes (or with Node's own thread) a spinning thread burns its time slices at every
 * barrier. Measured on 2 shared cores (docs/models.md, *Threads and other jobs*): a 20-token int8 query
 * in 0.55–0.70× the time, 20 × 96 tokens in 0.78–0.95×; with both cores free, within a few percent.
 */
const NO_SPINNING = { session: { intra_op: { allow_spinning: '0' } } };

/**
 * Session options for the loaded runtime. onnxruntime-web runs on WebAssembly with one thread here
 * (its threads need a worker per session); onnxruntime-node takes intra-op threads per session.
 */
export function sessionOptions(runtime: OrtRuntime, threads: number): Record<string, unknown> {
  const common = { graphOptimizationLevel: 'all', logSeverityLevel: 3 };
  if (runtime === 'web') return { ...common, executionProviders: ['wasm'] };
  return {
    ...common,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    extra: NO_SPINNING,
  };
}
