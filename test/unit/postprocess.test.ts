import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { completionMode, dropSuffixOverlap, trimSuggestion } from '../../server/src/completion/postprocess';

describe('completionMode', () => {
  it('is multi-line at a line start or after a block opener, single-line otherwise', () => {
    assert.equal(completionMode('    ', ''), 'multi_line');
    assert.equal(completionMode('', 'return x;'), 'multi_line', 'new lines may go above existing code');
    assert.equal(completionMode('function f() {', ''), 'multi_line');
    assert.equal(completionMode('def f(x):', ''), 'multi_line');
    assert.equal(completionMode('const x = a.', ''), 'single_line');
    assert.equal(completionMode('f(', ')'), 'single_line', 'text after the cursor keeps it on one line');
  });
});

describe('trimSuggestion', () => {
  it('keeps one line in single-line mode and trims trailing space', () => {
    assert.equal(trimSuggestion('map((x) => x * 2);  \nconsole.log(y)', { mode: 'single_line', linePrefix: 'const y = xs.', lineSuffix: '' }), 'map((x) => x * 2);');
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

  it('drops what already follows the cursor on its line', () => {
    assert.equal(trimSuggestion('a, b)', { mode: 'single_line', linePrefix: 'f(', lineSuffix: ')' }), 'a, b');
    assert.equal(dropSuffixOverlap('x]);', ']);'), 'x');
    assert.equal(dropSuffixOverlap('abc', 'xyz'), 'abc');
  });

  it('gives nothing for whitespace', () => {
    assert.equal(trimSuggestion('   \n  ', { mode: 'multi_line', linePrefix: '', lineSuffix: '' }), '');
  });
});
