/**
 * A SentencePiece-Unigram `tokenizer.json` of any vocabulary size in the layout of XLM-RoBERTa's
 * (`<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3, `<mask>` last; NFKC + Metaspace; `<s> A </s></s> B </s>`),
 * for the synthetic models of ./synthetic.ts. The real vocabulary cannot be downloaded here, so the
 * pieces are made up: every Hangul syllable (bare and word-initial `▁x`), ASCII characters, and
 * seeded two- and three-syllable pieces over the 2,350 common syllables of KS X 1001 until the
 * vocabulary is full. Any text tokenizes (no `<unk>` for Korean, Latin or digits); the token count of
 * a Korean text is close to its syllable count, a little above the real XLM-R vocabulary's.
 */
import { mulberry32 } from '../util/random.js';

const SPECIALS = ['<s>', '<pad>', '</s>', '<unk>'];
const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,?!:;()[]-/%\'"&+=*~@#$^_<>{}|`\\';

/** The 2,350 Hangul syllables of KS X 1001 (EUC-KR rows 0xB0–0xC8), or the first 2,350 syllables without ICU data. */
export function commonSyllables(): string[] {
  const out: string[] = [];
  try {
    const decoder = new TextDecoder('euc-kr');
    for (let a = 0xb0; a <= 0xc8; a++)
      for (let b = 0xa1; b <= 0xfe; b++) {
        const s = decoder.decode(Uint8Array.of(a, b));
        if (/^[\uAC00-\uD7A3]$/.test(s)) out.push(s);
      }
  } catch {
    // a Node build without the EUC-KR decoder: any fixed syllable set serves
  }
  if (out.length === 2350) return out;
  return Array.from({ length: 2350 }, (_, i) => String.fromCharCode(0xac00 + i));
}

/** Unigram vocabulary entries [piece, log-probability], the specials first and `<mask>` last. */
export function syntheticVocab(size: number, seed = 20261206): [string, number][] {
  const vocab: [string, number][] = SPECIALS.map((s) => [s, 0]);
  const seen = new Set<string>(SPECIALS);
  const add = (piece: string, score: number) => {
    if (vocab.length >= size - 1 || seen.has(piece)) return;
    seen.add(piece);
    vocab.push([piece, score]);
  };
  add('▁', -3);
  for (const c of ASCII) {
    add(`▁${c}`, -9.5);
    add(c, -9);
  }
  for (let code = 0xac00; code <= 0xd7a3; code++) {
    const s = String.fromCharCode(code);
    add(`▁${s}`, -11.5);
    add(s, -12);
  }
  const common = commonSyllables();
  const random = mulberry32(seed);
  const pick = () => common[Math.floor(random() * common.length)];
  // multi-syllable pieces: a two-syllable piece (about −10) beats its two syllables (−24), as a real vocabulary's would
  for (let guard = 0; vocab.length < size - 1 && guard < size * 4; guard++) {
    const n = random() < 0.8 ? 2 : 3;
    let piece = '';
    for (let i = 0; i < n; i++) piece += pick();
    add(random() < 0.5 ? `▁${piece}` : piece, -8 - random() * 4);
  }
  for (let i = 0; vocab.length < size - 1; i++) add(`▁<extra_${i}>`, -20);
  vocab.push(['<mask>', 0]);
  return vocab;
}

/** tokenizer.json and tokenizer_config.json objects for a vocabulary of `size` pieces (≥ 300). */
export function syntheticTokenizer(size: number, maxLength = 512): { tokenizer: object; config: object } {
  const vocab = syntheticVocab(size);
  const specials = [...SPECIALS, '<mask>'];
  const ids = specials.map((s) => (s === '<mask>' ? vocab.length - 1 : SPECIALS.indexOf(s)));
  const added = specials.map((content, i) => ({
    id: ids[i],
    content,
    single_word: false,
    lstrip: content === '<mask>',
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const special = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  const seq = (id: string) => ({ Sequence: { id, type_id: 0 } });
  const metaspace = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }],
    },
    pre_tokenizer: metaspace,
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('<s>'), seq('A'), special('</s>')],
      pair: [special('<s>'), seq('A'), special('</s>'), special('</s>'), seq('B'), special('</s>')],
      special_tokens: {
        '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] },
        '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] },
      },
    },
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: 3, vocab, byte_fallback: false },
  };
  const config = {
    model_max_length: maxLength,
    bos_token: '<s>',
    eos_token: '</s>',
    pad_token: '<pad>',
    unk_token: '<unk>',
    cls_token: '<s>',
    sep_token: '</s>',
    mask_token: '<mask>',
    tokenizer_class: 'XLMRobertaTokenizer',
    clean_up_tokenization_spaces: true,
  };
  return { tokenizer, config };
}
