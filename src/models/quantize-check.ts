/**
 * How far an int8 file's outputs are from its fp32 original's, on the same texts: the cosine of each
 * text's embedding (encoders), or score differences and the rank agreement (Kendall τ) of a query's
 * candidates (cross-encoders). `tamsaek quantize` reports it after writing the file, and the
 * `models` bench measures it on the synthetic models.
 *
 * Cosines near 1 can hide a degenerate model whose every text embeds alike (random weights do that):
 * `meanPairwiseCosine` (fp32, between different texts) says how much room there was, and
 * `centeredCosine` compares the embeddings after removing their mean over the texts, which is what
 * ranking depends on.
 */
import { invalidArgument } from '../errors.js';
import { OnnxEmbedder } from './embedder.js';
import type { ExecutionProviderOption } from './session.js';

/** Korean (and a little English) sentences of the kinds the seed models are used for. */
export const SAMPLE_TEXTS: readonly string[] = [
  '기초연금은 만 65세 이상 어르신 중 소득인정액이 선정기준액 이하인 분께 지급됩니다.',
  '청년 월세 특별지원은 부모와 떨어져 사는 저소득 청년에게 월 최대 20만 원을 12개월간 지원합니다.',
  '전세사기 피해자는 경매 유예와 우선매수권, 저리 대출 등의 지원을 받을 수 있습니다.',
  '주민센터를 방문하거나 복지로 누리집에서 온라인으로 신청할 수 있습니다.',
  '장애인 활동지원 서비스는 신체활동, 가사활동, 이동보조를 제공합니다.',
  '긴급복지 생계지원은 위기 사유가 발생한 가구에 한 달 생계비를 먼저 지원합니다.',
  '예금자보호법에 따라 금융회사가 파산해도 1인당 5천만 원까지 보호됩니다.',
  '주택담보대출 금리는 기준금리와 가산금리를 더해 정해집니다.',
  '국민내일배움카드로 직업훈련 비용의 일부를 지원받을 수 있습니다.',
  '출산 후 첫만남이용권으로 200만 원 상당의 바우처를 받습니다.',
  '한부모가족 아동양육비는 자녀 1인당 월 21만 원입니다.',
  '노인 일자리 사업은 공익활동, 사회서비스형, 시장형으로 나뉩니다.',
  '서울시는 청년 대중교통비의 일부를 돌려주는 사업을 운영합니다.',
  '소상공인 정책자금은 업력과 매출 규모에 따라 한도가 다릅니다.',
  '기초생활수급자는 생계급여, 의료급여, 주거급여, 교육급여를 받을 수 있습니다.',
  '연말정산 때 월세 세액공제를 받으려면 임대차계약서와 이체 내역이 필요합니다.',
  '실업급여는 퇴사 다음 날부터 12개월 안에 고용센터에 신청해야 합니다.',
  '전기요금 복지할인은 장애인, 국가유공자, 기초생활수급자 가구에 적용됩니다.',
  'How do I apply for the basic pension?',
  'The deposit insurance covers up to 50 million won per person.',
];

export const SAMPLE_QUERIES: readonly string[] = [
  '기초연금 신청 방법',
  '청년 월세 지원 금액',
  '전세사기 피해 지원',
  '실업급여 신청 기한',
  '예금자 보호 한도',
  '출산 지원금 얼마',
];

export interface EmbeddingAgreement {
  texts: number;
  minCosine: number;
  meanCosine: number;
  /** Cosine of fp32 and int8 embeddings after subtracting each model's mean embedding over the texts. */
  minCenteredCosine: number;
  meanCenteredCosine: number;
  /** Mean cosine between the fp32 embeddings of different texts (near 1: a degenerate model). */
  meanPairwiseCosine: number;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

function rows(m: Float32Array, n: number, dim: number, center: boolean): Float32Array[] {
  const mean = new Float32Array(dim);
  if (center) for (let i = 0; i < n * dim; i++) mean[i % dim] += m[i] / n;
  return Array.from({ length: n }, (_, r) => m.subarray(r * dim, (r + 1) * dim).map((v, h) => v - mean[h]));
}

/** Compares two embedding matrices of the same texts (n × dim, row-major). */
export function embeddingAgreement(fp32: Float32Array, int8: Float32Array, n: number, dim: number): EmbeddingAgreement {
  const a = rows(fp32, n, dim, false);
  const b = rows(int8, n, dim, false);
  const ac = rows(fp32, n, dim, true);
  const bc = rows(int8, n, dim, true);
  const cos = a.map((x, i) => cosine(x, b[i]));
  const centered = ac.map((x, i) => cosine(x, bc[i]));
  let pair = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      pair += cosine(a[i], a[j]);
      pairs++;
    }
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  return {
    texts: n,
    minCosine: Math.min(...cos),
    meanCosine: mean(cos),
    minCenteredCosine: Math.min(...centered),
    meanCenteredCosine: mean(centered),
    meanPairwiseCosine: pairs > 0 ? pair / pairs : 1,
  };
}

/** Kendall's τ-b between two score lists of the same items (ties counted as neither). */
export function kendallTau(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw invalidArgument('kendallTau: lists of different lengths');
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign(a[i] - a[j]);
      const db = Math.sign(b[i] - b[j]);
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) concordant++;
      else discordant++;
    }
  const n0 = concordant + discordant;
  const denom = Math.sqrt((n0 + tiesA) * (n0 + tiesB));
  return denom > 0 ? (concordant - discordant) / denom : 1;
}

export interface CompareOptions {
  fp32File: string;
  int8File: string;
  texts?: readonly string[];
  threads?: number;
  executionProviders?: ExecutionProviderOption;
}

/** Embeds the texts with both files of an encoder directory and compares them. */
export async function compareEmbeddings(dir: string, options: CompareOptions): Promise<EmbeddingAgreement> {
  const texts = options.texts ?? SAMPLE_TEXTS;
  const common = { threads: options.threads, executionProviders: options.executionProviders, batchSize: 16 };
  const a = await OnnxEmbedder.load(dir, { ...common, file: options.fp32File });
  let fp32: Float32Array;
  try {
    fp32 = await a.embed(texts, { kind: 'none' });
  } finally {
    await a.dispose();
  }
  const b = await OnnxEmbedder.load(dir, { ...common, file: options.int8File });
  try {
    return embeddingAgreement(fp32, await b.embed(texts, { kind: 'none' }), texts.length, a.dim);
  } finally {
    await b.dispose();
  }
}
