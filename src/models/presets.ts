/**
 * Presets: the facts a model's ONNX export does not carry (pooling, prefixes, sensible max length).
 * Sources of each fact are listed in docs/dense.md (model cards and the sentence-transformers
 * files `1_Pooling/config.json` / `config_sentence_transformers.json` of each repository).
 * A model directory's own sentence-transformers files, when present, win over the preset.
 */
export type Pooling = 'cls' | 'mean' | 'last';

export interface ModelPreset {
  id: string;
  dim: number;
  pooling: Pooling;
  queryPrefix: string;
  passagePrefix: string;
  /** Default maximum tokens (the model may allow more: see `modelMaxLength`). */
  maxLength: number;
  modelMaxLength: number;
  normalize: boolean;
  base: string;
}

const E5 = {
  pooling: 'mean',
  queryPrefix: 'query: ',
  passagePrefix: 'passage: ',
  maxLength: 512,
  modelMaxLength: 512,
  normalize: true,
} as const;
const M3 = {
  dim: 1024,
  pooling: 'cls',
  queryPrefix: '',
  passagePrefix: '',
  maxLength: 512,
  modelMaxLength: 8192,
  normalize: true,
  base: 'BAAI/bge-m3',
} as const;

export const PRESETS: Readonly<Record<string, ModelPreset>> = Object.freeze({
  'nlpai-lab/KoE5': { id: 'nlpai-lab/KoE5', dim: 1024, ...E5, base: 'intfloat/multilingual-e5-large' },
  'dragonkue/BGE-m3-ko': { id: 'dragonkue/BGE-m3-ko', ...M3 },
  'nlpai-lab/KURE-v1': { id: 'nlpai-lab/KURE-v1', ...M3 },
  'dragonkue/snowflake-arctic-embed-l-v2.0-ko': {
    id: 'dragonkue/snowflake-arctic-embed-l-v2.0-ko',
    dim: 1024,
    pooling: 'cls',
    queryPrefix: 'query: ',
    passagePrefix: '',
    maxLength: 512,
    modelMaxLength: 8192,
    normalize: true,
    base: 'Snowflake/snowflake-arctic-embed-l-v2.0',
  },
  'intfloat/multilingual-e5-small': {
    id: 'intfloat/multilingual-e5-small',
    dim: 384,
    ...E5,
    base: 'microsoft/Multilingual-MiniLM-L12-H384',
  },
  'intfloat/multilingual-e5-base': { id: 'intfloat/multilingual-e5-base', dim: 768, ...E5, base: 'xlm-roberta-base' },
  'intfloat/multilingual-e5-large': {
    id: 'intfloat/multilingual-e5-large',
    dim: 1024,
    ...E5,
    base: 'xlm-roberta-large',
  },
});

/** The preset of a Hub id (case-insensitive), or of a local directory whose name ends with the repo name. */
export function findPreset(nameOrPath: string): ModelPreset | undefined {
  const lower = nameOrPath.toLowerCase().replace(/\/+$/, '');
  for (const p of Object.values(PRESETS)) {
    const id = p.id.toLowerCase();
    if (lower === id || lower.endsWith(`/${id}`) || lower.endsWith(`/${id.replace('/', '--')}`)) return p;
  }
  return undefined;
}
