// A leg of the user's own, through the public API only: registered, created, fused, saved and reopened.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Engine, registerLeg, TamsaekError } from 'tamsaek';

// Hangul initial consonants (choseong) of a text: 기초연금 → ㄱㅊㅇㄱ. People type these to find a word fast.
const CHOSEONG = 'ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ';
function initials(text) {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0);
    if (code >= 0xac00 && code <= 0xd7a3) out += CHOSEONG[Math.floor((code - 0xac00) / 588)];
    else if (CHOSEONG.includes(ch)) out += ch;
    else if (/\s/.test(ch)) out += ' ';
  }
  return out;
}

/** A leg that finds documents by the initials of their words: a whole new kind of retriever in ~40 lines. */
class InitialsLeg {
  kind = 'initials';
  constructor(rows = new Map()) {
    this.rows = rows; // id → the initials of its title and text
  }
  async prepare(docs) {
    return { ids: docs.map((d) => d.id), rows: docs.map((d) => [d.id, initials(`${d.title ?? ''} ${d.text}`)]) };
  }
  async capture(docs) {
    return { ids: docs.map((d) => d.id), rows: docs.map((d) => [d.id, this.rows.get(d.id)]) };
  }
  async commit(batch) {
    for (const [id, row] of batch.rows) this.rows.set(id, row);
  }
  async remove(ids) {
    for (const id of ids) this.rows.delete(id);
  }
  async search(query, { k, filter }) {
    const words = initials(query.text)
      .split(' ')
      .filter((w) => w.length >= 2);
    const hits = [];
    for (const [id, row] of this.rows) {
      if (filter && !filter(id)) continue;
      const score = words.reduce((s, w) => s + row.split(w).length - 1, 0);
      if (score > 0) hits.push({ id, score });
    }
    return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, k);
  }
  async save(dir) {
    await writeFile(join(dir, 'initials.json'), JSON.stringify([...this.rows]));
    return { version: 1 };
  }
  stats() {
    return { documents: this.rows.size, units: this.rows.size };
  }
  describe() {
    return { matches: 'word initials' };
  }
}

const factory = {
  create: async () => new InitialsLeg(),
  open: async (dir, state) => {
    assert.equal(state.version, 1);
    return new InitialsLeg(new Map(JSON.parse(await readFile(join(dir, 'initials.json'), 'utf8'))));
  },
};

const DOCS = [
  {
    id: 'pension',
    title: '기초연금',
    text: '만 65세 이상 어르신에게 매달 기초연금을 지급합니다.',
    meta: { area: 'welfare' },
  },
  { id: 'rent', title: '청년 월세 지원', text: '혼자 사는 청년에게 월세를 지원합니다.', meta: { area: 'housing' } },
  { id: 'loan', title: '전세 대출', text: '전세 자금 대출 금리를 비교하세요.', meta: { area: 'finance' } },
];

test('a registered leg is created, fused, saved and reopened through the public API', async () => {
  registerLeg('initials', factory);
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-leg-'));
  try {
    const engine = await Engine.create({
      analyzer: 'ngram',
      legs: [
        { name: 'bm25', kind: 'bm25' },
        { name: 'initials', kind: 'initials' },
      ],
    });
    assert.deepEqual(engine.legs, ['bm25', 'initials']);
    await engine.add(DOCS);
    // BM25 cannot read initials; the new leg can, and its evidence shows in the hit
    const byInitials = await engine.search('ㄱㅊㅇㄱ', { k: 3 });
    assert.equal(byInitials[0].id, 'pension');
    assert.ok(byInitials[0].legs.initials && !byInitials[0].legs.bm25);
    // both legs fuse on one id space; weights and leg choice name the new leg like any other
    const fused = await engine.search('월세 ㅇㅅ', { k: 3 });
    assert.equal(fused[0].id, 'rent');
    assert.ok(fused[0].legs.bm25 && fused[0].legs.initials, 'rent is found by both legs');
    assert.ok(
      fused.some((h) => h.id === 'pension' && h.legs.initials),
      '이상 → ㅇㅅ',
    );
    const onlyNew = await engine.search('ㅈㅅ ㄷㅊ', { legs: ['initials'] });
    assert.deepEqual(
      onlyNew.map((h) => h.id),
      ['loan'],
    );
    assert.deepEqual(
      (await engine.search('ㅈㅇ', { filter: { area: 'housing' } })).map((h) => h.id),
      ['rent'],
    );
    const described = engine.describe().legs.find((l) => l.name === 'initials');
    assert.deepEqual(described, {
      name: 'initials',
      kind: 'initials',
      matches: 'word initials',
      documents: 3,
      units: 3,
    });
    const before = await engine.search('월세 ㅇㅅ', { k: 3 });
    await engine.save(dir);
    await engine.close();

    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    assert.deepEqual(
      manifest.config.legs.map((l) => [l.name, l.kind]),
      [
        ['bm25', 'bm25'],
        ['initials', 'initials'],
      ],
    );
    const reopened = await Engine.open(dir, { readOnly: true });
    assert.deepEqual(await reopened.search('월세 ㅇㅅ', { k: 3 }), before);
    await reopened.close();

    // a process that never registered the kind gets a typed error naming it, not a wrong index
    const script = `import('tamsaek').then(({ Engine }) => Engine.open(${JSON.stringify(dir)}, { readOnly: true })).then(() => console.log('opened'), (e) => console.log(e.code, e.message))`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.match(child.stdout, /^NOT_FOUND .*unknown leg kind "initials"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad leg specs and registrations are typed errors', async () => {
  const bad = [
    [{ legs: [] }, 'INVALID_ARGUMENT'],
    [
      {
        legs: [
          { name: 'bm25', kind: 'bm25' },
          { name: 'bm25', kind: 'bm25' },
        ],
      },
      'DUPLICATE_ID',
    ],
    [{ legs: [{ name: 'rerank', kind: 'bm25' }] }, 'INVALID_ARGUMENT'],
    [{ legs: [{ name: 'a b', kind: 'bm25' }] }, 'INVALID_ARGUMENT'],
    [{ legs: [{ name: 'x', kind: 'no-such-kind' }] }, 'NOT_FOUND'],
    [{ legs: [{ name: 'x', kind: 'bm25', extra: 1 }] }, 'UNKNOWN_OPTION'],
    [{ legs: [{ name: 'x', kind: 'bm25' }], bm25: { k1: 1 } }, 'INVALID_ARGUMENT'],
  ];
  for (const [options, code] of bad)
    await assert.rejects(
      Engine.create(options),
      (e) => e instanceof TamsaekError && e.code === code,
      JSON.stringify(options),
    );
  assert.throws(() => registerLeg('bm25', factory), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => registerLeg('x', {}), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => registerLeg('white space', factory), { code: 'INVALID_ARGUMENT' });
});
