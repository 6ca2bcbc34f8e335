import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blockEnded, completionMode, dropSuffixOverlap, trimSuggestion as shape, type TrimContext } from '../../server/src/completion/postprocess';

/** The text of a suggestion that inserts at the cursor (replacing nothing). */
function trimSuggestion(raw: string, ctx: TrimContext): string {
  const s = shape(raw, ctx);
  assert.equal(s.replace, 0, `${JSON.stringify(raw)} replaces nothing`);
  return s.text;
}

describe('completionMode', () => {
  it('is multi-line at a line start or after a block opener ({ or :), single-line otherwise', () => {
    assert.equal(completionMode('    ', ''), 'multi_line');
    assert.equal(completionMode('', 'return x;'), 'multi_line', 'new lines may go above existing code');
    assert.equal(completionMode('function f() {', ''), 'multi_line');
    assert.equal(completionMode('def f(x):', ''), 'multi_line');
    assert.equal(completionMode('const x = a.', ''), 'single_line');
    assert.equal(completionMode('f(', ')'), 'single_line', 'text after the cursor keeps it on one line');
    assert.equal(completionMode('  return users.map(', ''), 'single_line', 'mostly typed in the middle of a line');
    assert.equal(completionMode('const xs = [', ''), 'single_line');
    assert.equal(completionMode('const double = (x) =>', ''), 'single_line');
    assert.equal(completionMode('  return `Hello, ${', ''), 'single_line', "a template string's substitution holds an expression");
  });
});

describe('trimSuggestion', () => {
  it('keeps one line in single-line mode and trims trailing space', () => {
    assert.equal(
      trimSuggestion('map((x) => x * 2);  \nconsole.log(y)', { mode: 'single_line', linePrefix: 'const y = xs.', lineSuffix: '' }),
      'map((x) => x * 2);',
    );
  });

  it('stops a block where the code dedents past the cursor block', () => {
    const raw = '    return a + b;\n}\n\nfunction next() {';
    assert.equal(trimSuggestion(raw, { mode: 'multi_line', linePrefix: '    ', lineSuffix: '' }), '    return a + b;');
  });

  it('keeps nested lines and CRLF endings', () => {
    const raw = 'if x:\r\n        y = 1\r\n    return y\r\nz = 2';
    assert.equal(trimSuggestion(raw, { mode: 'multi_line', linePrefix: '    ', lineSuffix: '' }), 'if x:\r\n        y = 1\r\n    return y');
  });

  it('inserts whole lines above code that follows the cursor, keeping the line break', () => {
    assert.equal(trimSuggestion('const a = 1;\n', { mode: 'multi_line', linePrefix: '', lineSuffix: 'const b = 2;' }), 'const a = 1;\n');
    assert.equal(trimSuggestion('x = 1\ny = 2\n', { mode: 'multi_line', linePrefix: '', lineSuffix: 'z = 3' }), 'x = 1\ny = 2\n');
  });

  it('replaces what follows the cursor when the suggestion rewrites it (an auto-closed bracket), else drops the overlap', () => {
    const ctx = { mode: 'single_line' as const, linePrefix: '  for (let i = 0; i < n; ', lineSuffix: ')' };
    assert.deepEqual(shape('i++) {', ctx), { text: 'i++) {', replace: 1 });
    assert.deepEqual(shape('a, b)', { mode: 'single_line', linePrefix: 'f(', lineSuffix: ')  ' }), { text: 'a, b)', replace: 1 });
    assert.deepEqual(shape('i++) {\n  total += 1;', ctx), { text: 'i++) {', replace: 1 }, 'mid-line never inserts line breaks');
    assert.equal(trimSuggestion('a, b)', { mode: 'single_line', linePrefix: 'f(', lineSuffix: ')]' }), 'a, b');
    assert.equal(dropSuffixOverlap('x]);', ']);'), 'x');
    assert.equal(dropSuffixOverlap('abc', 'xyz'), 'abc');
  });

  it('cuts a block before a line that loops or repeats an earlier line; a looping single line gives nothing', () => {
    const multi = { mode: 'multi_line' as const, linePrefix: '  ', lineSuffix: '' };
    assert.equal(trimSuggestion('print("a")\n  print("b")\n  print("a")\n  print("c")\n', multi), 'print("a")\n  print("b")');
    assert.equal(trimSuggestion('x = 1\n  if (w >= 0 && (w >= 0 && (w >= 0 && (w >= 0)))\n', multi), 'x = 1');
    const single = { mode: 'single_line' as const, linePrefix: '  if (', lineSuffix: '' };
    assert.equal(trimSuggestion('a && (b && (b && (b && (b && c)))) {', single), '');
    assert.equal(trimSuggestion('// ------------------------', { ...single, linePrefix: '  ' }), '// ------------------------', 'a rule is not a loop');
  });

  it('never repeats the line above or the line below', () => {
    const line = {
      mode: 'single_line' as const,
      linePrefix: '    this.',
      lineSuffix: '',
      lineAbove: '    this.user = user;',
      lineBelow: '    this.age = age;',
    };
    assert.equal(trimSuggestion('user = user;', line), '', 'the line above again');
    assert.equal(trimSuggestion('age = age;', line), '', 'the line below again');
    assert.equal(trimSuggestion('name = name;', line), 'name = name;');
    // At a line start above code: the new line must not be the code it goes above, nor the line above.
    const above = { mode: 'single_line' as const, linePrefix: '', lineSuffix: '  return total;', lineAbove: '  total += x;', lineBelow: '}' };
    assert.equal(trimSuggestion('  return total;\n', above), '');
    assert.equal(trimSuggestion('  total += x;\n', above), '');
    assert.equal(trimSuggestion('  total *= 2;\n', above), '  total *= 2;\n');
    // A block keeps its lines before one that repeats the line that follows it; closing brackets may repeat.
    const block = { mode: 'multi_line' as const, linePrefix: '  ', lineSuffix: '', lineAbove: '  }', lineBelow: '  return total;' };
    assert.equal(trimSuggestion('}\n  total += 1;\n  return total;\n', block), '}\n  total += 1;');
  });

  it('gives nothing for whitespace', () => {
    assert.equal(trimSuggestion('   \n  ', { mode: 'multi_line', linePrefix: '', lineSuffix: '' }), '');
  });
});

describe('blockEnded (the sampler stops a block early)', () => {
  it('is true once a later line starts left of the block, not while that line is still blank', () => {
    assert.equal(blockEnded('x = 1\n    y = 2\n', '    '), false);
    assert.equal(blockEnded('x = 1\n    y = 2\n  ', '    '), false, 'two spaces so far: the indentation may still grow');
    assert.equal(blockEnded('x = 1\n    y = 2\n}', '    '), true);
    assert.equal(blockEnded('x = 1\r\nreturn', '    '), true);
    assert.equal(blockEnded('x = 1', '    '), false, 'the first line never ends the block');
  });

  it('agrees with trimSuggestion: where it is true, the trimmed text lies inside the raw text so far', () => {
    const ctx: TrimContext = { mode: 'multi_line', linePrefix: '    ', lineSuffix: '' };
    const raw = 'a()\n    b()\n}\nmore()';
    const prefix = raw.slice(0, raw.indexOf('}') + 1);
    assert.equal(blockEnded(prefix, '    '), true);
    assert.deepEqual(shape(prefix, ctx), shape(raw, ctx));
  });
});
