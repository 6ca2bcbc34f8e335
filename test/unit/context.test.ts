// The context window around the cursor, on the shipped tokenizer.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { contextWindow } from '../../server/src/completion/context';
import { CodeTokenizer } from '../../server/src/runtime/tokenizer';

let tok: CodeTokenizer;
before(async () => {
  tok = await CodeTokenizer.fromFile(path.join(__dirname, '..', '..', 'models', 'tokenizer.json'));
});

describe('contextWindow', () => {
  it('ends the prefix at the cursor line, puts the typed part of the line on the canvas, mid-word too', () => {
    const text = 'def add(a, b):\n    return a + b\n\nprint(ad';
    const w = contextWindow(text, text.length - 1, 1024, tok);
    assert.equal(w.prefix, 'def add(a, b):\n    return a + b\n\n');
    assert.equal(w.typed, 'print(a');
    assert.equal(tok.decode(w.typedIds), 'print(a');
    assert.equal(w.suffix, 'd');
    assert.equal(w.linePrefix, 'print(a');
    assert.equal(w.lineSuffix, 'd');
    assert.equal(tok.decode(w.prefixIds), w.prefix);
  });

  it('starts the suffix at the next line when only blanks follow the cursor (as in training)', () => {
    const text = 'function f(x) {\n  const y = x  \n  return y;\n}\n';
    const cursor = text.indexOf('x  \n') + 1;
    const w = contextWindow(text, cursor, 1024, tok);
    assert.equal(w.prefix, 'function f(x) {\n');
    assert.equal(w.typed, '  const y = x');
    assert.equal(w.suffix, '  return y;\n}\n');
  });

  it('keeps a very long typed line in the prefix instead of the canvas', () => {
    const line = 'const values = [' + Array.from({ length: 60 }, (_, i) => `item${i}`).join(', ');
    const text = 'let a = 1;\n' + line + '\n';
    const w = contextWindow(text, text.length - 1, 1024, tok);
    assert.equal(w.typed, '');
    assert.deepEqual(w.typedIds, []);
    assert.equal(w.prefix, text.slice(0, -1));
    assert.equal(w.suffix, '\n');
  });

  it('keeps CRLF and tabs byte for byte', () => {
    const text = 'if (x) {\r\n\treturn 1;\r\n}\r\n';
    const w = contextWindow(text, 10, 1024, tok);
    assert.equal(w.prefix + w.typed + w.suffix, text);
  });

  it('respects the token budget: three quarters before, one quarter after', () => {
    const line = 'const value = compute(alpha, beta, gamma);\n';
    const text = line.repeat(400);
    const cursor = line.length * 200;
    const w = contextWindow(text, cursor, 256, tok);
    assert.equal(w.prefixIds.length, 192);
    assert.equal(w.suffixIds.length, 64);
    assert.ok(text.slice(0, cursor).endsWith(w.prefix));
    assert.ok(text.slice(cursor).startsWith(w.suffix));
  });

  it('sheds whole chunks from the prefix start, so a line typed below keeps the earlier chunks', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `  total += values[${i}] * weight(${i % 7});\n`);
    const text = lines.join('');
    const at = (line: number) => lines.slice(0, line).join('').length;
    const chunk = 64;
    const before = contextWindow(text, at(150), 512, tok, chunk);
    const after = contextWindow(text, at(151), 512, tok, chunk);
    for (const w of [before, after]) assert.ok(w.prefixIds.length <= 384 && w.prefixIds.length > 384 - chunk, `prefix ${w.prefixIds.length}`);
    const whole = Math.floor(before.prefixIds.length / chunk) * chunk;
    assert.ok(whole >= 5 * chunk);
    assert.ok(after.prefixIds.length > before.prefixIds.length, 'here the new line fits without shedding a chunk');
    assert.deepEqual(after.prefixIds.slice(0, whole), before.prefixIds.slice(0, whole), 'same first token, same full chunks');
    // Over many lines, the prefix start moves only now and then (a chunk boundary or the 1024-char grid).
    let moves = 0;
    let first = '';
    for (let line = 100; line < 200; line++) {
      const w = contextWindow(text, at(line), 512, tok, chunk);
      const head = w.prefix.slice(0, 40);
      if (first && head !== first) moves++;
      first = head;
    }
    assert.ok(moves < 40, `the prefix start moved ${moves} times in 100 lines`);
  });

  it('stays bounded on a 10 MB single-line document', () => {
    const text = 'x'.repeat(10_000_000);
    const started = performance.now();
    const w = contextWindow(text, 5_000_000, 1024, tok);
    assert.ok(w.prefixIds.length <= 768 && w.suffixIds.length <= 256);
    assert.ok(performance.now() - started < 2000, 'bounded work');
  });
});
