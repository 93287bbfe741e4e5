/** Right-padded int64 input tensors for a batch of encoded sequences (shared by embedder and cross-encoder). */
import type { OrtModule, OrtTensor } from './ort.js';

export interface EncodedRow {
  ids: number[];
  typeIds: number[];
}

export interface PaddedBatch {
  /** Sequence length after padding (the longest row). */
  T: number;
  /** Real length of each row. */
  lens: Int32Array;
  ids: BigInt64Array;
  mask: BigInt64Array;
  types?: BigInt64Array;
}

export function padBatch(batch: readonly EncodedRow[], padId: number, withTypeIds: boolean): PaddedBatch {
  const B = batch.length;
  const T = Math.max(...batch.map((x) => x.ids.length));
  const ids = new BigInt64Array(B * T).fill(BigInt(padId));
  const mask = new BigInt64Array(B * T);
  const types = withTypeIds ? new BigInt64Array(B * T) : undefined;
  const lens = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const x = batch[b];
    lens[b] = x.ids.length;
    for (let t = 0; t < x.ids.length; t++) {
      ids[b * T + t] = BigInt(x.ids[t]);
      mask[b * T + t] = 1n;
      if (types) types[b * T + t] = BigInt(x.typeIds[t]);
    }
  }
  return { T, lens, ids, mask, types };
}

/** A padded batch as session inputs: input_ids, attention_mask and, when the model takes them, token_type_ids. */
export function batchFeeds(Tensor: OrtModule['Tensor'], p: PaddedBatch): Record<string, OrtTensor> {
  const dims = [p.lens.length, p.T];
  const feeds: Record<string, OrtTensor> = {
    input_ids: new Tensor('int64', p.ids, dims),
    attention_mask: new Tensor('int64', p.mask, dims),
  };
  if (p.types) feeds.token_type_ids = new Tensor('int64', p.types, dims);
  return feeds;
}
