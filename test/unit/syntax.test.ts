// The syntax gate (server/src/completion/syntax.ts) on the suggestions users saw make code worse, and on
// good ones that must pass unchanged. `|` marks the cursor in each document.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cutPoints, gateWindow, SyntaxGate } from '../../server/src/completion/syntax';
import { stutters } from '../../server/src/completion/syntaxVerdict';

const gate = new SyntaxGate((m) => assert.fail(`unexpected log: ${m}`));

async function gated(languageId: string, doc: string, text: string, replace = 0): Promise<string> {
  const offset = doc.indexOf('|');
  assert.ok(offset >= 0, 'the document marks the cursor with |');
  return (await gate.check(languageId, doc.replace('|', ''), offset, { text, replace })).text;
}

const ctor = 'class Person {\n  user: string;\n  constructor(user: string) {\n    this.user = |\n  }\n}\n';
const ifDoc = 'function total(total?: number) {\n  if (total === undefined|\n    return 0;\n  }\n  return total;\n}\n';
const returnDoc = 'function twice(total: number) {\n  return |\n}\n';
const pyDoc = 'class Person:\n    def __init__(self, age):\n        self.age = age\n\n    def older(self, age|\n';

describe('syntax gate', () => {
  it('repairs, withholds or cuts the doubled tokens users saw', async () => {
    assert.equal(await gated('typescript', ctor, '= user;'), '', 'this.user = = user;');
    // A stutter inside the suggestion loses its second copy.
    assert.equal(await gated('typescript', ifDoc, ')) {'), ') {', 'if (total === undefined)) {');
    assert.equal(await gated('typescript', returnDoc, 'total total;'), 'total;', 'return total total;');
    assert.equal(await gated('python', pyDoc, '::'), '', 'age::');
    assert.equal(await gated('typescript', 'const x = |', '= 1;'), '', 'the parser may mark the typed `=`, not the suggested one');
  });

  it('passes good suggestions unchanged, in unfinished code too', async () => {
    assert.equal(await gated('typescript', ctor, 'user;'), 'user;');
    assert.equal(await gated('typescript', ifDoc, ') {'), ') {');
    assert.equal(await gated('typescript', returnDoc, 'total * 2;'), 'total * 2;');
    assert.equal(await gated('python', pyDoc, '):'), '):');
    // Still unfinished after the suggestion (no body yet), as before it: not worse.
    assert.equal(await gated('typescript', 'for (let i = 0; i < n; |)\n', 'i++'), 'i++');
    // Replacing an auto-closed bracket.
    assert.equal(await gated('javascript', 'const xs = [1, 2];\nconsole.log(xs.map(|));\n', 'x => x * 2)', 1), 'x => x * 2)');
  });

  it('cuts a block where it stops parsing, keeping whole lines', async () => {
    const doc = 'function f(a: number) {\n  |\n}\n';
    assert.equal(await gated('typescript', doc, 'const x = a + 1;\n  const y = 2 +;\n  return x;'), 'const x = a + 1;');
    assert.equal(
      await gated('typescript', doc, 'const x = a + 1;\n  const y = = 2;\n  return y;'),
      'const x = a + 1;\n  const y = 2;\n  return y;',
      'a stutter',
    );
    assert.equal(await gated('typescript', doc, 'if (a > 1) {\n    return a;\n  }\n  return 0;'), 'if (a > 1) {\n    return a;\n  }\n  return 0;');
    const py = 'def f(a):\n    |\n';
    assert.equal(await gated('python', py, 'if a > 1:\n        return a\n    return 0'), 'if a > 1:\n        return a\n    return 0');
    assert.equal(await gated('python', py, 'b = a + 1\n    return b c'), 'b = a + 1');
    assert.equal(await gated('python', py, 'b = a + 1\n    return b b'), 'b = a + 1\n    return b', 'a stutter');
  });

  it('shows unfinished code that typing on from its end closes, in code that goes on after it', async () => {
    // Each opens a block, a call, a list or leaves an operand to type; the code below it then closes the
    // wrong bracket, as while typing by hand.
    const testDoc = 'test("parse", () => {\n|\n  expect(schema.parse(1)).toBe(1);\n});\n';
    assert.equal(await gated('typescript', testDoc, '  const schema = z.object({\n'), '  const schema = z.object({\n');
    const eachDoc = 'function f(xs) {\n  xs.forEach((x) => {\n|\n  });\n}\n';
    assert.equal(await gated('javascript', eachDoc, '    if (x > 1) {\n'), '    if (x > 1) {\n');
    assert.equal(await gated('javascript', eachDoc, '    const y = x +'), '    const y = x +');
    assert.equal(await gated('python', 'def f():\n    a = [1, 2]\n|\n    return a\n', '    b = [3, 4,'), '    b = [3, 4,');
    assert.equal(await gated('python', 'def f(xs):\n|\n    return 0\n', '    for x in xs:\n'), '    for x in xs:\n');
  });

  it('judges an error before the suggestion ends wrong, and cuts before it', async () => {
    const doc = 'class A {\n  done = false;\n  complete() {\n|\n  }\n}\n';
    // `=;`: the operand is missing before the `;` that ends the statement.
    assert.equal(await gated('typescript', doc, '    this.done =;\n'), '    this.done =');
    assert.equal(await gated('typescript', doc, '    if (this.done === ) {\n      return;\n    }\n'), '    if (this.done ===');
    // Closers of blocks that the code below closes already: no typing after them fixes that.
    assert.equal(await gated('typescript', doc, '    }\n  }\n}\n'), '');
    assert.equal(await gated('python', 'def f(a):\n|\n', '    return a a a'), '    return a', 'python');
  });

  it('gives the benchmark the same verdict from fresh parses', async () => {
    const kind = async (doc: string, text: string) =>
      (await gate.verdictFresh('typescript', doc.replace('|', ''), doc.indexOf('|'), { text, replace: 0 }))?.kind;
    assert.equal(await kind(returnDoc, 'total * 2;'), 'clean');
    assert.equal(await kind(returnDoc, 'total * ('), 'unfinished');
    assert.equal(await kind(returnDoc, 'total total;'), 'wrong');
    assert.equal(await gate.verdictFresh('rust', 'fn main() {}', 0, { text: '= =', replace: 0 }), null, 'not checked');
  });

  it('parses a window around the cursor in a long file, its edges at the least indented lines', async () => {
    const fn = (i: number) => `function f${i}(a) {\n  if (a > ${i}) {\n    return a * ${i};\n  }\n  return a;\n}\n`;
    const long = Array.from({ length: 400 }, (_, i) => fn(i)).join('');
    const offset = long.indexOf('  return a;\n', long.length / 2);
    const { start, end } = gateWindow(long, offset);
    assert.ok(start > 0 && end < long.length, 'a window, not the whole text');
    assert.ok(offset - start >= 4000 && end - offset >= 2000, 'at least the benchmark window on each side');
    assert.match(long.slice(start, start + 9), /^function /, 'starts at a top-level line');
    assert.match(long.slice(end, end + 9), /^function /, 'ends before a top-level line');
    assert.deepEqual(gateWindow('x = 1\n', 2), { start: 0, end: 6 }, 'a short text whole');
    // The gate's verdicts in the window are the whole file's.
    const at = (text: string) => gate.check('javascript', long.slice(0, offset) + long.slice(offset), offset, { text, replace: 0 });
    assert.equal((await at('  const b = = a;\n')).text, '  const b = a;\n');
    assert.equal((await at('  if (a === ) {\n')).text, '  if (a ===');
    assert.equal((await at('  return a + 1;\n')).text, '  return a + 1;\n');
    // A window that starts inside a long docstring reads its prose as broken code: the whole file is parsed.
    const prose = `"""\n${'Find the labels of the nodes, or (when it fails) give up.\n'.repeat(150)}"""\n`;
    const py = `${prose}def f(a):\n|\n    return a\n${'\ndef g(a):\n    return a\n'.repeat(300)}`;
    assert.equal(await gated('python', py, '    b = = a\n'), '    b = a\n');
  });

  it('tells a typed line that still needs an operand from a finished one or a block opener', async () => {
    const needs = (languageId: string, text: string) => gate.needsOperand(languageId, text, text.length);
    const open: [string, string][] = [
      ['javascript', 'function add(a, b) {\n  return a + b;\n}\nmodule.exports = '],
      ['javascript', 'function f(a) {\n  return a + '],
      ['typescript', 'const total = '],
      ['python', 'x = '],
      ['python', 'class A:\n    def pop(self):\n        return self.'],
      ['python', 'def f(n):\n    return n % '],
      ['javascript', 'function greet(name) {\n  return `Hello, ${'], // a template string's substitution
    ];
    for (const [languageId, text] of open) assert.equal(await needs(languageId, text), true, `${languageId}: ${JSON.stringify(text)}`);
    const finished: [string, string][] = [
      ['javascript', 'module.exports = add;'],
      ['javascript', 'function f(a) {\n  return '], // a bare return is a whole statement
      ['javascript', 'function f(a) {'], // a block opener: its body goes on the next line
      ['typescript', 'const a: number[] = ['], // closing the bracket finishes it
      ['python', 'if x:'],
      ['python', 'def f(n):\n    return '],
      ['python', ''],
      ['javascript', 'const s = `Hello, ${name}'], // the template string is only left open
      ['markdown', 'x = '], // a language the gate does not check
    ];
    for (const [languageId, text] of finished) assert.equal(await needs(languageId, text), false, `${languageId}: ${JSON.stringify(text)}`);
  });

  it('finds stutters: a token or a run of up to three written twice on one line', () => {
    const removed = (text: string) => stutters(text).map((cut) => text.slice(0, cut.start) + text.slice(cut.end));
    assert.deepEqual(removed('var a = = require require("a");'), ['var a = require require("a");', 'var a = = require("a");']);
    assert.deepEqual(removed('f(c => => c)'), ['f(c => c)']);
    assert.deepEqual(removed('def f(self(self, x):'), ['def f(self, x):']);
    assert.deepEqual(removed('a\na b c'), [], 'not across lines, nor without a repeat');
  });

  it('offers line ends, then token ends of the first line, longest first', () => {
    assert.deepEqual(cutPoints('a = f(b);\nc = d;\n', '\n'), ['a = f(b);\n', 'a = f(b);', 'a = f(b)', 'a = f(b', 'a = f(', 'a = f', 'a =', 'a']);
    assert.deepEqual(cutPoints('x.y(z', '\n'), ['x.y(', 'x.y', 'x.', 'x']);
  });

  it('passes other languages through, and gives the same answer for the same text after other texts', async () => {
    assert.equal(await gated('rust', 'fn main() { let x = |; }', '= = 1'), '= = 1');
    const first = await gated('typescript', ifDoc, ')) {');
    await gated('typescript', returnDoc.replace('|', 'x|'), ';');
    assert.equal(await gated('typescript', ifDoc, ')) {'), first);
  });

  it('lets suggestions through where the parser cannot read the document', async () => {
    // A window that starts inside a docstring: its prose parses as broken code.
    const prose = 'Find the labels of the nodes, or (when it fails) give up.\n'.repeat(6);
    assert.equal(await gated('python', `${prose}\n    Returns\n|    labels : array\n"""\n`, '    -------\n'), '    -------\n');
    // The same in a file too long to parse whole (a window inside a docstring of a ~1 MB file): unchecked, at once.
    const body = `${prose}\n    Returns\n|    labels : array\n"""\n`;
    const huge = `${'def g(a):\n    return a\n\n'.repeat(40_000)}"""\n${prose.repeat(100)}${body}${'x = 1\n'.repeat(2000)}`;
    assert.ok(huge.length > 1_000_000);
    assert.equal(await gated('python', huge, '    b = = a\n'), '    b = = a\n');
    assert.ok(gate.lastParses <= 1, `parsed ${gate.lastParses} times: only the window`);
  });

  it('logs a grammar that cannot load and lets suggestions through', async () => {
    const logged: string[] = [];
    const broken = new SyntaxGate((m) => logged.push(m), { python: { file: 'no-such-grammar.wasm', pkg: 'tree-sitter-python' } });
    const s = await broken.check('python', 'x = ', 4, { text: '= = 1', replace: 0 });
    assert.equal(s.text, '= = 1');
    assert.match(logged.join('\n'), /no-such-grammar\.wasm/);
  });
});
