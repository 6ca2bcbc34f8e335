// The diffusion engine and the completion brain on a tiny random-weight model (test/fixtures/
// tiny-completion): the chunk memory cache must give exactly what encoding from scratch gives,
// denoising must give probability rows, and the brain must settle every request.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { onnxRuntime } from '../../server/src/runtime/onnxruntime';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { changeEnd, CompletionBrain, editEnd } from '../../server/src/completion';
import { AutoregressiveModel } from '../../server/src/completion/autoregressive';
import { PromptMemory } from '../../server/src/memory/documentMemories';
import { openSoftmax } from '../../server/src/runtime/softmaxGraph';
import { DiffusionModel, DocumentMemory, type DiffusionSpec } from '../../server/src/completion/diffusion';
import { defaultSettings } from '../../server/src/protocol';
import { ModelRegistry } from '../../server/src/runtime/models';
import { openDiffusionModel } from '../../server/src/completion/engine';

const ort = onnxRuntime();

const fixture = path.join(__dirname, '..', 'fixtures', 'tiny-completion');
let registry: ModelRegistry;
let model: DiffusionModel;

before(async () => {
  registry = new ModelRegistry(fixture);
  model = (await openDiffusionModel(registry)).model;
});

const ids = (n: number, seed: number) => Array.from({ length: n }, (_, i) => 10 + ((i * 7919 + seed * 104729) % 12000));
const never = () => false;

describe('DiffusionModel', () => {
  it('reuses unchanged chunks, and the cached memory equals encoding from scratch', async () => {
    const memory = new DocumentMemory();
    const prefix = ids(200, 1);
    const suffix = ids(70, 2);
    await model.encodeContext(memory, prefix, suffix, never);
    assert.equal(memory.lastReused, 0);
    assert.equal(memory.chunks.length, 4 + 2, '200 prefix tokens = 4 chunks of 64, 70 suffix tokens = 2');

    const edited = [...suffix.slice(0, 69), 4242];
    const cached = await model.encodeContext(memory, prefix, edited, never);
    assert.equal(memory.lastReused, 4, 'only the group of four chunks holding the edit and the groups after it are re-encoded');
    const fresh = await model.encodeContext(new DocumentMemory(), prefix, edited, never);
    assert.equal(cached!.tokens, 270);
    assert.equal(cached!.layers.length, 2 * model.spec.nLayer);
    let maxDiff = 0;
    cached!.layers.forEach((layer, l) => {
      assert.equal(layer.length, fresh!.layers[l].length);
      for (let i = 0; i < layer.length; i++) maxDiff = Math.max(maxDiff, Math.abs(layer[i] - fresh!.layers[l][i]));
    });
    assert.ok(maxDiff < 1e-5, `max abs diff ${maxDiff}`);
  });

  it('encodes several chunks in one call exactly as one call per chunk', async () => {
    // 9 prefix chunks + 1 suffix chunk: calls of 4, 4 and 2 chunks; then the same memory built one chunk per
    // call (this float model has no per-call activation scale, so only the block-causal mask could differ).
    const prefix = ids(9 * 64, 8);
    const suffix = ids(30, 9);
    const together = await model.encodeContext(new DocumentMemory(), prefix, suffix, never);
    const entry = await registry.brainEntry('completion');
    const onePerCall = new DiffusionModel(
      entry.spec as DiffusionSpec,
      await registry.session('completion', 'encode'),
      await registry.session('completion', 'denoise'),
      await openSoftmax(),
      ort.Tensor,
      1,
    );
    const memory = new DocumentMemory();
    for (let n = 64; n <= prefix.length; n += 64) await onePerCall.encodeContext(memory, prefix.slice(0, n), [], never);
    const oneByOne = await onePerCall.encodeContext(memory, prefix, suffix, never);
    assert.equal(memory.lastReused, 9);
    let maxDiff = 0;
    together!.layers.forEach((layer, l) => {
      for (let i = 0; i < layer.length; i++) maxDiff = Math.max(maxDiff, Math.abs(layer[i] - oneByOne!.layers[l][i]));
    });
    assert.ok(maxDiff < 1e-5, `max abs diff ${maxDiff}`);
  });

  it('feeds a graph only the memory inputs it declares (newer exporters drop the unused last memory V)', async () => {
    // The encode graph returns K/V and attention, never the last layer's output, so the last layer's memory V feeds
    // nothing and torch 2.11's exporter leaves that input out; onnxruntime refuses a feed the graph does not have.
    const entry = await registry.brainEntry('completion');
    const spec = entry.spec as DiffusionSpec;
    const real = await registry.session('completion', 'encode');
    const dropped = `mem_v_${spec.nLayer - 1}`;
    const fed: string[][] = [];
    const encode = {
      inputNames: real.inputNames.filter((n) => n !== dropped),
      outputNames: real.outputNames,
      run: async (feeds: Record<string, unknown>, fetch: string[]) => {
        fed.push(Object.keys(feeds));
        const tokens = (feeds.chunk_ids as { dims: readonly number[] }).dims[1];
        const out: Record<string, { data: Float32Array }> = {};
        for (const name of fetch) out[name] = { data: new Float32Array(spec.nHead * tokens * spec.headDim) };
        return out;
      },
    } as unknown as typeof real;
    const pruned = new DiffusionModel(spec, encode, await registry.session('completion', 'denoise'), await openSoftmax(), ort.Tensor);
    const kv = await pruned.encodeContext(new DocumentMemory(), ids(5 * 64, 3), [], never);
    assert.equal(kv!.tokens, 5 * 64);
    assert.equal(fed.length, 2, 'two calls: a group of four chunks, then one');
    for (const names of fed) {
      assert.ok(!names.includes(dropped), `${dropped} is not fed to a graph without it`);
      assert.deepEqual(names.filter((n) => n.startsWith('mem_')).length, 2 * spec.nLayer - 1);
    }
  });

  it('stops encoding when cancelled', async () => {
    assert.equal(await model.encodeContext(new DocumentMemory(), ids(300, 3), [], () => true), null);
  });

  it('gives probability rows at the masked slots, never a control token other than <eos>', async () => {
    const kv = await model.encodeContext(new DocumentMemory(), ids(100, 4), ids(20, 5), never);
    const canvas = new Int32Array(16).fill(2);
    const probs = await model.denoise(kv!, canvas, 100, [0, 5, 15]);
    assert.equal(probs.length, 3 * 12288);
    for (let r = 0; r < 3; r++) {
      const row = probs.subarray(r * 12288, (r + 1) * 12288);
      const sum = row.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-3, `row ${r} sums to ${sum}`);
      for (const control of [0, 2, 3, 4, 5, 9]) assert.equal(row[control], 0, `control id ${control}`);
    }
  });
});

describe('AutoregressiveModel prompt memory', () => {
  const special = { pad: 0, eos: 1, mask: 2, fimPrefix: 3, fimSuffix: 4, fimMiddle: 5 } as never;
  const noEnd = () => false;

  it('reuses the K/V of the prompt it shares with the last request, with the same greedy tokens', async () => {
    const entry = await registry.brainEntry('completion');
    const ar = new AutoregressiveModel(entry.spec as DiffusionSpec, await registry.session('completion', 'ar'), ort.Tensor);
    const memory = new PromptMemory();
    const prefix = ids(150, 6);
    const suffix = ids(40, 7);
    const first = await ar.infill(prefix, suffix, special, 6, noEnd, never, undefined, memory);
    assert.equal(memory.lastReused, 0);
    assert.equal(memory.ids.length, 1 + 150 + 1 + 40 + 1);

    const again = await ar.infill(prefix, suffix, special, 6, noEnd, never, undefined, memory);
    assert.equal(memory.lastReused, 193, 'the whole prompt, whose last logits were kept');
    assert.deepEqual(again.ids, first.ids);
    assert.equal(again.forwards, first.forwards - 1, 'no prefill pass');

    // A line typed at the end of the prefix: the prompt is reused up to there, the rest runs again.
    const longer = [...prefix, 4242, 4243];
    const reused = await ar.infill(longer, suffix, special, 6, noEnd, never, undefined, memory);
    assert.equal(memory.lastReused, 151);
    const fresh = await ar.infill(longer, suffix, special, 6, noEnd, never, undefined, new PromptMemory());
    assert.deepEqual(reused.ids, fresh.ids, 'reusing the cache changes nothing');
  });

  it('a barred token is never its pick at that index: the rest of the middle follows from the next best', async () => {
    const entry = await registry.brainEntry('completion');
    const ar = new AutoregressiveModel(entry.spec as DiffusionSpec, await registry.session('completion', 'ar'), ort.Tensor);
    const prefix = ids(80, 8);
    const suffix = ids(20, 9);
    const first = await ar.infill(prefix, suffix, special, 6, noEnd, never);
    assert.equal(first.ids.length, 6);
    const barred = await ar.infill(prefix, suffix, special, 6, noEnd, never, undefined, new PromptMemory(), { index: 2, bars: (id) => id === first.ids[2] });
    assert.deepEqual(barred.ids.slice(0, 2), first.ids.slice(0, 2), 'the tokens before the barred index are the same');
    assert.notEqual(barred.ids[2], first.ids[2]);
  });
});

describe('CompletionBrain on the tiny model', () => {
  const settings = { ...defaultSettings.completion, maxTokens: 8 };
  const token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
  const doc = TextDocument.create('file:///t.ts', 'typescript', 1, 'function add(a: number, b: number) {\n  \n}\n');
  const at = { line: 1, character: 2 };

  it('runs the model and answers (a random model is never confident: no suggestion)', async () => {
    const brain = new CompletionBrain(registry);
    const out = await brain.complete(doc, at, settings, token);
    assert.ok(out.modelMs !== null && out.forwards >= 1);
    assert.deepEqual(out.items, []);
  });

  it('commits a line under singleLineThreshold and a block under threshold', async () => {
    const line = TextDocument.create('file:///l.ts', 'typescript', 1, 'const total = \n');
    const end = { line: 0, character: 14 };
    const run = async (threshold: number, singleLineThreshold: number) =>
      (await new CompletionBrain(registry).complete(line, end, { ...settings, threshold, singleLineThreshold }, token)).forwards;
    const greedy = await run(1.01, 0); // a line: every eligible slot commits in the first pass
    const careful = await run(0, 1.01); // a line: one slot per pass, whatever the block threshold says
    assert.ok(greedy >= 1 && careful > greedy, `line passes: ${greedy} with singleLineThreshold 0, ${careful} with 1.01`);
    const block = async (threshold: number, singleLineThreshold: number) =>
      (await new CompletionBrain(registry).complete(doc, at, { ...settings, threshold, singleLineThreshold }, token)).forwards;
    assert.ok((await block(0, 1.01)) < (await block(1.01, 0)), 'a block follows threshold, not singleLineThreshold');
  });

  it('a single line that only repeats the line below gets a second answer that does not', async () => {
    // The random model writes `### ### …` here; with that text already on the line below, post-processing cuts the
    // first answer to nothing, and the second (the first token after the typed text barred) is shown instead.
    const below = 'const mean = ### ### ### ### ### ### ### ### ###';
    const repeat = TextDocument.create('file:///r.ts', 'typescript', 1, `const total = 1;\nconst mean = \n${below}\n`);
    const end = { line: 1, character: 13 };
    // (The last answer on a line left open, tested below, is off here: `const mean = ` is such a line.)
    const ask = (options: { retryRepeat?: boolean }) =>
      new CompletionBrain(registry).complete(repeat, end, settings, token, { mode: 'single_line', minConfidence: 0, retryUnfinished: false, ...options });
    const once = await ask({ retryRepeat: false });
    assert.equal(once.unchecked.text, '', 'the first answer repeats the line below: nothing to show');
    const twice = await ask({});
    assert.ok(twice.unchecked.text.trim() !== '', `a second answer: ${JSON.stringify(twice.unchecked)}`);
    assert.notEqual(`const mean = ${twice.unchecked.text}`.trimEnd(), below);
    assert.ok(twice.forwards > once.forwards, 'the second answer cost its own passes');
  });

  it('a line left open (`x = `) that would show nothing gets a last answer that does not end it at once', async () => {
    // The random model writes `### ### …` after `const total = `, which the syntax gate withholds (it breaks the
    // line); the typed line still needs an operand, so one more answer is decoded with its first token neither
    // the first answer's, nor a blank, nor a line end.
    const open = TextDocument.create('file:///open.ts', 'typescript', 1, 'const total = \n');
    const end = { line: 0, character: 14 };
    const ask = (options: { retryUnfinished?: boolean }) =>
      new CompletionBrain(registry).complete(open, end, settings, token, { mode: 'single_line', minConfidence: 0, ...options });
    const once = await ask({ retryUnfinished: false });
    assert.ok(once.unchecked.text.startsWith('###'), `the first answer: ${JSON.stringify(once.unchecked.text.slice(0, 20))}`);
    assert.equal(once.items.length, 0, 'the gate withholds it: nothing to show');
    const twice = await ask({});
    const shown = twice.items[0]?.insertText as string | undefined;
    assert.ok(shown && shown.trim() !== '' && !shown.startsWith('###'), `a last answer is shown: ${JSON.stringify(shown)}`);
    assert.ok(twice.forwards > once.forwards, 'the last answer cost its own passes');
    // A finished line gets no such answer: the same model after `const total = 1;` shows nothing more, no extra passes.
    const done = TextDocument.create('file:///done.ts', 'typescript', 1, 'const total = 1;\n');
    const after = { line: 0, character: 16 };
    const plain = await new CompletionBrain(registry).complete(done, after, settings, token, { mode: 'single_line', minConfidence: 0, retryUnfinished: false });
    const asked = await new CompletionBrain(registry).complete(done, after, settings, token, { mode: 'single_line', minConfidence: 0 });
    assert.equal(asked.forwards, plain.forwards);
  });

  it('runs the autoregressive decoder when asked', async () => {
    const brain = new CompletionBrain(registry);
    const out = await brain.complete(doc, at, { ...settings, decoder: 'autoregressive' }, token);
    assert.ok(out.forwards >= 1 && out.forwards <= settings.maxTokens);
    for (const item of out.items) assert.deepEqual(item.range, { start: at, end: at });
  });

  it('opens the autoregressive twin only when its decoder is chosen', async () => {
    const own = new ModelRegistry(fixture);
    const opened: string[] = [];
    const open = own.session.bind(own);
    own.session = (brain, key) => (opened.push(key), open(brain, key));
    const brain = new CompletionBrain(own);
    await brain.warmUp();
    await brain.complete(doc, at, settings, token);
    assert.deepEqual(opened.sort(), ['denoise', 'encode']);
    const other = TextDocument.create('file:///u.ts', 'typescript', 1, 'const x = 1;\n\n');
    await brain.complete(other, { line: 1, character: 0 }, { ...settings, decoder: 'autoregressive' }, token);
    assert.ok(opened.includes('ar'));
  });

  it('a newer request for the same document supersedes the older one', async () => {
    const brain = new CompletionBrain(registry);
    const first = brain.complete(doc, at, settings, token);
    const second = brain.complete(doc, at, settings, token);
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.modelMs, null, 'the superseded request stops without finishing');
    assert.ok(b.modelMs !== null);
  });

  describe('pre-encoding after an edit', () => {
    const lines = Array.from({ length: 60 }, (_, i) => `const value${i} = compute(${i}, "item ${i}");`);
    // After Enter at the end of line 40 (an empty line 41), typing on the new line: the edit ends at the cursor.
    const typed = '  let fresh = ';
    const version = (n: number, line: string) =>
      TextDocument.create('file:///p.ts', 'typescript', n, [...lines.slice(0, 41), line, ...lines.slice(41)].join('\n') + '\n');
    const v1 = version(1, '');
    const v2 = version(2, typed);
    const cursor = { line: 41, character: typed.length };
    const until = async (check: () => boolean) => {
      for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(check(), 'the background encode finished');
    };

    it('finds where an edit ends', () => {
      assert.equal(editEnd('ab\ncd', 'ab\nXcd'), 4);
      assert.equal(editEnd('abc', 'abc\n  '), 6);
      assert.equal(editEnd('abcabc', 'abc'), 3);
      assert.equal(editEnd('foo();\n  bar', 'foo();\n  \n  bar'), 9, 'Enter with auto-indent: the cursor is on the new line');
      assert.equal(editEnd('let xa\ny', 'let xaa\ny'), 7, 'typing at the end of a line');
    });

    it('reads where an edit ends from the change event, where the texts alone are ambiguous', () => {
      // Enter on an empty line between two others: comparing texts cannot tell which empty line is new.
      const doc = TextDocument.create('file:///e.ts', 'typescript', 1, 'a\n\nb');
      const change = { range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '\n  ' };
      const updated = TextDocument.update(TextDocument.create(doc.uri, 'typescript', 1, doc.getText()), [change], 2);
      assert.equal(updated.getText(), 'a\n\n  \nb');
      assert.equal(changeEnd(updated, [change]), 5, 'after the inserted indent, on the new line');
      const two = [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, text: 'xyz' }, change];
      const both = TextDocument.update(TextDocument.create(doc.uri, 'typescript', 1, doc.getText()), two, 2);
      assert.equal(changeEnd(both, two), 7, 'the last of several edits');
      assert.equal(changeEnd(updated, [{ text: 'whole new text' }]), undefined);
      assert.equal(editEnd(v1.getText(), v2.getText()), v2.offsetAt(cursor));
    });

    it('encodes the context where the user types, so the request encodes nothing', async () => {
      const cold = await new CompletionBrain(registry).complete(v2, cursor, settings, token);
      assert.ok(cold.encoded > 0, 'without pre-encoding the request encodes the context');
      const brain = new CompletionBrain(registry);
      brain.prepare(v1, settings); // opened: no cursor yet, nothing to encode
      brain.prepare(v2, settings);
      await until(() => brain.prepared === 1);
      const warm = await brain.complete(v2, cursor, settings, token);
      assert.equal(warm.encoded, 0);
      assert.deepEqual(warm.items, cold.items);
    });

    it('encodes the context where the cursor settles, but never in place of a running request', async () => {
      const brain = new CompletionBrain(registry);
      brain.prepareAt(v2, cursor, settings);
      await until(() => brain.prepared === 1);
      assert.equal((await brain.complete(v2, cursor, settings, token)).encoded, 0);
      const other = { line: 5, character: 3 };
      const running = brain.complete(v2, other, settings, token);
      brain.prepareAt(v2, { line: 50, character: 0 }, settings); // skipped: the request is running
      const out = await running;
      assert.ok(out.modelMs !== null && out.encoded > 0, 'the request ran to the end');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(brain.prepared, 1);
      brain.prepareAt(v2, { line: 999, character: 0 }, settings); // outside the document: ignored
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(brain.prepared, 1);
    });

    it('leaves documents alone when completion is off for them, and a request supersedes the encode', async () => {
      const brain = new CompletionBrain(registry);
      brain.prepare(v1, { ...settings, languages: ['python'] });
      brain.prepare(v2, { ...settings, languages: ['python'] });
      brain.prepare(v1, { ...settings, decoder: 'autoregressive' });
      brain.prepare(v2, { ...settings, decoder: 'autoregressive' });
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(brain.prepared, 0);
      brain.prepare(v1, settings);
      brain.prepare(v2, settings);
      const out = await brain.complete(v2, cursor, settings, token);
      assert.ok(out.modelMs !== null, 'the request runs once the encode has stopped');
      assert.equal(brain.prepared, 0, 'the superseded encode did not run to the end');
    });
  });
});
