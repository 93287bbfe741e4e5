/** What the engine's dense legs need of an embedding model. */
import type { ChunkOptions } from '../util/chunker.js';

/** Anything that turns texts into L2-comparable vectors (OnnxEmbedder, a static model, a test double). */
export interface TextEmbedder {
  readonly dim: number;
  readonly modelId: string;
  embed(texts: readonly string[], options?: { kind?: 'query' | 'passage' }): Promise<Float32Array>;
  /** The passage split the model asks for (tamsaek static models: config.json `passages`); the dense leg's default. */
  readonly passages?: ChunkOptions;
  /** True when `embed` returns unit vectors (cosine = dot product). */
  readonly normalize?: boolean;
  /**
   * The analyzer (by name) whose terms `embedQueryTerms` accepts: a search analyses its query once and a
   * model that reads the same terms (the static model's morphemes) takes them instead of analysing again.
   */
  readonly termsAnalyzer?: string;
  embedQueryTerms?(text: string, terms: readonly string[]): Promise<Float32Array>;
  dispose?(): Promise<void>;
}
