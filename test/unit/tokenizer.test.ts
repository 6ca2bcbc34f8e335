// The server's tokenizer must give exactly the ids Python's `tokenizers` gave when the models were trained
// (recorded in test/fixtures/tokenizer-parity.json by training/tokenizer/train_tokenizer.py), and must
// round-trip code byte-exactly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CodeTokenizer, SPECIAL_TOKEN_NAMES, TokenizerLoadError } from '../../server/src/runtime/tokenizer';

const ROOT = path.resolve(__dirname, '..', '..');
const TOKENIZER = path.join(ROOT, 'models', 'tokenizer.json');

interface ParityCase {
  name: string;
  source?: string;
  text: string;
  ids: number[];
}
interface Fixture {
  vocab_size: number;
  special_tokens: Record<string, number>;
  cases: ParityCase[];
}
const fixture = JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', 'tokenizer-parity.json'), 'utf8')) as Fixture;

let shared: Promise<CodeTokenizer> | undefined;
const load = () => (shared ??= CodeTokenizer.fromFile(TOKENIZER));

describe('CodeTokenizer parity with Python tokenizers', () => {
  it('has the vocabulary size and control token ids recorded in Python', async () => {
    const tok = await load();
    assert.equal(tok.vocabSize, fixture.vocab_size);
    for (const name of SPECIAL_TOKEN_NAMES) assert.equal(tok.tokenId(name), fixture.special_tokens[name], name);
    assert.deepEqual(
      [tok.special.pad, tok.special.eos, tok.special.mask, tok.special.fimPrefix, tok.special.fimSuffix, tok.special.fimMiddle],
      [0, 1, 2, 3, 4, 5],
    );
    assert.deepEqual(tok.special.reserved, [6, 7, 8, 9]);
    assert.ok(tok.isSpecial(tok.special.mask) && !tok.isSpecial(100));
  });

  it('covers the edge cases the fixture promises', () => {
    const names = new Set(fixture.cases.map((c) => c.name));
    for (const n of [
      'empty',
      'tabs',
      'crlf',
      'unicode',
      'emoji',
      'long_line',
      'literal_specials',
      'heldout_file_python',
      'heldout_file_javascript',
      'heldout_file_typescript',
    ]) {
      assert.ok(names.has(n), `fixture lacks ${n}`);
    }
    assert.ok(fixture.cases.length >= 30);
  });

  for (const c of fixture.cases) {
    it(`gives Python's ids and round-trips: ${c.name}`, async () => {
      const tok = await load();
      const ids = tok.encode(c.text);
      // Compare lengths first: a mismatch in a 3000-id list is easier to read this way.
      assert.equal(ids.length, c.ids.length, `${c.name}: ${ids.length} ids, Python had ${c.ids.length}`);
      assert.deepEqual(ids, c.ids);
      assert.equal(tok.decode(ids), c.text);
    });
  }
});

describe('CodeTokenizer round trip', () => {
  it('never turns literal control-token text into control ids', async () => {
    const tok = await load();
    const ids = tok.encode('x = "<mask><eos><pad><fim_middle><reserved_3>"\n');
    assert.ok(
      ids.every((id) => !tok.isSpecial(id)),
      String(ids),
    );
  });

  it('gives the same ids for a long text asked again, as a copy the caller may change', async () => {
    const tok = await load();
    const text = Array.from({ length: 40 }, (_, i) => `const v${i} = f(${i});`).join('\n');
    const first = tok.encode(text);
    const want = [...first];
    const again = tok.encode(text);
    assert.deepEqual(again, want);
    again.length = 0;
    first.reverse();
    assert.deepEqual(tok.encode(text), want, 'changing returned arrays does not change later answers');
    // Many other long texts later (the remembered ones are replaced), still the same ids.
    for (let i = 0; i < 40; i++) tok.encode(text + ' '.repeat(i + 1));
    assert.deepEqual(tok.encode(text), want);
    assert.equal(tok.decode(want), text);
  });

  it('decodes control ids as their names and rejects ids outside the vocabulary', async () => {
    const tok = await load();
    assert.equal(tok.decode([tok.special.eos]), '<eos>');
    assert.equal(tok.decode([]), '');
    assert.throws(() => tok.decode([tok.vocabSize]), RangeError);
    assert.throws(() => tok.decode([-1]), RangeError);
    assert.throws(() => tok.decode([1.5]), RangeError);
  });

  it('round-trips whitespace shapes byte-exactly', async () => {
    const tok = await load();
    const samples = [
      '\r\n',
      '\r',
      '\n\n\n',
      ' ',
      '\t',
      '  \t  \r\n\t\r\n',
      'a\r\nb\rc\nd',
      '\u00a0\u2028\u2029\ufeffx',
      'if (x) {\n\t\treturn "tab\tinside";\n    }\n',
      'line with trailing spaces   \n   \n',
      'surrogates 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and combining é',
      'x'.repeat(10000),
      ' '.repeat(257),
      '\t'.repeat(33),
    ];
    for (const s of samples) assert.equal(tok.decode(tok.encode(s)), s, JSON.stringify(s.slice(0, 40)));
  });

  it('round-trips the held-out corpus files when the corpus is present (.carry/corpus)', async (t) => {
    const dir = path.join(ROOT, '.carry', 'corpus');
    const shard = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => /^eval-\d+\.jsonl\.gz$/.test(f))
          .sort()[0]
      : undefined;
    if (!shard) {
      t.skip('no corpus here (built by training/data/build_corpus.py)');
      return;
    }
    const tok = await load();
    const lines = gunzipSync(readFileSync(path.join(dir, shard)))
      .toString('utf8')
      .split('\n')
      .filter(Boolean);
    // Every 10th file, up to 150 of them: all three languages, a few seconds at most.
    const docs = lines
      .filter((_, i) => i % 10 === 0)
      .slice(0, 150)
      .map((l) => JSON.parse(l) as { id: string; text: string });
    for (const d of docs) assert.equal(tok.decode(tok.encode(d.text)), d.text, d.id);
  });

  it("round-trips this repository's own TypeScript sources", async () => {
    const tok = await load();
    const dir = path.join(ROOT, 'server', 'src', 'runtime');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      assert.equal(tok.decode(tok.encode(text)), text, f);
    }
  });
});

describe('CodeTokenizer load errors', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'nanomind-tok-'));
  const write = (name: string, text: string) => {
    const p = path.join(tmp, name);
    writeFileSync(p, text);
    return p;
  };

  it('names the file when it is missing', async () => {
    const missing = path.join(tmp, 'nope.json');
    await assert.rejects(CodeTokenizer.fromFile(missing), (err: unknown) => {
      assert.ok(err instanceof TokenizerLoadError);
      assert.equal(err.file, missing);
      assert.match(err.message, /nope\.json: file not found/);
      return true;
    });
  });

  it('says when the file is not JSON', async () => {
    await assert.rejects(CodeTokenizer.fromFile(write('trunc.json', '{"model": {"type": "BPE", ')), /not valid JSON/);
  });

  it('says what is wrong with a JSON file that is not this kind of tokenizer', async () => {
    type Tokenizer = { model: { type: string; vocab: Record<string, number>; [k: string]: unknown }; decoder: unknown; [k: string]: unknown };
    const real = JSON.parse(readFileSync(TOKENIZER, 'utf8')) as Tokenizer;
    const variants: [string, (t: Tokenizer) => void, RegExp][] = [
      ['array', (t) => Object.assign(t, { model: undefined }), /no "model" section/],
      ['wordpiece', (t) => (t.model.type = 'WordPiece'), /expected "BPE"/],
      ['no decoder', (t) => (t.decoder = null), /decoder is not ByteLevel/],
      ['normalizer', (t) => (t.normalizer = { type: 'NFC' }), /normalizer/],
      ['hole', (t) => delete t.model.vocab['<eos>'], /control token <eos> is missing|not contiguous/],
    ];
    for (const [name, mutate, expected] of variants) {
      const t = structuredClone(real);
      mutate(t);
      assert.throws(() => CodeTokenizer.fromText(JSON.stringify(t), name), expected, name);
    }
    assert.throws(() => CodeTokenizer.fromText('[1, 2]', 'list.json'), /expected a JSON object/);
  });
});
