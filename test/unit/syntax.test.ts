// The syntax gate (server/src/completion/syntax.ts) on the suggestions users saw make code worse, and on
// good ones that must pass unchanged. `|` marks the cursor in each document.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cutPoints, SyntaxGate } from '../../server/src/completion/syntax';

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
  it('withholds or cuts the doubled tokens users saw', async () => {
    assert.equal(await gated('typescript', ctor, '= user;'), '', 'this.user = = user;');
    assert.equal(await gated('typescript', ifDoc, ')) {'), ')', 'if (total === undefined)) {');
    assert.equal(await gated('typescript', returnDoc, 'total total;'), 'total', 'return total total;');
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
    assert.equal(await gated('typescript', doc, 'const x = a + 1;\n  const y = = 2;\n  return x;'), 'const x = a + 1;');
    assert.equal(await gated('typescript', doc, 'if (a > 1) {\n    return a;\n  }\n  return 0;'), 'if (a > 1) {\n    return a;\n  }\n  return 0;');
    const py = 'def f(a):\n    |\n';
    assert.equal(await gated('python', py, 'if a > 1:\n        return a\n    return 0'), 'if a > 1:\n        return a\n    return 0');
    assert.equal(await gated('python', py, 'b = a + 1\n    return b b'), 'b = a + 1');
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
  });

  it('logs a grammar that cannot load and lets suggestions through', async () => {
    const logged: string[] = [];
    const broken = new SyntaxGate((m) => logged.push(m), { python: { file: 'no-such-grammar.wasm', pkg: 'tree-sitter-python' } });
    const s = await broken.check('python', 'x = ', 4, { text: '= = 1', replace: 0 });
    assert.equal(s.text, '= = 1');
    assert.match(logged.join('\n'), /no-such-grammar\.wasm/);
  });
});
