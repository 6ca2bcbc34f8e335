// The confidence gate: a model's tuned gate from its manifest (spec.confidenceGate, per decoder and mode) decides
// what is shown, a bad gate turns the brain off with a clear reason, and the tuning sweep (bench/completion-gate.ts)
// picks the gate that shows the answers worth reading. Server side on the tiny random-weight model.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CompletionBrain } from '../../server/src/completion';
import { confidentLines } from '../../server/src/completion/postprocess';
import { sureIds } from '../../server/src/completion/sampler';
import { defaultSettings } from '../../server/src/protocol';
import { ModelRegistry } from '../../server/src/runtime/models';
import { bestGate, sweep, type Answer } from '../../bench/completion-gate';

const fixture = path.join(__dirname, '..', 'fixtures', 'tiny-completion');

/** A copy of the tiny model whose spec has `gate` as its confidenceGate. */
function withGate(gate: unknown): ModelRegistry {
  return withSpec({ confidenceGate: gate });
}

/** A copy of the tiny model with `patch` merged into its completion spec. */
function withSpec(patch: Record<string, unknown>): ModelRegistry {
  const dir = mkdtempSync(path.join(tmpdir(), 'nanomind-gate-'));
  const manifest = JSON.parse(readFileSync(path.join(fixture, 'manifest.json'), 'utf8'));
  const files = manifest.brains.completion.files;
  for (const key of Object.keys(files)) {
    const from = path.resolve(fixture, files[key].file);
    if (key === 'tokenizer') files[key].file = path.relative(dir, from);
    else copyFileSync(from, path.join(dir, files[key].file));
  }
  Object.assign(manifest.brains.completion.spec, patch);
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return new ModelRegistry(dir);
}

const settings = { ...defaultSettings.completion, maxTokens: 8 };
const token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
const doc = TextDocument.create('file:///g.ts', 'typescript', 1, 'const total = items.reduce((a, b) => a + b, 0);\nconst mean = \nconsole.log(mean);\n');
const cursor = { line: 1, character: 13 };

describe('the confidence gate in the server', () => {
  it("reads the model's gate from its manifest: a gate of 1 withholds what a gate of 0 shows", async () => {
    const open = await new CompletionBrain(withGate({ diffusion: { single_line: 0 } })).complete(doc, cursor, settings, token);
    assert.ok(open.unchecked.text.length > 0, `gate 0: an answer (${JSON.stringify(open.unchecked)})`);
    assert.ok(typeof open.confidence === 'number' && open.confidence >= 0 && open.confidence < 1, `its confidence: ${open.confidence}`);
    const closed = await new CompletionBrain(withGate({ diffusion: { single_line: 1 } })).complete(doc, cursor, settings, token);
    assert.deepEqual(closed.items, [], 'gate 1: nothing shown');
    assert.equal(closed.unchecked.text, '');
    assert.equal(closed.confidence, open.confidence, 'the same decoding, only the gate differs');
  });

  it("a request's minConfidence overrides the manifest's gate (the tuning sweep decodes with the gate open)", async () => {
    const brain = new CompletionBrain(withGate({ diffusion: { single_line: 1 } }));
    const r = await brain.complete(doc, cursor, settings, token, { minConfidence: 0 });
    assert.ok(r.unchecked.text.length > 0);
  });

  it('a gate outside [0, 1], or for an unknown mode, turns the completion brain off with the reason', async () => {
    for (const gate of [{ diffusion: { single_line: 2 } }, { diffusion: { inline: 0.3 } }, { diffusion: 0.3 }, [0.3]]) {
      const registry = withGate(gate);
      await assert.rejects(new CompletionBrain(registry).complete(doc, cursor, settings, token), /confidenceGate/);
      const status = await registry.status('completion');
      assert.equal(status.state, 'corrupt', JSON.stringify(gate));
      assert.match(status.detail, /confidenceGate/);
    }
  });
});

describe("a block's decoding window from the manifest (spec.blockWindow)", () => {
  const block = { mode: 'multi_line', minConfidence: 0, redecode: false, confidentLines: false } as const;

  it('a window of 1 commits one token per pass; without one, passes commit several', async () => {
    const one = await new CompletionBrain(withSpec({ blockWindow: 1 })).complete(doc, cursor, settings, token, block);
    assert.ok(one.tokens > 1, `a span of several tokens (${one.tokens})`);
    // One token per pass (the first pass also re-chooses the typed line's last token), and at most one more
    // pass for the span's end on its own.
    assert.ok(one.forwards >= one.tokens - 1 && one.forwards <= one.tokens + 1, `${one.forwards} passes for ${one.tokens} tokens`);
    const free = await new CompletionBrain(withSpec({})).complete(doc, cursor, settings, token, { ...block, multiLineWindow: Infinity });
    assert.ok(free.forwards < free.tokens, `no window: ${free.forwards} passes for ${free.tokens} tokens`);
  });

  it('a window that is not a positive integer turns the completion brain off with the reason', async () => {
    for (const key of ['blockWindow', 'lineWindow']) {
      for (const window of [0, -2, 1.5, '4']) {
        const registry = withSpec({ [key]: window });
        await assert.rejects(new CompletionBrain(registry).complete(doc, cursor, settings, token), new RegExp(key));
        const status = await registry.status('completion');
        assert.equal(status.state, 'corrupt', `${key} ${JSON.stringify(window)}`);
        assert.match(status.detail, new RegExp(key));
      }
    }
  });
});

describe("a single line's decoding window from the manifest (spec.lineWindow)", () => {
  // Threshold 0: without a window every slot before the line's end commits in the first pass.
  const eager = { ...settings, singleLineThreshold: 0 };
  // (The last answer on a line left open is off: it would add passes of its own.)
  const line = { mode: 'single_line', minConfidence: 0, redecode: false, retryUnfinished: false } as const;

  it('a window of 1 commits one token per pass; without one, one pass commits several', async () => {
    const one = await new CompletionBrain(withSpec({ lineWindow: 1 })).complete(doc, cursor, eager, token, line);
    assert.ok(one.tokens > 1, `a span of several tokens (${one.tokens})`);
    assert.ok(one.forwards >= one.tokens - 1 && one.forwards <= one.tokens + 1, `${one.forwards} passes for ${one.tokens} tokens`);
    const free = await new CompletionBrain(withSpec({})).complete(doc, cursor, eager, token, line);
    assert.ok(free.forwards < free.tokens, `no window: ${free.forwards} passes for ${free.tokens} tokens`);
    const overridden = await new CompletionBrain(withSpec({ lineWindow: 1 })).complete(doc, cursor, eager, token, { ...line, singleLineWindow: Infinity });
    assert.equal(overridden.forwards, free.forwards, "a request's singleLineWindow overrides the manifest's");
  });
});

describe('the gate sweep (bench/completion-gate.ts)', () => {
  const answer = (confidence: number, similarity: number): Answer => ({ confidence, shown: true, exact: similarity === 1, similarity });

  it('chooses the gate that shows the confident good answers and hides the unsure bad ones', () => {
    const answers = [answer(0.9, 1), answer(0.8, 0.9), answer(0.6, 0.7), answer(0.3, 0.2), answer(0.1, 0.1), answer(0.05, 0)];
    const best = bestGate(sweep(answers, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], 0.5));
    // Gates in (0.3, 0.6] all show the first three; of equal worth the highest is chosen.
    assert.equal(best.gate, 0.6);
    assert.equal(best.shown, 3 / 6);
    assert.equal(best.exact_match, 1 / 6);
    assert.ok(Math.abs(best.utility - (1 + 0.9 + 0.7 - 1.5) / 6) < 1e-12);
  });

  it('counts a withheld answer as a miss, and an answer the server would not show stays hidden at gate 0', () => {
    const answers = [answer(0.9, 1), { confidence: 0.95, shown: false, exact: false, similarity: 0 }];
    const [open, closed] = sweep(answers, [0, 0.99], 0.5);
    assert.deepEqual([open.shown, open.exact_match, open.edit_similarity], [0.5, 0.5, 0.5]);
    assert.deepEqual([closed.shown, closed.exact_match, closed.edit_similarity], [0, 0, 0]);
  });
});

describe('a block under the gate shows its sure whole lines', () => {
  it('keeps the ids before the first token under the gate, the typed ones always', () => {
    const r = { ids: [7, 8, 9, 10, 11], confidences: [1, 0.9, 0.95, 0.2, 0.99] };
    assert.deepEqual(sureIds(r, 1, 0.5), [7, 8, 9]);
    assert.deepEqual(sureIds(r, 1, 0.1), [7, 8, 9, 10, 11]);
    assert.deepEqual(sureIds({ ids: [7, 8], confidences: [0.1, 0.1] }, 1, 0.5), [7], 'a typed token is never cut');
  });

  it('shows whole lines only, up to and with the last line break, and nothing without a full line', () => {
    assert.equal(confidentLines('x = {\n  a: 1,\n  b: 2,\n  c', 'x = {'), 'x = {\n  a: 1,\n  b: 2,\n');
    assert.equal(confidentLines('x = {\n  c', 'x = {'), null, 'only a part of the first line');
    assert.equal(confidentLines('x = {\n   \n  c', 'x = {'), null, 'a blank line is not worth showing');
    assert.equal(confidentLines('y = 1\n', 'x = {'), null, 'the typed text was not kept');
  });
});
