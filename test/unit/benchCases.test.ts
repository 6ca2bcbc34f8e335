import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { editSimilarity, openLineCase, spread, type Case } from '../../bench/completion';
import { blockCase, endingOpener, typingCase } from '../../bench/completion-mode';
import { judge } from '../../bench/snippets';

describe('bench:completion case selection', () => {
  it('--limit at or above the number of cases takes each case once', () => {
    const cases = Array.from({ length: 600 }, (_, i) => i);
    assert.deepEqual(spread(cases, 1200), cases);
    assert.deepEqual(spread(cases, 600), cases);
  });

  it('a smaller --limit spreads over every part of the sorted cases, without repeats', () => {
    const cases = Array.from({ length: 600 }, (_, i) => i);
    const picked = spread(cases, 240);
    assert.equal(picked.length, 240);
    assert.equal(new Set(picked).size, 240);
    assert.ok(picked[0] === 0 && picked[239] >= 595, 'from the first case to the last');
  });

  it('edit similarity is 1 for equal text and falls with each edit', () => {
    assert.equal(editSimilarity('return x;', 'return x;'), 1);
    assert.ok(Math.abs(editSimilarity('return x;', 'return y;') - 8 / 9) < 1e-9);
    assert.equal(editSimilarity('', 'abc'), 0);
  });
});

describe('bench:completion --open-lines', () => {
  const line = (middle: string, kind: Case['kind'] = 'single_line'): Case => ({ id: 'c', language: 'python', kind, prefix: 'x = 1\n', suffix: 'y\n', middle });

  it('types each line up to its assignment operator and the blank after it', () => {
    const c = openLineCase(line('    total = total + v\n'))!;
    assert.equal(c.prefix, 'x = 1\n    total = ');
    assert.equal(c.middle, 'total + v\n');
    assert.equal(c.prefix + c.middle + c.suffix, 'x = 1\n    total = total + v\ny\n', 'the document is unchanged');
    assert.equal(openLineCase(line('self.n += 1\n'))!.middle, '1\n', 'augmented assignment');
    assert.equal(openLineCase(line('const f = (a) => a;\n'))!.middle, '(a) => a;\n', 'the arrow is not the operator');
  });

  it('passes over lines that assign nothing or have nothing after the operator, and blocks', () => {
    assert.equal(openLineCase(line('if a == b:\n')), null);
    assert.equal(openLineCase(line('return x => x;\n')), null);
    assert.equal(openLineCase(line('x =\n')), null);
    assert.equal(openLineCase(line('a = 1\nb = 2\n', 'multi_line')), null);
  });
});

describe('bench:snippets judging', () => {
  const text = 'def squares(n):\n    return [i * i for i in ]\n';
  const at = text.indexOf(']');

  it('judges the line the user gets after Tab, the replaced closing bracket included', () => {
    assert.equal(judge(text, at, 'range(n)', at, ['range(n)']).right, true);
    assert.equal(judge(text, at, 'range(n)]', at + 1, ['range(n)']).right, true, 'the suggestion replaces the auto-closed ]');
    assert.equal(judge(text, at, 'range(n)]', at, ['range(n)']).right, false, 'inserted before ], it doubles the bracket');
    assert.equal(judge(text, at, '', at, ['range(n)']).right, false);
  });

  it('judges a suggestion that goes on past the line by the line it finishes', () => {
    const t = 'try {\n  run();\n} catch (\n';
    const c = t.indexOf('(\n') + 1;
    assert.equal(judge(t, c, 'e) {\n  log(e);\n}', c, ['err) {', 'e) {']).right, true);
    assert.equal(judge(t, c, 'e)', c, ['err) {', 'e) {']).right, false);
  });

  it('scores near misses by edit similarity against the first accepted answer', () => {
    const { editSimilarity: near } = judge(text, at, 'range(m)]', at + 1, ['range(n)']);
    const { editSimilarity: far } = judge(text, at, 'x', at, ['range(n)']);
    assert.ok(near > far && near < 1);
  });
});

describe('bench:completion-mode cases', () => {
  const base = { id: 'x', language: 'typescript' as const, prefix: 'const a = 1;\n', suffix: 'f();\n' };

  it('finds the opener a typed-so-far line ends with, not one followed by a space', () => {
    assert.equal(endingOpener('  users.map('), '(');
    assert.equal(endingOpener('const f = (x) =>'), '=>');
    assert.equal(endingOpener('if (x) {'), '{');
    assert.equal(endingOpener('return `Hi ${'), '${', 'a template substitution, not a block');
    assert.equal(endingOpener('users.map( '), null);
    assert.equal(endingOpener('x + 1'), null);
  });

  it('a typing case cuts the line after its first opener and leaves the rest of the line untyped', () => {
    const c = typingCase({ ...base, kind: 'single_line', middle: 'return users.map((u) => u.name);\n' })!;
    assert.equal(c.opener, '(');
    assert.equal(c.text, 'const a = 1;\nreturn users.map(\nf();\n');
    assert.equal(c.text.slice(0, c.at), 'const a = 1;\nreturn users.map(');
    assert.equal(c.truth, '(u) => u.name);');
    assert.equal(typingCase({ ...base, kind: 'single_line', middle: 'x = 1\n' }), null, 'no opener, no case');
  });

  it('a block case puts the cursor at the end of the line above a span that line opens', () => {
    const c = blockCase({ ...base, prefix: 'function f() {\n', kind: 'multi_line', middle: '  return 1;\n' })!;
    assert.equal(c.opener, '{');
    assert.equal(c.text, 'function f() {\nf();\n');
    assert.equal(c.text.slice(0, c.at), 'function f() {');
    assert.equal(c.truth, '  return 1;');
    assert.equal(blockCase({ ...base, kind: 'multi_line', middle: '  return 1;\n' }), null, 'the line above opens nothing');
  });
});
